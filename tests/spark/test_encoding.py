"""The features encoded on Spark are the pandas engine's: same kinds and reasons, columns, values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.data import InputFiles, Roles, load_files
from checks.encoders import column_kinds
from checks.features import encoded_features

pytestmark = pytest.mark.slow

LABEL = "label"


def mixed_table(n: int, seed: int = 0) -> pd.DataFrame:
    """Numbers with gaps, whole numbers, booleans, dates, small categoricals with gaps, codes, ids, a counter."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(100, 20, n).round(2)
    amount[::29] = np.nan
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    colour[::31] = None
    return pd.DataFrame({
        "amount": amount,
        "count": rng.integers(0, 6, n),
        "flag": rng.integers(0, 2, n).astype(bool),
        "when": pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
        "colour": colour,
        "size": rng.choice(["1", "2.0", "x"], n),
        "code": [f"k{v}" for v in rng.integers(0, 70, n)],
        "uuid": [f"u-{i * 7919 % 100003:06d}" for i in range(n)],
        "row_number": np.arange(n),
        LABEL: rng.choice(["a", "b"], n),
    })


@pytest.fixture(scope="module")
def both_engines(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("encoding")
    table = mixed_table(400)
    train, val = table.iloc[:300], table.iloc[300:].copy()
    val.loc[val.index[:3], "colour"] = "purple"                    # unseen in train
    train.to_parquet(folder / "train.parquet", index=False)
    val.to_parquet(folder / "val.parquet", index=False)
    from audit.spark.load import load_spark

    roles = Roles(LABEL)
    on_pandas = load_files(InputFiles(folder / "train.parquet", folder / "val.parquet"), roles)
    on_spark = load_spark(str(folder / "train.parquet"), str(folder / "val.parquet"), roles, spark=spark)
    yield on_pandas, on_spark
    on_spark.unpersist()


def test_every_column_gets_the_kind_and_reason_the_pandas_engine_gives(both_engines):
    from audit.spark.encoding import spark_column_kinds

    on_pandas, on_spark = both_engines
    assert spark_column_kinds(on_spark) == column_kinds(on_pandas)
    assert {c: k.kind for c, k in column_kinds(on_pandas).items()} == {
        "amount": "numeric", "count": "numeric", "flag": "numeric", "when": "date", "colour": "categorical",
        "size": "categorical", "code": "identifier", "uuid": "record_id", "row_number": "row_counter",
        LABEL: "label"}


def test_the_encoded_columns_and_values_are_the_pandas_engines(both_engines):
    from audit.spark.encoding import FEATURES, encoded, spark_encoding
    from audit.spark.rows import ROW

    on_pandas, on_spark = both_engines
    expected, encoding = encoded_features(on_pandas), spark_encoding(on_spark)
    assert (encoding.columns, encoding.sources, encoding.dropped) == (expected.columns, expected.sources,
                                                                     expected.dropped)
    for split in ("train", "val"):
        rows = encoded(on_spark, split).select(ROW, FEATURES).orderBy(ROW).collect()
        matrix = np.array([r[FEATURES] for r in rows])
        assert [r[ROW] for r in rows] == list(on_pandas.frames[split].index)
        assert np.allclose(matrix, expected.matrices[split], rtol=0, atol=1e-6), split
