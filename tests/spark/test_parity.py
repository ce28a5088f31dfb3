"""The planted 50,000-row pair through pandas and through Spark: the same findings.

For every exact finding code the two engines must agree field for field (code, severity,
message, metrics, and every flagged row in the same order), and both must find exactly the
planted rows. The CSV files are read by several partitions each (see conftest).
"""

from __future__ import annotations

import json

import pytest

from audit import run_audit
from audit.report import AuditReport
from tests.conftest import flagged, planted_pair
from tests.spark.conftest import EXACT_CHECKS, EXACT_CODES, N_TRAIN, N_EACH, ROLES

pytestmark = pytest.mark.slow


def by_code(report: AuditReport, code: str) -> list[dict]:
    return [f.to_dict() for _, f in report.all_findings if f.code == code]


@pytest.fixture(scope="module")
def csv_reports(planted_50k, spark):
    train, val = planted_50k.folder / "train.csv", planted_50k.folder / "val.csv"
    # The baseline is left out: these tests compare findings (tests/spark/test_baseline.py trains it).
    on_pandas = run_audit(train, val, checks=EXACT_CHECKS, baseline={"enabled": False}, **ROLES)
    on_spark = run_audit(train, val, checks=EXACT_CHECKS, engine="spark", spark=spark, baseline={"enabled": False},
                         **ROLES)
    return on_pandas, on_spark


@pytest.mark.parametrize("code", EXACT_CODES)
def test_spark_and_pandas_give_the_same_finding_for_every_exact_code(csv_reports, code):
    on_pandas, on_spark = csv_reports
    assert by_code(on_spark, code) == by_code(on_pandas, code)


def test_spark_flags_exactly_the_planted_rows(planted_50k, csv_reports):
    _, report = csv_reports
    truth = planted_50k.truth
    assert flagged(report, "exact_duplicates", "train", "duplicate_of") == truth["exact_duplicates"]
    assert flagged(report, "exact_leakage", "val", "train_row") == truth["exact_leakage"]
    assert flagged(report, "conflicting_labels", "train") == truth["conflicting_labels"]
    assert flagged(report, "conflicting_labels", "val") == truth["conflicting_across"]
    assert flagged(report, "group_leakage", "val") == truth["group_leakage"]
    assert flagged(report, "temporal_leakage", "val") == truth["temporal_leakage"]
    assert len(truth["exact_duplicates"]) == 2 * N_EACH


def test_spark_report_is_the_same_report(csv_reports):
    on_pandas, on_spark = csv_reports
    assert isinstance(on_spark, AuditReport)
    assert (on_spark.passed, on_spark.exit_code) == (on_pandas.passed, on_pandas.exit_code)
    assert on_spark.inputs() == on_pandas.inputs()
    assert on_spark.inputs()["train"]["rows"] == N_TRAIN + 2 * N_EACH
    document = json.loads(on_spark.to_json())
    assert document["settings"]["engine"] == "spark"
    assert [c["check"] for c in document["checks"]] == [c["check"] for c in json.loads(on_pandas.to_json())["checks"]]


def test_spark_report_renders_as_html_and_junit_with_the_flagged_rows(csv_reports):
    from audit.render.html import render_html

    _, on_spark = csv_reports
    page = render_html(on_spark)
    row = next(r for _, f in on_spark.all_findings if f.code == "exact_leakage" for r in f.rows)
    # The evidence table shows the flagged row's own values, collected from Spark.
    values = on_spark.data.frames["val"].loc[row["row"]]
    assert str(values["id"]) in page
    train_values = on_spark.data.frames["train"].loc[row["train_row"]]
    assert train_values["f0"] == values["f0"]


def test_parquet_gives_the_same_findings_as_csv(planted_50k, spark, csv_reports):
    on_pandas, _ = csv_reports
    train, val = planted_50k.folder / "train.parquet", planted_50k.folder / "val.parquet"
    on_spark = run_audit(train, val, checks=["duplicates", "exact_leakage", "temporal_leakage"], engine="spark",
                         spark=spark, baseline={"enabled": False}, **ROLES)
    for code in ("exact_duplicates", "conflicting_labels", "exact_leakage", "temporal_leakage"):
        assert by_code(on_spark, code) == by_code(on_pandas, code)


def test_an_undeclared_row_counter_is_left_out_of_the_comparison_on_both_engines(spark, tmp_path):
    pair = planted_pair()
    for split, start in (("train", 0), ("val", len(pair.train))):
        frame = getattr(pair, split)
        frame.insert(0, "n", range(start, start + len(frame)))  # a record number nobody declared
        frame.to_csv(tmp_path / f"{split}.csv", index=False)
    files = tmp_path / "train.csv", tmp_path / "val.csv"
    settings = dict(checks=["duplicates", "exact_leakage"], baseline={"enabled": False}, **ROLES)
    on_pandas, on_spark = run_audit(*files, **settings), run_audit(*files, engine="spark", spark=spark, **settings)
    assert [f.to_dict() for _, f in on_spark.all_findings] == [f.to_dict() for _, f in on_pandas.all_findings]
    assert flagged(on_spark, "exact_leakage", "val", "train_row") == pair.truth["exact_leakage"]
    assert all(f.metrics["columns_left_out"] == ["n"] for _, f in on_spark.all_findings)


def test_an_undeclared_record_id_is_left_out_alike_on_both_engines(planted_50k, spark):
    """The planted pair's string ids, not declared: both engines compare rows without them and
    flag the planted copies, as with the id declared."""
    train, val = planted_50k.folder / "train.csv", planted_50k.folder / "val.csv"
    roles = {k: v for k, v in ROLES.items() if k != "id_column"}
    checks = ["duplicates", "exact_leakage"]
    on_pandas = run_audit(train, val, checks=checks, baseline={"enabled": False}, **roles)
    on_spark = run_audit(train, val, checks=checks, engine="spark", spark=spark, baseline={"enabled": False}, **roles)
    for code in ("exact_duplicates", "exact_leakage"):
        (finding,) = by_code(on_spark, code)
        assert finding == by_code(on_pandas, code)[0]
        assert "compared without 'id'" in finding["message"] and len(finding["rows"]) >= N_EACH
