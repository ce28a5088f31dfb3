"""Near duplicates and near leakage on a 50,000-row pair with planted near copies: Spark's LSH
finds what the pandas engine's exact neighbour search finds (recall within 0.02), and the exact
codes on the same pair stay identical."""

from __future__ import annotations

import pytest

from audit import run_audit
from tests.spark.conftest import written_near_pair

pytestmark = pytest.mark.slow

CHECKS = ["duplicates", "exact_leakage", "near_duplicates", "near_leakage"]
N_TRAIN, N_NEAR = 50_000, 200


@pytest.fixture(scope="module")
def near_reports(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("near_50k")
    pair = written_near_pair(folder, N_TRAIN, N_NEAR, n_exact=50, n_conflict=50)
    roles = dict(label="label", id_column="id", checks=CHECKS, baseline={"enabled": False})
    on_pandas = run_audit(folder / "train.csv", folder / "val.csv", **roles)
    on_spark = run_audit(folder / "train.csv", folder / "val.csv", engine="spark", spark=spark, **roles)
    return pair, on_pandas, on_spark


def pairs(report, code, key, near=None):
    return {(r["row"], r[key]) for _, f in report.all_findings if f.code == code for r in f.rows
            if near is None or r.get("near") == near}


def recall(found: set, truth: set) -> float:
    return len(found & truth) / len(truth)


def test_near_duplicate_and_near_leak_recall_within_two_points_of_pandas(near_reports):
    pair, on_pandas, on_spark = near_reports
    for code, key, truth in (("near_duplicates", "duplicate_of", pair.near_duplicates),
                             ("near_leakage", "train_row", pair.near_leakage)):
        assert len(truth) >= N_NEAR
        assert recall(pairs(on_spark, code, key), truth) >= recall(pairs(on_pandas, code, key), truth) - 0.02
        # Nothing beyond what the exact search finds either.
        assert len(pairs(on_spark, code, key) - pairs(on_pandas, code, key)) <= 0.02 * len(truth)


def test_near_findings_state_the_calibrated_threshold_and_the_lsh_search(near_reports):
    _, on_pandas, on_spark = near_reports
    (spark_leak,) = [f for _, f in on_spark.all_findings if f.code == "near_leakage"]
    (pandas_leak,) = [f for _, f in on_pandas.all_findings if f.code == "near_leakage"]
    assert spark_leak.severity == pandas_leak.severity
    assert spark_leak.metrics["threshold_source"] == "relative"
    assert spark_leak.metrics["threshold"] == pytest.approx(pandas_leak.metrics["threshold"], rel=0.05)
    assert "banded random projections on Spark" in spark_leak.metrics["neighbour_search"]
    assert spark_leak.metrics["n_encoded_features"] == pandas_leak.metrics["n_encoded_features"]


def test_exact_codes_stay_identical_on_the_near_pair(near_reports):
    _, on_pandas, on_spark = near_reports
    for code in ("exact_duplicates", "exact_leakage"):
        assert ([f.to_dict() for _, f in on_spark.all_findings if f.code == code]
                == [f.to_dict() for _, f in on_pandas.all_findings if f.code == code])
    exact_conflicts = [[f.to_dict() for _, f in report.all_findings
                        if f.code == "conflicting_labels" and not f.metrics.get("near")]
                       for report in (on_pandas, on_spark)]
    assert exact_conflicts[0] == exact_conflicts[1]
