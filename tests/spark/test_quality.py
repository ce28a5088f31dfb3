"""data_quality on Spark: the pandas engine's suite and findings, validated by great-expectations on Spark."""

from __future__ import annotations

import numpy as np
import pytest

from audit import run_audit
from tests.conftest import LABEL, clean_pair

pytestmark = pytest.mark.slow

SETTINGS = dict(label=LABEL, id_column="id", group_column="group", time_column="time", checks=["data_quality"],
                baseline={"enabled": False})


@pytest.fixture(scope="module")
def quality_files(tmp_path_factory):
    """A small pair with one quality problem planted in each column, as CSV."""
    pair = clean_pair(n_train=300, n_val=100, n_features=4)
    train, val = pair.train.copy(), pair.val.copy()
    low, high = train["f0"].min(), train["f0"].max()
    val.loc[6, "f0"] = low - 0.1 * (high - low) + 1e-3    # just inside the widened range
    val.loc[7, "f0"] = high + 0.1 * (high - low) + 1e-3   # just outside it
    val.loc[[4, 9], "colour"] = ["purple", "teal"]        # categories train never had
    val.loc[3, "f1"] = np.nan                             # missing where train has none
    train.loc[5, "f2"] = np.inf
    val.loc[[2, 8], "f2"] = [-np.inf, np.inf]
    val["f3"] = val["f3"].astype(object)
    val.loc[11, "f3"] = "n/a?"                            # a number column read as text
    for frame in (train, val):
        frame["blank"] = np.nan
        frame["always"] = "same"
        frame["note"] = "fine"
    val.loc[[1, 2, 3, 4, 5], "note"] = ["=SUM(A1:A9)", "+cmd", "@evil", "-x", "-5"]
    folder = tmp_path_factory.mktemp("quality")
    train.to_csv(folder / "train.csv", index=False)
    val.to_csv(folder / "val.csv", index=False)
    return folder / "train.csv", folder / "val.csv"


@pytest.fixture(scope="module")
def quality_reports(spark, quality_files):
    return run_audit(*quality_files, **SETTINGS), run_audit(*quality_files, engine="spark", spark=spark, **SETTINGS)


def findings(report):
    return [f.to_dict() for _, f in report.all_findings]


def test_every_planted_problem_gives_the_same_finding_on_both_engines(quality_reports):
    on_pandas, on_spark = quality_reports
    (pandas_summary, *pandas_problems), (spark_summary, *spark_problems) = findings(on_pandas), findings(on_spark)
    assert spark_problems == pandas_problems
    found = {(f["metrics"]["kind"], f["metrics"].get("expectation"), c.get("split"), c["column"], f["severity"],
              tuple(c.get("example_rows") or ())) for f in spark_problems for c in f["columns"]}
    assert {
        ("expectation", "expect_column_values_to_be_between", "val", "f0", "info", (7,)),  # one row, just outside
        ("expectation", "expect_column_values_to_be_in_set", "val", "colour", "warn", (4, 9)),
        ("expectation", "expect_column_values_to_not_be_null", "val", "f1", "warn", (3,)),
        ("expectation", "expect_column_values_to_be_in_type_list", "val", "f3", "fail", tuple(range(10))),
        ("infinite_values", None, "train", "f2", "fail", (5,)),
        ("infinite_values", None, "val", "f2", "fail", (2, 8)),
        ("mixed_types", None, "val", "f3", "warn", (11,)),
        ("formula_like", None, "val", "note", "info", (1, 2, 3, 4)),
    } <= found
    assert {(c["split"], c["column"]) for f in spark_problems if f["metrics"]["kind"] == "all_missing"
            for c in f["columns"]} == {("train", "blank"), ("val", "blank")}
    for key in ("n_expectations", "passed", "failed", "suite_source"):
        assert spark_summary["metrics"][key] == pandas_summary["metrics"][key]


def test_the_suite_is_inferred_by_the_same_rules_from_spark_aggregates_and_says_so(quality_reports):
    from audit.spark.quality import inferred_suite
    from checks.expectations import DataQuality

    on_pandas, on_spark = quality_reports
    assert inferred_suite(DataQuality(), on_spark.data) == DataQuality().inferred_suite(on_pandas.data)
    summary = next(f for _, f in on_spark.all_findings if f.metrics["kind"] == "summary")
    assert "Spark aggregates over every train row" in summary.metrics["suite_inferred_with"]
    assert summary.metrics["sampled"] == []
    assert "Spark data source" in summary.metrics["validated_with"]
