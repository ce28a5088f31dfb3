"""Pieces of the Spark engine that need no Spark: counted labels, URIs, dispatch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from audit.spark import is_spark_dataframe
from audit.spark.cli import location
from audit.spark.findings import CountedLabels
from checks.class_balance import ClassBalance


def test_counted_labels_answer_value_counts_like_the_labels_themselves():
    labels = pd.Series(["b", "a", "NA", "a", "b", "c", "a", "NA"], dtype=object)
    first_rows = labels.drop_duplicates()
    counted = CountedLabels([(k, int((labels == k).sum())) for k in first_rows])
    for normalize in (False, True):
        expected = labels.value_counts(normalize=normalize)
        got = counted.value_counts(normalize=normalize)
        assert list(got.index) == list(expected.index)
        assert got.to_numpy().tolist() == expected.to_numpy().tolist()
    check = ClassBalance()
    assert check._imbalance("train", counted) == check._imbalance("train", labels)
    other = pd.Series(["a", "a", "c", "b"], dtype=object)
    assert (check._shift(counted, CountedLabels([(k, int((other == k).sum())) for k in other.drop_duplicates()]))
            == check._shift(labels, other))


def test_uris_survive_the_command_line_path_type():
    assert location(Path("s3a://bucket/train/")) == "s3a://bucket/train"
    assert location(Path("hdfs://nn:8020/data/x.parquet")) == "hdfs://nn:8020/data/x.parquet"
    assert location(Path("/tmp/train.csv")) == "/tmp/train.csv"
    assert location(Path("table:db.train")) == "table:db.train"
    assert location(None) is None


def test_pandas_frames_are_not_taken_for_spark_frames():
    assert not is_spark_dataframe(pd.DataFrame({"a": [1]}))
    assert not is_spark_dataframe("train.csv")


def test_an_unknown_engine_is_refused_by_name():
    from audit import run_audit

    with pytest.raises(ValueError, match="'engine' parameter of run_audit must be 'pandas' or 'spark'"):
        run_audit(pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}), label="y", engine="dask")
