"""The next step: the audit fix command repeats the run's roles and options; remedies rank by measured effect."""

from __future__ import annotations

import shlex
from dataclasses import replace

from audit.fixes import FixOptions
from audit.next_step import Remedy, fix_command, ranked
from audit.run import add_fix_plan
from tests.conftest import LABEL, audit_checks


def test_measured_gains_rank_first_then_predicted_then_unmeasured():
    remedies = [Remedy("unmeasured", "", "", None), Remedy("predicted", "", "", 0.6, predicted=True),
                Remedy("small", "", "", 0.05), Remedy("large", "", "", 0.37), Remedy("worse", "", "", -0.1)]
    assert [r.title for r in ranked(remedies)] == ["large", "small", "worse", "predicted", "unmeasured"]


def test_the_fix_command_repeats_the_files_roles_seed_and_options(planted, tmp_path):
    report = audit_checks(planted.train, planted.val, label=LABEL, id_column="id", group_column="group",
                          time_column="time", checks=["exact_leakage"])
    assert fix_command(report) is None  # DataFrames: there is no file to name
    train, val = tmp_path / "my train.csv", tmp_path / "val.csv"
    report.data = replace(report.data, sources={"train": str(train), "val": str(val)}, ignored=("note",))
    report.settings = {"seed": 7, "out": str(tmp_path / "out"), "checks": ["exact_leakage"]}
    add_fix_plan(report, FixOptions(relabel=True))
    assert shlex.split(fix_command(report)) == [
        "audit", "fix", "--train", str(train), "--val", str(val), "--label", LABEL, "--id-column", "id",
        "--group-column", "group", "--time-column", "time", "--ignore", "note", "--checks", "exact_leakage",
        "--seed", "7",
        "--out", str(tmp_path / "out"), "--relabel"]


def test_the_header_and_the_terminal_end_on_the_command(planted, tmp_path):
    from audit.render.html import render_html
    from audit.render.text import render_text
    from tests.render.test_html import parse

    report = audit_checks(planted.train, planted.val, label=LABEL, id_column="id", checks=["duplicates"])
    report.data = replace(report.data, sources={"train": str(tmp_path / "t.csv"), "val": str(tmp_path / "v.csv")})
    command = fix_command(report)
    header = parse(render_html(report)).root.find(id="verdict")
    assert header.find(id="next-step").find("code").content() == command
    assert render_text(report).rstrip("\n").splitlines()[-1].strip() == command


def test_a_plan_that_changes_nothing_names_no_fix_command(clean, tmp_path):
    from audit.render.text import render_text

    report = audit_checks(clean.train, clean.val, label=LABEL, id_column="id", checks=["duplicates", "exact_leakage"])
    report.data = replace(report.data, sources={"train": str(tmp_path / "t.csv"), "val": str(tmp_path / "v.csv")})
    add_fix_plan(report, FixOptions())
    assert not report.fixes.changes_anything
    assert fix_command(report) is None
    assert "audit fix" not in render_text(report)
