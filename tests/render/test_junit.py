"""JUnit XML: a test case a check and a finding, the gate as failures, valid whatever the data holds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from audit.cli import main
from audit.render.junit import MAX_ROWS_SHOWN, render_junit, xml_text
from audit.runner import run_one
from tests.conftest import LABEL, planted_pair, audit_checks
from tests.render.test_html import Crashes

CHECKS = ["class_balance", "duplicates", "exact_leakage", "group_leakage", "temporal_leakage"]


def cases_of(xml: str) -> tuple[ET.Element, list[ET.Element]]:
    root = ET.fromstring(xml.encode("utf-8"))
    return root, root.findall("./testsuite/testcase")


def test_a_case_per_check_and_per_finding_with_the_gate_as_failures():
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, label=LABEL, id_column="id", ignore=["group", "time"], checks=CHECKS)
    report.results.append(run_one(report.data, Crashes("out of memory")))
    root, cases = cases_of(render_junit(report))

    findings = report.all_findings
    gating = [f for _, f in findings if f.severity >= report.fail_on]
    assert len(cases) == len(report.results) + len(findings)
    suite = root.find("testsuite")
    for element in (root, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(len(gating)) != "0"
        assert element.get("errors") == "1"
        assert element.get("skipped") == "2"  # no group column, no time column

    by_name = {(c.get("classname"), c.get("name")): c for c in cases}
    skipped = by_name[("dataset-audit.group_leakage", "group_leakage")].find("skipped")
    assert skipped.get("message") == "no group column was given (--group-column)"
    error = by_name[("dataset-audit.crashes", "crashes")].find("error")
    assert error.get("message") == "ValueError: out of memory" and "Traceback" in error.text

    leak = next(f for _, f in findings if f.code == "exact_leakage")
    failure = by_name[("dataset-audit.exact_leakage", "exact_leakage")].find("failure")
    assert failure.get("message") == leak.message and failure.get("type") == "fail"
    assert f"row={leak.rows[0]['row']}, train_row={leak.rows[0]['train_row']}" in failure.text
    names = [c.get("name") for c in cases if c.get("classname") == "dataset-audit.class_balance"]
    assert "class_imbalance [train]" in names and "class_imbalance [val]" in names
    assert len(names) == len(set(names))
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["passed"] == "false" and properties["exit_code"] == "3"


def test_fail_on_warn_makes_warnings_failures_and_long_evidence_is_cut():
    pair = planted_pair(n_train=1500, n_val=400, n_each=60)
    report = audit_checks(pair.train, pair.val, label=LABEL, id_column="id", checks=["duplicates"], fail_on="warn")
    root, cases = cases_of(render_junit(report))
    assert root.get("failures") == str(len(report.all_findings))
    duplicates = next(f for _, f in report.all_findings if f.code == "exact_duplicates")
    text = next(c for c in cases if c.get("name").startswith("exact_duplicates")).find("failure").text
    assert f"{len(duplicates.rows) - MAX_ROWS_SHOWN} more rows in the JSON report" in text
    assert text.count("row=") == MAX_ROWS_SHOWN


def test_any_data_gives_well_formed_xml():
    nasty = ["a\x00b", "\x1b[31mred\x1b[0m", "tab\there", "]]>", "<&>'\"", "\x0bvt\x0c", "ok\uffff"]
    train = pd.DataFrame({"x\x01": range(40), "y": [nasty[i % len(nasty)] for i in range(40)]})
    train = pd.concat([train, train.iloc[:3]], ignore_index=True)
    val = train.iloc[:10].copy()
    report = audit_checks(train, val, label="y", checks=["class_balance", "duplicates", "exact_leakage"])
    # A lone surrogate cannot sit in a pandas string column, but an exception message can hold one.
    report.results.append(run_one(report.data, Crashes("bad \x00 byte ]]> <tag> \x1b[0m \ud800")))
    xml = render_junit(report)
    root, cases = cases_of(xml)  # expat refuses anything XML 1.0 forbids
    assert all(ch not in xml for ch in "\x00\x01\x1b\x0b\x0c\ud800\uffff")
    crash = next(c for c in cases if c.get("name") == "crashes").find("error")
    assert crash.get("message") == "ValueError: bad  byte ]]> <tag> [0m "
    labels = {c.get("name") for c in cases}
    assert "class_imbalance [train]" in labels
    assert xml_text("a\tb\nc\rd\u00e9\U0001f600") == "a\tb\nc\rd\u00e9\U0001f600"


def test_cli_writes_junit_to_the_given_path(tmp_path):
    pair = planted_pair()
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    pair.val.to_csv(tmp_path / "val.csv", index=False)
    target = tmp_path / "ci" / "audit.xml"
    code = main(["run", "--no-baseline", "--train", str(tmp_path / "train.csv"), "--val", str(tmp_path / "val.csv"),
                 "--label", LABEL, "--id-column", "id", "--checks", "duplicates", "--out", str(tmp_path / "out"),
                 "--junit", str(target), "--quiet"])
    root, cases = cases_of(target.read_text(encoding="utf-8"))
    assert code == 1 and int(root.get("failures")) >= 1 and len(cases) >= 3
    assert [p.name for p in target.parent.iterdir()] == ["audit.xml"]  # no temporary file left
