"""The engines agree code by code: the same rows for every exact and near code, at least 98 %
of label issues in common (Jaccard), and the same severities, on two planted pairs and on
scikit-learn's digits (bench/engine_agreement.py prints the same figures)."""

from __future__ import annotations

import pytest

from audit import run_audit
from bench.engine_agreement import CHECKS, PAIRS, ROW_CODES, agreement as compared_codes, pair_files

pytestmark = pytest.mark.slow

N_TRAIN = 3000
# What each pair plants, so agreeing on nothing cannot pass.
PLANTED = {"planted": ("exact_duplicates", "conflicting_labels", "exact_leakage"),
           "near": ("exact_duplicates", "conflicting_labels", "exact_leakage", "near_duplicates", "near_leakage"),
           "digits": ("exact_duplicates", "conflicting_labels", "exact_leakage", "near_duplicates", "near_leakage")}


@pytest.fixture(scope="module", params=PAIRS)
def agreement(request, spark, tmp_path_factory):
    train, val, roles = pair_files(tmp_path_factory.mktemp(request.param), request.param, N_TRAIN)
    settings = dict(checks=CHECKS, baseline={"enabled": False}, **roles)
    on_spark = run_audit(train, val, engine="spark", spark=spark, **settings)
    return request.param, compared_codes(run_audit(train, val, **settings), on_spark), on_spark


def test_every_exact_and_near_code_flags_the_same_rows_with_the_same_severity(agreement):
    name, codes, _ = agreement
    for code in ROW_CODES:
        result = codes[code]
        assert result.spark_rows == result.pandas_rows, code
        assert result.spark_severities == result.pandas_severities, code
    for code in PLANTED[name]:
        assert codes[code].pandas_rows, code


def test_label_issues_overlap_at_least_98_percent_with_the_same_severity(agreement):
    _, codes, on_spark = agreement
    result = codes["label_issues"]
    # Same encoding, same folds (cut in the order of the encoded content), same model, same rule.
    assert result.pandas_rows and result.jaccard >= 0.98
    assert result.spark_severities == result.pandas_severities
    for _, finding in on_spark.all_findings:
        if finding.code == "label_issues":
            assert any("executors" in note for note in finding.metrics["notes"])
