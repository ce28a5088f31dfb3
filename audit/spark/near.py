"""Near duplicates and near leakage on Spark: the same encoded features, banded random projections for the pairs.

The features are encoded as on one machine (:mod:`audit.spark.encoding`). As there, rows are
compared once per group of identical features (the group's first row), and the threshold is
``max_relative_distance`` times the median distance from a distinct train row to its nearest
other one (or ``max_distance``). That median is measured exactly, on every distinct train row
up to ``CALIBRATION_SAMPLE`` and on a seeded sample of that many above it: the sample is
broadcast and each partition computes its distances to it.

Pairs within the threshold come from banded random projections (:mod:`audit.spark.lsh`), with
as many projections a band and bands as the rows and the calibration sample call for. One search
over the distinct train rows and the val rows finds both the train pairs and the near leaks, so
the train rows are hashed and shuffled once.
The pairs then go through the pandas check's own rule (each row's ``WITHIN_K`` nearest
within the threshold, then :func:`checks.near_duplicates.keep_first_in_file_order`), so the
findings mean the same; distances are float64 from Spark, so they can differ from the
float32 matrix's in the last digits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.buckets import matrix
from audit.spark.encoding import FEATURES, encoded, spark_encoding
from audit.spark.lsh import Banding, banded_close_pairs, choose_banding, directions
from audit.spark.load import H1, H2, SparkAuditData
from audit.spark.rows import ROW
from audit.spark.session import pandas_version_quiet
from audit.spark.text import declared_text, text_not_compared
from checks.base import Finding
from checks.near_duplicates import (
    NearDuplicates,
    NearLeakage,
    Threshold,
    calibrated_threshold,
    keep_first_in_file_order,
    not_compared,
)
from checks.neighbours import WITHIN_K, TypicalDistance

# Above this many distinct train rows the typical distance is measured (exactly) on a seeded
# sample of them; the finding's metrics say so.
CALIBRATION_SAMPLE = 5000


def distinct_rows(data: SparkAuditData, split: str) -> DataFrame:
    """The first row of each group of identical features, encoded; cached for the audit."""
    def compute(d: SparkAuditData) -> DataFrame:
        frame = encoded(d, split)
        first = frame.groupBy(H1, H2).agg(F.min(ROW).alias(ROW))
        return frame.join(first, on=[H1, H2, ROW], how="left_semi").persist()

    return data.shared(f"spark_distinct:{split}", compute)


def calibration_sample(data: SparkAuditData) -> tuple[np.ndarray, np.ndarray, int]:
    """(row numbers, encoded features) of up to ``CALIBRATION_SAMPLE`` distinct train rows
    chosen by a seeded hash of the row number, and the number of distinct train rows; shared."""
    def compute(d: SparkAuditData) -> tuple[np.ndarray, np.ndarray, int]:
        distinct = distinct_rows(d, "train")
        order = F.xxhash64(F.col(ROW), F.lit(int(d.random_state)))
        sample = distinct.select(ROW, FEATURES).orderBy(order, ROW).limit(CALIBRATION_SAMPLE).collect()
        rows = np.array([r[ROW] for r in sample], dtype=np.int64)
        vectors = np.array([r[FEATURES] for r in sample], dtype=np.float64).reshape(len(sample), -1)
        return rows, vectors, distinct.count()

    return data.shared("spark_calibration_sample", compute)


def typical_distance(data: SparkAuditData) -> tuple[float | None, int, int]:
    """(median nearest-other-row distance, rows measured, distinct train rows); shared."""
    return data.shared("spark_typical_distance", _typical_distance)


def _typical_distance(data: SparkAuditData) -> tuple[float | None, int, int]:
    distinct = distinct_rows(data, "train")
    rows, vectors, n_distinct = calibration_sample(data)
    if len(rows) < 2 or vectors.shape[1] == 0:
        return None, len(rows), n_distinct
    shared = distinct.sparkSession.sparkContext.broadcast((rows, vectors))

    def nearest(batches):
        import pyarrow as pa

        sample_rows, sample_vectors = shared.value
        sample_norms = (sample_vectors ** 2).sum(axis=1)
        by_row = np.argsort(sample_rows)
        sorted_rows = sample_rows[by_row]
        best = np.full(len(sample_rows), np.inf)
        for batch in batches:
            base = matrix(batch.column(FEATURES), batch.num_rows).astype(np.float64, copy=False)
            base_rows = batch.column(ROW).to_numpy()
            # |s - b|^2 = |s|^2 + |b|^2 - 2 s.b, one matrix product a batch; a sample row is
            # not its own neighbour (found by row number, not by a sample x chunk comparison).
            for start in range(0, len(base), 1024):
                chunk, chunk_rows = base[start:start + 1024], base_rows[start:start + 1024]
                d2 = sample_norms[:, None] + (chunk ** 2).sum(axis=1)[None, :] - 2.0 * sample_vectors @ chunk.T
                at = np.minimum(np.searchsorted(sorted_rows, chunk_rows), len(sorted_rows) - 1)
                itself = np.flatnonzero(sorted_rows[at] == chunk_rows)
                d2[by_row[at[itself]], itself] = np.inf
                np.minimum(best, d2.min(axis=1), out=best)
        # Clipped at 0 for rounding once, on the minima: the same as clipping every distance.
        yield pa.RecordBatch.from_pydict({"i": np.arange(len(sample_rows)), "d2": np.maximum(best, 0.0)})

    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("d2", T.DoubleType())])
    with pandas_version_quiet():
        mins = (distinct.select(ROW, FEATURES).mapInArrow(nearest, schema)
                .groupBy("i").agg(F.min("d2").alias("d2")).collect())
    shared.unpersist()
    nearest_distances = np.sqrt(np.array([r["d2"] for r in mins], dtype=np.float64))
    positive = nearest_distances[np.isfinite(nearest_distances) & (nearest_distances > 0)]
    value = float(np.median(positive)) if len(positive) else None
    return value, len(rows), n_distinct


def near_threshold(data: SparkAuditData, max_relative_distance: float, max_distance: float | None) -> Threshold:
    """The threshold with the pandas check's metrics; the search and the sampling say Spark."""
    encoding = spark_encoding(data)
    value, n_measured, n_distinct = typical_distance(data)
    typical = TypicalDistance(value, n_measured, n_distinct, "exact (each Spark partition against the broadcast sample)")
    return calibrated_threshold(typical, encoding.n_features, [d["column"] for d in encoding.dropped],
                                max_relative_distance, max_distance,
                                lambda threshold: "" if threshold is None else lsh_for(data, threshold)[0].describe())


