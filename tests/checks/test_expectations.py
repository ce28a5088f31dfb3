"""Data quality: the inferred suite, each failed expectation as a finding, and what expectations miss."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from audit.api import load
from audit.cli import main
from audit.data import Roles, from_frames
from audit.errors import InputError
from checks import Severity
from checks.expectations import DataQuality
from checks.expectations_suite import infer_suite, suite_json, validate
from tests.conftest import LABEL, clean_pair

ROLES = Roles(LABEL, id_column="id", group_column="group", time_column="time")


@pytest.fixture(scope="module")
def pair():
    # Few columns: great-expectations' cost is per expectation, not per row.
    return clean_pair(n_train=300, n_val=100, n_features=3)


@pytest.fixture(scope="module")
def defects(pair):
    """One run over a pair with a defect planted in each column, so they cannot mask each other."""
    train, val = pair.train.copy(), pair.val.copy()
    low, high = train["f0"].min(), train["f0"].max()
    val.loc[6, "f0"] = low - 0.1 * (high - low) + 1e-3    # just inside the widened range
    val.loc[7, "f0"] = high + 0.1 * (high - low) + 1e-3   # just outside it
    val.loc[[4, 9], "colour"] = ["purple", "teal"]
    val.loc[3, "f1"] = np.nan                             # train has no missing f1
    train.loc[5, "f2"] = np.inf
    val.loc[[2, 8], "f2"] = [-np.inf, np.inf]
    for frame in (train, val):
        frame["blank"] = np.nan
        frame["always"] = "same"
        frame["note"] = "fine"
    val.loc[[1, 2, 3, 4, 5], "note"] = ["=SUM(A1:A9)", "+cmd", "@evil", "-x", "-5"]
    return run(train, val)


def run(train, val, **params):
    return DataQuality(**params).run(from_frames(train, val, ROLES))


def problems(findings):
    """Every finding but the summary, as (kind, split, column, severity)."""
    found = []
    for f in findings:
        if f.metrics["kind"] == "summary":
            continue
        for column in f.columns or [{}]:
            found.append((f.metrics["kind"], f.metrics.get("split", column.get("split")), column.get("column"),
                          f.severity))
    return sorted(found, key=str)


def assert_has(evidence: dict, **expected):
    assert {key: evidence.get(key) for key in expected} == expected


def expectation_findings(findings, expectation):
    return [f for f in findings if f.metrics["kind"] == "expectation" and f.metrics["expectation"] == expectation]


def test_a_clean_pair_gives_only_the_info_summary_and_writes_nothing(pair, tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    findings = run(pair.train, pair.val)
    assert [f.severity for f in findings] == [Severity.INFO]
    summary = findings[0].metrics
    assert summary["suite_source"] == "inferred from train"
    assert summary["failed"] == {"train": 0, "val": 0}
    assert summary["passed"] == {"train": summary["n_expectations"], "val": summary["n_expectations"]}
    assert list(tmp_path.iterdir()) == []
    assert capfd.readouterr() == ("", "")
    assert logging.getLogger("great_expectations").level == logging.NOTSET


def test_the_inferred_suite_covers_columns_types_nulls_ranges_and_small_value_sets(pair):
    suite = infer_suite(from_frames(pair.train, pair.val, ROLES))
    kinds = {}
    for e in suite["expectations"]:
        kinds.setdefault(e["kwargs"].get("column"), set()).add(e["type"])
    assert suite["expectations"][0] == {"type": "expect_table_columns_to_match_ordered_list",
                                        "kwargs": {"column_list": list(pair.train.columns)}, "meta": {}}
    assert kinds[None] == {"expect_table_columns_to_match_ordered_list", "expect_table_row_count_to_be_between"}
    assert kinds["f0"] == {"expect_column_values_to_be_in_type_list", "expect_column_values_to_not_be_null",
                           "expect_column_values_to_be_between"}
    assert "expect_column_values_to_be_in_set" in kinds["colour"]
    # Ids, groups and times continue in val by design; the label's classes are unseen_labels' job.
    for column in ("id", "group", "time", LABEL):
        assert not kinds[column] & {"expect_column_values_to_be_between", "expect_column_values_to_be_in_set"}
    values = pair.train["f0"]
    between = next(e for e in suite["expectations"] if e["kwargs"].get("column") == "f0"
                   and e["type"] == "expect_column_values_to_be_between")["kwargs"]
    width = values.max() - values.min()
    assert between["min_value"] == pytest.approx(values.min() - 0.1 * width, abs=1e-4)
    assert between["min_value"] <= values.min() - 0.1 * width
    assert between["max_value"] >= values.max() + 0.1 * width


def test_each_planted_defect_is_one_finding_with_its_column_and_severity(defects):
    assert problems(defects) == sorted([
        ("expectation", "val", "f0", Severity.INFO),          # one row just out of range: chance
        ("expectation", "val", "colour", Severity.WARN),      # unseen categories
        ("expectation", "val", "f1", Severity.WARN),          # a missing value where train has none
        ("expectation", "val", "note", Severity.FAIL),        # 5 of 100 rows outside train's {"fine"}
        ("infinite_values", "train", "f2", Severity.FAIL),    # not again as out of range
        ("infinite_values", "val", "f2", Severity.FAIL),
        ("all_missing", "train", "blank", Severity.WARN), ("all_missing", "val", "blank", Severity.WARN),
        ("constant", "train", "always", Severity.INFO), ("constant", "val", "always", Severity.INFO),
        ("constant", "train", "note", Severity.INFO),
        ("formula_like", "val", "note", Severity.INFO),
        ("mixed_types", "val", "note", Severity.WARN),        # "-5" is the one number among words
    ], key=str)
    json.dumps([f.to_dict() for f in defects], allow_nan=False)


def test_rows_out_of_range_warn_unless_few_and_just_outside_as_a_random_split_leaves_them(pair):
    train, val = pair.train.copy(), pair.val.copy()
    low, high = train["f0"].min(), train["f0"].max()
    just_outside = high + 0.15 * (high - low)
    for rows, value, severity in (([7], just_outside, Severity.INFO), ([7, 8, 9], just_outside, Severity.INFO),
                                  ([7], high + 5 * (high - low), Severity.WARN),
                                  ([1, 2, 3, 4], just_outside, Severity.WARN)):
        shifted = val.copy()
        shifted.loc[rows, "f0"] = value
        (finding,) = expectation_findings(run(train, shifted), "expect_column_values_to_be_between")
        assert (finding.columns[0]["example_rows"], finding.severity) == (rows, severity)
        assert ("random split" in finding.message) == (severity == Severity.INFO)


def test_a_count_meets_its_next_whole_number_by_chance_but_not_a_far_one(pair):
    """A sparse count (0 in most train rows, 1 in a few): one val row at 2 is chance, at 9 it is not."""
    train, val = pair.train.copy(), pair.val.copy()
    train["strokes"], val["strokes"] = 0.0, 0.0  # counts stored as floats, as scikit-learn's digits are
    train.loc[[3, 11, 40], "strokes"] = 1.0
    for value, severity in ((2, Severity.INFO), (9, Severity.WARN)):
        shifted = val.copy()
        shifted.loc[5, "strokes"] = value
        found = [f for f in expectation_findings(run(train, shifted), "expect_column_values_to_be_between")
                 if f.columns[0]["column"] == "strokes"]
        assert [(f.columns[0]["example_rows"], f.severity) for f in found] == [([5], severity)]


def test_a_clean_random_split_of_a_real_data_set_has_no_data_quality_warning():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    frame = load_breast_cancer(as_frame=True).frame
    for seed in range(3):
        train, val = train_test_split(frame, test_size=0.25, random_state=seed, stratify=frame["target"])
        findings = DataQuality().run(from_frames(train.reset_index(drop=True), val.reset_index(drop=True),
                                                 Roles("target")))
        assert max(f.severity for f in findings) == Severity.INFO, [f.message for f in findings
                                                                     if f.severity > Severity.INFO]


def test_only_the_value_beyond_the_widened_range_is_flagged(defects):
    (finding,) = expectation_findings(defects, "expect_column_values_to_be_between")
    assert_has(finding.columns[0], column="f0", split="val", unexpected_count=1, example_rows=[7])
    assert finding.metrics["unexpected_count"] == 1


def test_unseen_categories_are_named_with_their_rows(defects):
    finding = next(f for f in expectation_findings(defects, "expect_column_values_to_be_in_set")
                   if f.metrics["column"] == "colour")
    assert_has(finding.columns[0], column="colour", split="val", unexpected_count=2,
               examples=["purple", "teal"], example_rows=[4, 9])
    assert "purple" in finding.message


def test_one_missing_value_where_train_has_none_is_named(defects):
    (finding,) = expectation_findings(defects, "expect_column_values_to_not_be_null")
    assert_has(finding.columns[0], column="f1", unexpected_count=1, example_rows=[3])


def test_infinite_values_name_their_rows_and_are_spelt_out(defects):
    val_inf = next(f for f in defects if f.metrics["kind"] == "infinite_values" and f.metrics["split"] == "val")
    assert_has(val_inf.columns[0], column="f2", n_rows=2, example_rows=[2, 8], examples=["-inf", "inf"])


def test_formula_like_cells_are_counted_but_negative_numbers_are_not(defects):
    (formula,) = [f for f in defects if f.metrics["kind"] == "formula_like"]
    assert formula.columns[0]["example_rows"] == [1, 2, 3, 4]
    assert formula.metrics["n_cells"] == 4


@pytest.mark.parametrize("n_out, fail_at, severity", [(5, 0.06, Severity.WARN), (6, 0.06, Severity.FAIL),
                                                      (7, 0.06, Severity.FAIL)])
def test_the_unexpected_share_sets_warn_or_fail(pair, n_out, fail_at, severity):
    val = pair.val.copy()
    val.loc[: n_out - 1, "f0"] = 1e6  # n_out of 100 val rows
    (finding,) = expectation_findings(run(pair.train, val, fail_at_fraction=fail_at),
                                      "expect_column_values_to_be_between")
    assert finding.metrics["unexpected_fraction"] == pytest.approx(n_out / 100)
    assert finding.severity == severity
    assert finding.metrics["examples"] == [1e6] * min(n_out, 10)


@pytest.mark.parametrize("val_share, flagged", [(0.12, False), (0.13, True)])
def test_missing_values_may_grow_by_the_margin_only(pair, val_share, flagged):
    train, val = pair.train.copy(), pair.val.copy()
    train.loc[: 29, "f2"] = np.nan  # 10% of train
    val.loc[: int(round(val_share * 100)) - 1, "f2"] = np.nan
    failed = expectation_findings(run(train, val), "expect_column_values_to_not_be_null")
    assert bool(failed) == flagged
    if flagged:
        assert failed[0].columns[0]["column"] == "f2" and failed[0].metrics["unexpected_count"] == 13


def test_a_number_column_read_as_text_fails_its_type_and_is_reported_as_mixed(pair, tmp_path):
    val = pair.val.copy()
    val["f2"] = val["f2"].astype(object)
    val.loc[11, "f2"] = "n/a?"
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    val.to_csv(tmp_path / "val.csv", index=False)
    data = load(tmp_path / "train.csv", tmp_path / "val.csv", ROLES)
    findings = DataQuality().run(data)
    assert problems(findings) == [("expectation", "val", "f2", Severity.FAIL),
                                  ("mixed_types", "val", "f2", Severity.WARN)]
    (typed,) = expectation_findings(findings, "expect_column_values_to_be_in_type_list")
    assert typed.metrics["unexpected_count"] == 100  # every value is text now
    mixed = next(f for f in findings if f.metrics["kind"] == "mixed_types").columns[0]
    assert_has(mixed, n_numbers=99, n_text=1, stray_kind="text", examples=["n/a?"], example_rows=[11])


def test_a_given_suite_replaces_the_inferred_one_and_reports_missing_columns_and_bad_expectations(pair):
    suite = {"name": "mine", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nope"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "f0", "min_value": None,
                                                                   "max_value": 1e9}},
        {"type": "expect_something_unheard_of", "kwargs": {"column": "f0"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "f0"}},
    ]}
    data = load(pair.train, pair.val, ROLES, expectations=suite)
    findings = DataQuality().run(data)
    assert findings[0].metrics["suite_source"] == "given" and findings[0].metrics["n_expectations"] == 4
    invalid = [f for f in findings if f.metrics["kind"] == "invalid_expectation"]
    assert [f.metrics["position"] for f in invalid] == [2, 3]
    assert all(f.severity == Severity.FAIL for f in invalid)
    missing = expectation_findings(findings, "expect_column_values_to_not_be_null")
    assert [(f.metrics["split"], f.severity) for f in missing] == [("train", Severity.FAIL), ("val", Severity.FAIL)]
    assert "nope" in missing[0].message and "does not exist" in missing[0].metrics["error"]
    assert not expectation_findings(findings, "expect_column_values_to_be_between")


def test_suite_json_is_strict_and_loads_back_with_infinity_as_an_open_bound(pair, tmp_path):
    data = from_frames(pair.train, pair.val, ROLES)
    suite = DataQuality().inferred_suite(data)
    text = suite_json(suite)
    assert json.loads(text) == suite
    path = tmp_path / "suite.json"
    path.write_text(text.replace('"max_value": null', '"max_value": Infinity'))
    loaded = load(pair.train, pair.val, ROLES, expectations=path).expectations_suite
    assert "Infinity" not in json.dumps(loaded)
    outcomes, invalid = validate(loaded, data.frames)
    assert not invalid and all(o.success for split in outcomes.values() for o in split)


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ('{"expectations": {}}', 'a suite is a JSON object with an "expectations" list'),
    ('{"expectations": [{"kwargs": {}}]}', 'expectation 0 needs a "type" string'),
])
def test_a_malformed_suite_file_is_an_input_error_naming_the_file(pair, tmp_path, content, message):
    path = tmp_path / "suite.json"
    path.write_text(content)
    with pytest.raises(InputError, match="suite.json: ") as error:
        load(pair.train, pair.val, ROLES, expectations=path)
    assert message in str(error.value)


def test_cli_writes_the_inferred_suite_and_uses_a_given_one(pair, tmp_path, capfd):
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    val = pair.val.copy()
    val.loc[0, "colour"] = "purple"
    val.to_csv(tmp_path / "val.csv", index=False)
    common = ["run", "--no-baseline", "--train", str(tmp_path / "train.csv"), "--val", str(tmp_path / "val.csv"), "--label", LABEL,
              "--id-column", "id", "--group-column", "group", "--time-column", "time",
              "--checks", "data_quality", "--out", str(tmp_path / "out")]
    target = tmp_path / "suites" / "inferred.json"
    assert main([*common, "--write-expectations", str(target)]) == 0
    suite = json.loads(target.read_text())
    assert suite["name"] == "inferred_from_train" and len(suite["expectations"]) > 10
    assert [p.name for p in target.parent.iterdir()] == ["inferred.json"]  # no temporary file left
    out, err = capfd.readouterr()
    assert "purple" in out and "Calculating Metrics" not in err and err == ""

    loose = {"name": "loose", "expectations": [e for e in suite["expectations"]
                                               if e["type"] != "expect_column_values_to_be_in_set"]}
    (tmp_path / "loose.json").write_text(json.dumps(loose))
    assert main([*common, "--expectations", str(tmp_path / "loose.json"), "--format", "json"]) == 0
    report = json.loads(capfd.readouterr().out)
    (check,) = [c for c in report["checks"] if c["check"] == "data_quality"]
    assert [f["severity"] for f in check["findings"]] == ["info"]
    assert check["findings"][0]["metrics"]["suite_source"] == "given"


def test_verbose_lets_great_expectations_show_its_progress(pair, capfd):
    data = load(pair.train, pair.val, ROLES, verbose=True)
    DataQuality().run(data)
    assert "Calculating Metrics" in capfd.readouterr().err
