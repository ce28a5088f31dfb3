"""Exact checks on a pair with planted defects: every flagged row, and nothing else."""

from __future__ import annotations

import pytest

from checks import Severity
from tests.conftest import LABEL, findings_by_code, flagged, audit_checks

ROLES = dict(label=LABEL, id_column="id", group_column="group", time_column="time")


@pytest.fixture
def planted_report(planted):
    return audit_checks(planted.train, planted.val, **ROLES)


def test_exact_duplicates_flags_every_later_copy_with_its_first_occurrence(planted, planted_report):
    assert flagged(planted_report, "exact_duplicates", "train", "duplicate_of") == planted.truth["exact_duplicates"]
    assert flagged(planted_report, "exact_duplicates", "val") == set()


def test_conflicting_labels_flags_every_member_of_a_conflicting_group(planted, planted_report):
    within = {r["row"] for f in findings_by_code(planted_report, "conflicting_labels") for r in f.rows
              if r["split"] == "train"}
    across = {r["row"] for f in findings_by_code(planted_report, "conflicting_labels") for r in f.rows
              if r["split"] == "val"}
    assert within == planted.truth["conflicting_labels"]
    assert across == planted.truth["conflicting_across"]


def test_exact_leakage_names_the_train_row_and_ignores_the_label(planted, planted_report):
    assert flagged(planted_report, "exact_leakage", "val", "train_row") == planted.truth["exact_leakage"]
    # Half of the leaked rows were relabelled: they must be caught all the same.
    assert planted.truth["conflicting_across"] < {r for r, _ in planted.truth["exact_leakage"]}


def test_group_and_temporal_leakage_flag_exactly_the_planted_val_rows(planted, planted_report):
    assert flagged(planted_report, "group_leakage", "val") == planted.truth["group_leakage"]
    assert flagged(planted_report, "temporal_leakage", "val") == planted.truth["temporal_leakage"]
    group = findings_by_code(planted_report, "group_leakage")[0]
    assert group.severity == Severity.FAIL
    assert group.metrics["n_groups"] == len(group.metrics["group_ids"]) > 0


def test_severities_of_planted_defects(planted_report):
    severity = {f.code: f.severity for _, f in planted_report.all_findings if f.code != "class_imbalance"}
    # 24 of 648 train rows repeat another (3.7%): below the 5% failure line, so a warning.
    assert severity["exact_duplicates"] == Severity.WARN
    assert severity["exact_leakage"] == Severity.FAIL
    assert severity["temporal_leakage"] == Severity.FAIL
    assert not planted_report.passed and planted_report.exit_code == 1


def test_clean_pair_has_no_exact_findings(clean):
    report = audit_checks(clean.train, clean.val, **ROLES)
    assert all(f.severity == Severity.INFO for _, f in report.all_findings)
    codes = {f.code for _, f in report.all_findings}
    assert not codes & {"exact_duplicates", "conflicting_labels", "exact_leakage", "group_leakage",
                        "temporal_leakage", "unseen_labels"}
    assert report.passed and report.exit_code == 0


def test_integer_and_float_spellings_of_a_value_are_the_same_row(tmp_path):
    (tmp_path / "train.csv").write_text("a,b,y\n1,2,x\n3,4,z\n5,6,x\n")
    (tmp_path / "val.csv").write_text("a,b,y\n1.0,2.00,x\n7.5,8,z\n")
    report = audit_checks(tmp_path / "train.csv", tmp_path / "val.csv", label="y")
    assert flagged(report, "exact_leakage", "val", "train_row") == {(0, 0)}


def test_numbers_stored_as_text_in_one_split_still_match(tmp_path):
    (tmp_path / "train.csv").write_text("a,b,y\n1,2,x\n3,4,z\n")
    (tmp_path / "val.csv").write_text("a,b,y\n1,2,x\noops,4,z\n")  # b is numeric, a is text in val
    report = audit_checks(tmp_path / "train.csv", tmp_path / "val.csv", label="y")
    assert flagged(report, "exact_leakage", "val", "train_row") == {(0, 0)}


def test_split_column_keeps_row_numbers_of_the_single_file(tmp_path):
    path = tmp_path / "all.csv"
    path.write_text("a,y,part\n1,x,train\n2,z,train\n9,x,val\n1,x,val\n")
    report = audit_checks(path, label="y", split_column="part")
    assert flagged(report, "exact_leakage", "val", "train_row") == {(3, 0)}


def test_an_undeclared_row_counter_is_left_out_of_the_comparison_and_said(planted):
    """A leading index column written by ``to_csv`` makes every row unique; rows must still match."""
    train, val = planted.train.copy(), planted.val.copy()
    train.insert(0, "Unnamed: 0", range(len(train)))
    val.insert(0, "Unnamed: 0", range(len(train), len(train) + len(val)))
    report = audit_checks(train, val, **ROLES, checks=["duplicates", "exact_leakage"])
    assert flagged(report, "exact_duplicates", "train", "duplicate_of") == planted.truth["exact_duplicates"]
    assert flagged(report, "exact_leakage", "val", "train_row") == planted.truth["exact_leakage"]
    for code in ("exact_duplicates", "exact_leakage", "conflicting_labels"):
        for finding in findings_by_code(report, code):
            assert finding.metrics["columns_left_out"] == ["Unnamed: 0"]
            assert "compared without 'Unnamed: 0'" in finding.message and "--id-column" in finding.message


def test_a_unique_measurement_stays_in_the_comparison(planted):
    """Unique per row but neither counting up nor filling its range: a feature, not a counter."""
    train = planted.train.copy()
    train["reading"] = [7 * i * i + 3 for i in range(len(train))]
    train = train.sample(frac=1, random_state=0)
    report = audit_checks(train.reset_index(drop=True), planted.val.assign(reading=1), **ROLES,
                          checks=["duplicates"])
    assert not findings_by_code(report, "exact_duplicates")
