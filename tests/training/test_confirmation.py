"""Findings the baseline refutes are marked "not confirmed" in the JSON, the terminal, the HTML,
JUnit and the GitHub annotations and job summary.

The planted pair carries duplicates, leakage and conflicting labels in one plan; the
baseline's results are built by hand (tests/training/fakes.py) so that each rule is met or
missed on purpose: the fixes together made the clean loss worse (every applied family is
refuted), one family's attribution run made it worse (only that family), the fixes helped
(nothing is refuted). Real training of the same marks: tests/training/test_refutation.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import xml.etree.ElementTree as ET

import jsonschema
import pytest
from markdown_it import MarkdownIt

import audit.training.confirmation as confirmation
from audit.render.github import render_annotations, render_summary

from audit.fixes import FixOptions
from audit.render.html import render_html
from audit.render.junit import render_junit
from audit.render.text import NOT_CONFIRMED, render_text
from audit.run import add_fix_plan
from audit.training.attribution import FAMILIES, Attribution, FamilyEffect, FamilyRun, _moved_most
from checks import Severity
from tests.conftest import LABEL, audit_checks, planted_pair
from tests.training.fakes import alike, fake_baseline, fake_run, spread

SCHEMA = json.loads((Path(__file__).parents[2] / "audit" / "report_schema.json").read_text())
RAW = dict(best_val_loss=0.55, reference_loss_at_best=0.558, val_loss_end=0.56, reference_loss_end=0.56,
           end_gap=0.1, climb_after_stall=0.0, reference_climb=0.0, reference_end_gap=0.1)


@pytest.fixture(scope="module")
def planted_report():
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, label=LABEL, id_column="id", group_column="group",
                          time_column="time", checks=["duplicates", "exact_leakage", "class_balance"])
    add_fix_plan(report, FixOptions())
    return report


def _runs(fixed_reference_loss: float) -> tuple:
    raw = fake_run(alike(RAW), val_rows=200, reference_rows=200)
    fixed = fake_run([{**RAW, "reference_loss_at_best": fixed_reference_loss + d} for d in (-0.01, 0.0, 0.01)],
                     val_rows=200, reference_rows=200)
    return raw, fixed


def _effect(reference_loss: float, std: float = 0.01) -> FamilyEffect:
    drop = 0.558 - reference_loss
    return FamilyEffect(reference_loss=reference_loss, reference_loss_raw=0.558, reference_loss_drop=spread(drop, std),
                        reference_loss_drop_relative=drop / 0.558, reference_loss_drop_beyond_spread=drop > 2 * std,
                        end_gap=0.1, end_gap_raw=0.1, val_inflation_relative=0.0, val_inflation_relative_raw=0.0,
                        train_rows=500, val_rows=200)


def _attribution(losses: dict[str, float]) -> Attribution:
    families = tuple(FamilyRun(family, FAMILIES[family], 10, 0, 0, effect=_effect(losses[family]))
                     for family in FAMILIES)
    return Attribution(families, None, "attributed")


def _with(report, baseline):
    return replace(report, baseline=baseline)


def _marked(document: dict) -> dict[str, list[str]]:
    """Per code, the reasons of the findings marked not confirmed."""
    marked: dict[str, list[str]] = {}
    for check in document["checks"]:
        for finding in check["findings"]:
            if "confirmed" in finding:
                assert finding["confirmed"] is False
                marked.setdefault(finding["code"], []).append(finding["not_confirmed_reason"])
    return marked


def _applied_codes(report) -> set[str]:
    return {code for action in report.plan.actions for code in action.reasons}


def test_fixes_that_made_the_model_worse_mark_every_applied_finding(planted_report) -> None:
    report = _with(planted_report, fake_baseline(*_runs(0.637)))
    assert report.baseline.verdict.code == "fixes_hurt"
    document = json.loads(report.to_json())
    jsonschema.validate(document, SCHEMA)
    marked = _marked(document)
    applied = _applied_codes(report)
    assert {"exact_duplicates", "exact_leakage", "conflicting_labels"} <= applied
    assert set(marked) == applied  # class_imbalance changes no row: it was not tested, so not refuted
    reason = marked["exact_duplicates"][0]
    assert "from 0.558 to 0.637" in reason and "14% higher" in reason and "--attribute" in reason

    text = render_text(report)
    for line in text.splitlines():
        if line.split()[:1] in (["FAIL"], ["WARN"], ["INFO"]):
            code = line.split()[1].rstrip(":")
            assert (f"[{NOT_CONFIRMED}]" in line) == (code in applied), line
    assert f"baseline: the findings marked [{NOT_CONFIRMED}] are refuted: the fixes raised" in text

    html = render_html(report)
    n_marked = sum(len(reasons) for reasons in marked.values())
    assert html.count('class="badge b-not-confirmed"') == 2 * n_marked  # in the overview and beside the finding
    assert html.count('<p class="not-confirmed">Not confirmed by the baseline: the fixes raised') == n_marked


def test_an_attribution_run_that_made_the_loss_worse_refutes_its_family_alone(planted_report) -> None:
    # the fixes together helped; alone the label fixes hurt, duplicates and leakage helped
    baseline = fake_baseline(*_runs(0.40))
    assert baseline.verdict.code == "data"
    baseline = replace(baseline, attribution=_attribution({"duplicates": 0.45, "leakage": 0.55, "labels": 0.70}))
    marked = _marked(_with(planted_report, baseline).to_dict())
    assert set(marked) == {"conflicting_labels"}
    assert marked["conflicting_labels"][0].startswith("the labels fixes alone raised the baseline's loss on the "
                                                      "clean reference set from 0.558 to 0.700 (25% higher")


def test_fixes_that_helped_or_changed_little_confirm_every_finding(planted_report) -> None:
    helped = replace(fake_baseline(*_runs(0.40)), attribution=_attribution(
        {"duplicates": 0.45, "leakage": 0.55, "labels": 0.50}))
    within_spread = fake_baseline(*_runs(0.60))  # 8% higher: under the 10% a refutation takes
    for baseline in (helped, within_spread, None):
        report = _with(planted_report, baseline)
        assert len(report.unconfirmed) == 0
        assert _marked(report.to_dict()) == {}
        assert NOT_CONFIRMED not in render_text(report) and "b-not-confirmed\"" not in render_html(report)


def test_findings_the_plan_did_not_apply_are_not_refuted(planted_report) -> None:
    """Flagged at info, a finding changes no row by default, so the baseline did not test it."""
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, label=LABEL, id_column="id", group_column="group",
                          time_column="time", checks=["duplicates"], severity={"exact_duplicates": "info"})
    add_fix_plan(report, FixOptions())
    report = _with(report, fake_baseline(*_runs(0.637)))
    assert [f.severity for _, f in report.all_findings if f.code == "exact_duplicates"] == [Severity.INFO]
    assert "exact_duplicates" not in _marked(report.to_dict())


def test_a_family_that_made_the_loss_worse_did_not_move_the_numbers_most() -> None:
    """Val keeps hard rows, so its loss sits above the reference loss (negative inflation); the label fixes
    raise it further, which removes no inflation: the small clean set once named them as the family that
    moved the numbers most."""
    hurt = replace(_effect(0.639, std=0.05), val_inflation_relative_raw=-0.2, val_inflation_relative=-0.35)
    assert hurt.inflation_removed == 0.0
    assert _moved_most([FamilyRun("labels", FAMILIES["labels"], 14, 0, 0, effect=hurt)]) is None
    leak = replace(_effect(0.558), val_inflation_relative_raw=0.25, val_inflation_relative=-0.05)
    assert leak.inflation_removed == pytest.approx(0.25)  # all of it, not more


def _junit_marks(report) -> dict[str, list[str]]:
    """Per finding test case name, its not-confirmed reason from the case's properties; checked against its
    failure message or output."""
    marks = {}
    for case in ET.fromstring(render_junit(report).encode("utf-8")).iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome = case.find("failure")
        said = outcome.get("message") + "\n" + outcome.text if outcome is not None else case.find("system-out").text
        if properties:
            assert properties["confirmed"] == "false"
            assert said.startswith(f"[{NOT_CONFIRMED}] ") or outcome is None
            assert f"{NOT_CONFIRMED} by the baseline: {properties['not_confirmed_reason']}" in said
            marks[case.get("name")] = properties["not_confirmed_reason"]
        else:
            assert NOT_CONFIRMED not in said
    return marks


def test_junit_and_github_outputs_mark_the_refuted_findings_with_the_reason(planted_report) -> None:
    report = _with(planted_report, fake_baseline(*_runs(0.637)))
    applied = _applied_codes(report)
    n_marked = sum(len(reasons) for reasons in _marked(report.to_dict()).values())

    marks = _junit_marks(report)
    assert len(marks) == n_marked and {name.split()[0] for name in marks} == applied
    assert all("from 0.558 to 0.637" in reason for reason in marks.values())

    annotations = render_annotations(report).splitlines()
    refuted = [line for line in annotations if f"[{NOT_CONFIRMED}]" in line]
    assert len(refuted) == n_marked and {line.split("title=")[1].split()[0] for line in refuted} == applied
    assert all(f"({NOT_CONFIRMED} by the baseline: the fixes raised" in line for line in refuted)

    summary = render_summary(report)
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "`" in line]
    assert sum(f"**{NOT_CONFIRMED}** by the baseline: the fixes raised" in row for row in rows) == n_marked
    assert all(("**" in row) == (row.split("`")[1] in applied) for row in rows)


def test_junit_and_github_outputs_confirm_everything_when_the_fixes_helped(planted_report) -> None:
    report = _with(planted_report, fake_baseline(*_runs(0.40)))
    assert _junit_marks(report) == {}
    assert NOT_CONFIRMED not in render_annotations(report) + render_summary(report)


def test_a_reason_reaching_xml_workflow_commands_and_markdown_stays_text(planted_report, monkeypatch) -> None:
    hostile = "x\n::error::owned%0A | [link](https://evil.example) <b>]]></b> \x00 *em*"
    refuted = (confirmation.Refutation("duplicates", FAMILIES["duplicates"], hostile),)
    monkeypatch.setattr(confirmation, "refutations", lambda baseline: refuted)
    report = _with(planted_report, fake_baseline(*_runs(0.637)))

    assert set(_junit_marks(report).values()) == {hostile.replace("\x00", "")}  # well-formed, read back as written
    annotations = render_annotations(report)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations.splitlines())
    assert "x%0A::error::owned%250A" in annotations
    summary = render_summary(report)
    html = MarkdownIt("commonmark").enable(["table"]).render(summary)
    marked = [line for line in summary.splitlines() if f"**{NOT_CONFIRMED}**" in line]
    assert marked and all(line.count(" | ") == 4 for line in marked)  # the reason stays in its cell
    assert "<a " not in html and "<b>" not in html and "<em>" not in html and "https://" not in html
