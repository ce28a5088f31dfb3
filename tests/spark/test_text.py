"""A table with a declared text column on Spark: normalised copies found, word-level checks say they did not run."""

from __future__ import annotations

import pytest

from audit import run_audit
from audit.tickets import LABEL, TEXT, make_text_pair

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(spark, tmp_path_factory):
    pair = make_text_pair(800, 200, seed=3)
    folder = tmp_path_factory.mktemp("tickets")
    # Parquet: tickets with a signature hold line breaks, which Spark's CSV reader splits into rows.
    pair.train.to_parquet(folder / "train.parquet", index=False)
    pair.val.to_parquet(folder / "val.parquet", index=False)
    settings = dict(label=LABEL, text_columns=[TEXT], baseline={"enabled": False},
                    checks=["duplicates", "exact_leakage", "near_duplicates", "near_leakage", "label_issues"])
    on_spark = run_audit(folder / "train.parquet", folder / "val.parquet", engine="spark", spark=spark, **settings)
    on_pandas = run_audit(folder / "train.parquet", folder / "val.parquet", **settings)
    return pair, on_spark, on_pandas


def rows_of(report, code):
    return sorted((r["row"], r.get("duplicate_of", r.get("train_row"))) for _, f in report.all_findings
                  if f.code == code for r in f.rows)


def test_exact_and_normalised_copies_are_found_as_on_pandas(reports):
    pair, on_spark, on_pandas = reports
    normalised = {c.row for c in pair.copies if c.split == "val" and c.kind == "case_space"}
    leaked = {row for row, _ in rows_of(on_spark, "exact_leakage")}
    assert normalised and normalised <= leaked
    for code in ("exact_duplicates", "exact_leakage"):
        assert rows_of(on_spark, code) == rows_of(on_pandas, code)


def test_word_level_checks_say_they_did_not_run(reports):
    _, on_spark, _ = reports
    for code in ("near_duplicates", "near_leakage", "label_issues"):
        (finding,) = [f for _, f in on_spark.all_findings if f.code == code]
        assert str(finding.severity) == "info" and "--engine pandas" in finding.message
        assert repr(TEXT) in finding.message