def lsh_for(data: SparkAuditData, threshold: float) -> tuple[Banding, np.ndarray]:
    """The banding for this threshold and its projection directions; shared."""
    def compute(d: SparkAuditData) -> tuple[Banding, np.ndarray]:
        _, vectors, n_distinct = calibration_sample(d)
        banding = choose_banding(vectors, n_distinct, threshold, d.random_state)
        return banding, directions(vectors.shape[1], banding, d.random_state)

    return data.shared(f"spark_lsh:{threshold!r}", compute)


def searched_pairs(data: SparkAuditData, split: str, threshold: float) -> pd.DataFrame:
    """Pairs within the threshold from one search over a split's distinct rows (the base) and,
    for train, the val rows that are not exact copies of a train row (the queries): columns
    a, b, d, across (a val row and a train row); shared."""
    def compute(d: SparkAuditData) -> pd.DataFrame:
        queries = None
        if split == "train" and "val" in d.splits:
            train_hashes = d.spark_frames["train"].select(H1, H2).distinct()
            queries = encoded(d, "val").join(train_hashes, on=[H1, H2], how="left_anti")
        banding, projections = lsh_for(d, threshold)
        pairs = banded_close_pairs(banding, projections, distinct_rows(d, split), queries, FEATURES, threshold).collect()
        return (pd.DataFrame(pairs, columns=["a", "b", "d", "across"])
                .astype({"a": "int64", "b": "int64", "d": "float64", "across": "bool"}))

    return data.shared(f"spark_pairs:{split}:{threshold!r}", compute)


