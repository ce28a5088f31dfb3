"""Pieces of the Spark engine that need no Spark: label counts, URIs, dispatch, banding."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.spark import is_spark_dataframe, location
from checks.base import AuditData
from checks.class_balance import ClassBalance


def test_label_counts_in_first_row_order_give_the_findings_of_the_labels_themselves():
    """Spark collects (label, count) by each label's first row; ties must still come out in pandas' order."""
    from audit.spark.exact import counts_series

    labels = pd.Series(["b", "a", "NA", "a", "b", "c", "a", "NA"], dtype=object)
    other = pd.Series(["a", "a", "c", "b", "NA", "c"], dtype=object)
    data = AuditData(frames={"train": pd.DataFrame({"y": labels}), "val": pd.DataFrame({"y": other})}, label="y")
    check = ClassBalance()

    def counted(values: pd.Series) -> pd.Series:
        return counts_series([(k, int((values == k).sum())) for k in values.drop_duplicates()])

    from_counts = [check.imbalance_finding("train", counted(labels)), check.imbalance_finding("val", counted(other)),
                   check.shift_finding(counted(labels), counted(other))]
    assert [json.dumps(f.to_dict()) for f in from_counts] == [json.dumps(f.to_dict()) for f in check.run(data)]


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


def test_banding_grows_with_the_rows_and_still_finds_pairs_at_the_threshold():
    from audit.spark.lsh import CANDIDATES_PER_ROW, choose_banding

    rng = np.random.default_rng(0)
    sample = rng.standard_normal((5000, 20))
    threshold = 0.1
    small, large = (choose_banding(sample, n_rows, threshold, 0) for n_rows in (50_000, 10_000_000))
    assert small.projections < large.projections
    for banding, n_rows in ((small, 50_000), (large, 10_000_000)):
        directions = rng.standard_normal((20, banding.bands * banding.projections))
        directions /= np.linalg.norm(directions, axis=0)

        def meet(x, y):
            bx, by = (np.floor(v @ directions / banding.bucket_length) for v in (x, y))
            same = (bx == by).reshape(len(x), banding.bands, banding.projections)
            return same.all(axis=2).any(axis=1)

        x = rng.standard_normal((4000, 20))
        step = rng.standard_normal((4000, 20))
        at_threshold = x + threshold * step / np.linalg.norm(step, axis=1, keepdims=True)
        assert meet(x, at_threshold).mean() >= 0.98
        # Unrelated rows meet about as rarely as the candidate budget allows.
        unrelated = meet(sample, rng.permutation(sample)).mean()
        assert unrelated <= 4 * banding.bands * 2 * CANDIDATES_PER_ROW / n_rows + 0.002
