"""label_issues on Spark: the check's own finding from probabilities computed on the executors."""

from __future__ import annotations

import pytest

import numpy as np
import pandas as pd

from audit import run_audit
from tests.conftest import planted_pair

pytestmark = pytest.mark.slow

SETTINGS = dict(label="label", id_column="id", group_column="group", time_column="time",
                checks=["label_issues"], baseline={"enabled": False})


def test_above_max_fit_rows_the_models_fit_a_seeded_stratified_sample_and_say_so(spark, tmp_path):
    pair = planted_pair()
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    pair.val.to_csv(tmp_path / "val.csv", index=False)
    files = tmp_path / "train.csv", tmp_path / "val.csv"
    settings = {**SETTINGS, "params": {"label_issues": {"max_fit_rows": 300}}}
    first = run_audit(*files, engine="spark", spark=spark, **settings)
    train = next(f for _, f in first.all_findings if f.metrics["split"] == "train")
    assert 295 <= train.metrics["n_fit_rows"] <= 300  # each class's share, rounded down
    assert "seeded stratified sample" in train.metrics["notes"][0]
    assert f"on a sample of {train.metrics['n_fit_rows']} rows" in train.message
    again = run_audit(*files, engine="spark", spark=spark, **settings)
    assert [f.to_dict() for _, f in again.all_findings] == [f.to_dict() for _, f in first.all_findings]


@pytest.mark.parametrize("seed, n_classes, n_rows", [(0, 3, 3000), (1, 2, 2000), (2, 5, 4000)])
def test_the_rule_on_spark_aggregates_flags_exactly_what_cleanlab_flags(spark, seed, n_classes, n_rows):
    from cleanlab.filter import find_label_issues

    from audit.spark.confident import (CODE, PROBS, confident_joint, confident_thresholds, flagged_rows,
                                       lowest_per_class, prune_counts)
    from audit.spark.rows import ROW
    from audit.spark.session import pandas_version_quiet
    from checks.label_noise import FILTER

    rng = np.random.default_rng(seed)
    true = rng.integers(0, n_classes, n_rows)
    labels = true.copy()
    noisy = rng.random(n_rows) < 0.1
    labels[noisy] = rng.integers(0, n_classes, noisy.sum())
    logits = rng.normal(size=(n_rows, n_classes))
    logits[np.arange(n_rows), true] += 2.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = np.flatnonzero(find_label_issues(labels, probs, n_jobs=1))
    expected_both = np.flatnonzero(find_label_issues(labels, probs, filter_by=FILTER, n_jobs=1))

    with pandas_version_quiet():
        frame = spark.createDataFrame(pd.DataFrame({ROW: np.arange(n_rows), CODE: labels.astype(np.int32),
                                                    PROBS: list(probs)}))
    counts = np.bincount(labels, minlength=n_classes)
    prune = prune_counts(confident_joint(frame, confident_thresholds(frame, n_classes), counts))
    by_noise_rate = flagged_rows(frame, prune, counts)
    found = sorted(row[ROW] for row in by_noise_rate.collect())
    assert len(expected) > 0.05 * n_rows
    assert found == expected.tolist()
    # The check's filter: those rows that are also among their class's lowest self-confidence.
    both = sorted(row[ROW] for row in by_noise_rate.join(lowest_per_class(frame, prune, counts), on=ROW).collect())
    assert 0 < len(expected_both) <= len(expected)  # fewer with three classes or more; the same with two
    assert both == expected_both.tolist()