def close_pairs(data: SparkAuditData, split: str, threshold: float) -> pd.DataFrame:
    """Pairs of distinct rows of a split within the threshold: a < b (row numbers), distance d."""
    pairs = searched_pairs(data, split, threshold)
    return pairs.loc[~pairs["across"], ["a", "b", "d"]].reset_index(drop=True)


def near_rows_within(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pandas rule on the pairs: each row's ``WITHIN_K`` nearest, then the file-order walk."""
    if pairs.empty:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64)
    both = pd.concat([pairs.rename(columns={"a": "q", "b": "o"}), pairs.rename(columns={"b": "q", "a": "o"})])
    both = both.sort_values(["q", "d", "o"], kind="stable").groupby("q", sort=False).head(WITHIN_K)
    return keep_first_in_file_order(both["q"].to_numpy(), both["o"].to_numpy(), both["d"].to_numpy())


def near_leaks(data: SparkAuditData, threshold: float) -> pd.DataFrame:
    """Every val row (not an exact copy of a train row) with its nearest distinct train row
    within the threshold: columns row, train_row, d, label, train_label; by row."""
    pairs = searched_pairs(data, "train", threshold)
    nearest = (pairs.loc[pairs["across"]].sort_values(["a", "d", "b"], kind="stable")
               .drop_duplicates("a").reset_index(drop=True))
    rows, train_rows = nearest["a"].to_numpy(), nearest["b"].to_numpy()
    return pd.DataFrame({"row": rows, "train_row": train_rows, "d": nearest["d"].to_numpy(),
                         "label": labels_of(data, "val", rows).reindex(rows).to_numpy(),
                         "train_label": labels_of(data, "train", train_rows).reindex(train_rows).to_numpy()})


def labels_of(data: SparkAuditData, split: str, rows: np.ndarray) -> pd.Series:
    if not len(rows):
        return pd.Series([], dtype=object)
    keys = data.spark.createDataFrame([(int(r),) for r in np.unique(rows)], T.StructType([T.StructField(ROW, T.LongType())]))
    found = data.compact(split).join(keys, on=ROW).collect()
    return pd.Series({r[ROW]: r[data.label] for r in found}, dtype=object)


def near_duplicates(check: NearDuplicates, data: SparkAuditData) -> list[Finding]:
    if declared_text(data):
        return [text_not_compared("near_duplicates", None, declared_text(data))]
    threshold = near_threshold(data, check.max_relative_distance, check.max_distance)
    if not threshold.usable:
        return [not_compared("near_duplicates", None, threshold)]
    findings = []
    for split in data.splits:
        rows, kept, dist = near_rows_within(close_pairs(data, split, threshold.value))
        if len(rows):
            findings.append(check.near_duplicates_finding(split, data.n_rows[split], rows, kept, dist, threshold,
                                                          distinct_rows(data, split).count()))
            labels = labels_of(data, split, np.concatenate([rows, kept]))
            conflict = check.conflicts_within_finding(split, data.n_rows[split], labels, rows, kept, dist, threshold)
            if conflict is not None:
                findings.append(conflict)
    if "val" in data.splits:
        leaks = near_leaks(data, threshold.value)
        conflict = check.conflicts_across_finding(data.n_rows["val"], leaks["row"].to_numpy(),
                                                  leaks["train_row"].to_numpy(), leaks["d"].to_numpy(),
                                                  leaks["label"].to_numpy(), leaks["train_label"].to_numpy(),
                                                  threshold)
        if conflict is not None:
            findings.append(conflict)
    return findings


def near_leakage(check: NearLeakage, data: SparkAuditData) -> list[Finding]:
    if declared_text(data):
        return [text_not_compared("near_leakage", "val", declared_text(data))]
    threshold = near_threshold(data, check.max_relative_distance, check.max_distance)
    if not threshold.usable:
        return [not_compared("near_leakage", "val", threshold)]
    leaks = near_leaks(data, threshold.value)
    return check.finding(data.n_rows["val"], leaks["row"].to_numpy(), leaks["train_row"].to_numpy(),
                         leaks["d"].to_numpy(), threshold)


IMPLEMENTATIONS = {"near_duplicates": near_duplicates, "near_leakage": near_leakage}
