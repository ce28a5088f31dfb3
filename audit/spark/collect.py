"""Rows brought back to the driver, typed as the pandas engine reads them.

Two kinds of rows leave Spark: the rows findings name (the evidence reports show, collected
after the checks) and seeded samples of a split, for the work that needs the rows in one
process (target leakage's one-column scores, the Keras baseline). Both come back as a
pandas frame indexed by the rows' data-row numbers, in row order, so the pandas code that
reads them sees what it would see on one machine.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from audit.spark.load import BOOLEAN, DATETIME, FLOAT, INTEGER, SparkAuditData, quoted
from audit.spark.rows import ROW

HASH_SPAN = 2 ** 64
# The hash filter keeps this much more than the share wanted (plus a few rows), so the exact
# cut that follows nearly always has enough rows to choose from.
SAMPLE_MARGIN = 1.05


def collected(data: SparkAuditData, split: str, frame: DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame``'s ROW and ``columns`` on the driver: indexed by row number, in row order."""
    columns = list(columns)
    records = frame.select(ROW, *[quoted(c) for c in columns]).orderBy(ROW).collect()
    result = pd.DataFrame.from_records([tuple(r) for r in records], columns=[ROW, *columns]).set_index(ROW)
    result.index.name = None
    return typed_like_pandas(result, {c: data.kinds[split][c] for c in columns})


def typed_like_pandas(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    for column, kind in kinds.items():
        values = frame[column]
        if kind == INTEGER and values.notna().all():
            frame[column] = values.astype("int64")
        elif kind in (INTEGER, FLOAT):
            frame[column] = pd.to_numeric(values.astype(object).where(values.notna(), np.nan), errors="coerce").astype("float64")
        elif kind == BOOLEAN and values.notna().all():
            frame[column] = values.astype(bool)
        elif kind == DATETIME:
            frame[column] = pd.to_datetime(values)
    return frame


def seeded_sample(data: SparkAuditData, split: str, max_rows: int, columns: Iterable[str] | None = None
                  ) -> pd.DataFrame:
    """Every row of a split, or ``max_rows`` of them chosen by a seeded hash of their row number.

    The rows with the smallest hash of (row number, seed) are taken, so the sample depends on
    the seed and the data only, not on how Spark partitioned it. A hash filter with a margin
    first cuts the split to about the share wanted, so only a little more than ``max_rows``
    rows are ever sorted or sent to the driver.
    """
    columns = list(data.frames["train"].columns if columns is None else columns)
    frame = data.spark_frames[split]
    n_rows = data.n_rows[split]
    if n_rows > max_rows:
        key = F.xxhash64(F.col(ROW), F.lit(int(data.random_state)))
        share = min(1.0, (max_rows * SAMPLE_MARGIN + 1000) / n_rows)
        cut = min(int(-(HASH_SPAN // 2) + share * HASH_SPAN), HASH_SPAN // 2 - 1)
        frame = frame.where(key < F.lit(cut)) if share < 1.0 else frame
        frame = frame.orderBy(key, ROW).limit(max_rows)
    return collected(data, split, frame, columns)
