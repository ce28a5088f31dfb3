"""Gating: config files under flags, config errors, accepted findings, and CI output formats."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audit.cli import main
from audit.render.github import render_annotations, render_summary
from tests.conftest import LABEL, planted_pair, audit_checks


@pytest.fixture
def pair_files(tmp_path, monkeypatch):
    """The planted pair as CSV files, with the working folder set to tmp_path."""
    monkeypatch.chdir(tmp_path)
    pair = planted_pair()
    pair.train.to_csv("train.csv", index=False)
    pair.val.to_csv("val.csv", index=False)
    return pair


RUN = ["run", "--no-baseline", "--train", "train.csv", "--val", "val.csv", "--out", "out", "--quiet"]


def settings_echo():
    return json.loads(open("out/train.json").read())["settings"]


def test_flags_override_the_config_file_which_overrides_defaults(pair_files):
    open("audit.toml", "w").write(
        f'label = "{LABEL}"\nid_column = "id"\nchecks = ["duplicates"]\nfail_on = "warn"\n'
        '[params.duplicates]\nconflict_fail_at_fraction = 0.5\n'
    )
    assert main(RUN) == 1  # duplicates and conflicts warn, and the file gates on warn
    assert settings_echo()["fail_on"] == "warn"
    assert settings_echo()["params"] == {"duplicates": {"conflict_fail_at_fraction": 0.5}}
    assert main(RUN + ["--fail-on", "fail"]) == 0  # the flag wins over the file
    assert settings_echo()["fail_on"] == "fail"
    assert main(RUN + ["--checks", "class_balance"]) == 0
    assert settings_echo()["checks"] == ["class_balance"]


def test_pyproject_tool_audit_table_and_severity_override(pair_files):
    open("pyproject.toml", "w").write(
        f'[project]\nname = "x"\n[tool.audit]\nlabel = "{LABEL}"\nid_column = "id"\nchecks = ["duplicates"]\n'
        '[tool.audit.severity]\nexact_duplicates = "fail"\n'
    )
    assert main(RUN) == 1
    report = json.loads(open("out/train.json").read())
    severities = {f["code"]: f["severity"] for c in report["checks"] for f in c["findings"]}
    assert severities["exact_duplicates"] == "fail"


CONFIG_ERRORS = [
    ("audit.toml", 'fail_onn = "warn"', "audit.toml: unknown key 'fail_onn'; did you mean 'fail_on'?"),
    ("audit.toml", 'fail_on = "error"', "audit.toml: fail_on must be one of 'warn', 'fail'; got 'error'"),
    ("audit.toml", 'seed = "one"', "audit.toml: seed must be an integer >= 0; got 'one'"),
    ("audit.toml", 'ignore = "x"', "audit.toml: ignore must be a list of strings; got 'x'"),
    ("audit.toml", '[severity]\nlabel_shift = "bad"', "audit.toml: severity.label_shift must be one of 'info', 'warn', 'fail'; got 'bad'"),
    ("audit.toml", '[severity]\nlabel_shfit = "fail"', "audit.toml: severity: unknown finding code 'label_shfit'; did you mean 'label_shift'"),
    ("audit.toml", '[params.duplicates]\nfail_at = 0.1', "audit.toml: 'fail_at' is not a parameter of the 'duplicates' check"),
    ("audit.toml", '[params.duplicates]\nfail_at_fraction = 2', "audit.toml: The 'fail_at_fraction' parameter of the 'duplicates' check must be a float in [0, 1]. Got 2 instead."),
    ("audit.toml", 'checks = ["duplicate"]', "audit.toml: unknown check 'duplicate'"),
    ("audit.toml", '[baseline]\nseeds = 3\nmodle = "wide"', "audit.toml: baseline: unknown key 'modle'; did you mean 'model'"),
    ("audit.toml", 'label = ', "audit.toml: not valid TOML"),
    ("pyproject.toml", '[tool.audit]\nfail_on = 1', "pyproject.toml: [tool.audit]: fail_on must be one of 'warn', 'fail'; got 1"),
]


@pytest.mark.parametrize("file, content, message", CONFIG_ERRORS, ids=[c[2][:40] for c in CONFIG_ERRORS])
def test_config_errors_name_the_file_the_key_and_the_allowed_values(pair_files, capsys, file, content, message):
    open(file, "w").write(content + "\n")
    assert main(RUN + ["--label", LABEL]) == 2
    assert message in capsys.readouterr().err


ROLES = ["--label", LABEL, "--id-column", "id", "--group-column", "group", "--time-column", "time"]
ACCEPT = ["accept", "--no-baseline", "--train", "train.csv", "--val", "val.csv", "--out", "out", *ROLES]
GATE = RUN + ROLES + ["--fail-on", "warn"]


def test_accept_then_rerun_passes_and_a_new_duplicate_fails(pair_files):
    assert main(GATE) == 1
    assert main(ACCEPT) == 0
    assert main(GATE) == 0
    train = pd.read_csv("train.csv", keep_default_na=False)
    copy = train.iloc[[5]].assign(id="new-copy")
    pd.concat([train, copy], ignore_index=True).to_csv("train.csv", index=False)
    assert main(GATE) == 1
    report = json.loads(open("out/train.json").read())
    duplicates = next(f for c in report["checks"] for f in c["findings"] if f["code"] == "exact_duplicates")
    assert duplicates["baseline_status"] == "worsened" and duplicates["new_rows"] == 1


def test_reordering_the_rows_of_an_accepted_dataset_still_passes(pair_files):
    assert main(ACCEPT) == 0
    for name in ("train.csv", "val.csv"):
        frame = pd.read_csv(name, keep_default_na=False)
        frame.iloc[::-1].to_csv(name, index=False)
    assert main(GATE) == 0
    assert main(GATE + ["--no-accepted"]) == 1


def test_github_format_escapes_workflow_commands_in_values(tmp_path):
    hostile = "x\n::error::owned%0A"
    train = pd.DataFrame({"a": [1, 2, 3, 1], "y": [hostile, "b", "b", "b"]})
    report = audit_checks(train, label="y", checks=["duplicates", "class_balance"])
    annotations = render_annotations(report)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations.splitlines())
    assert "x%0A::error::owned%250A" in annotations  # the newline and the percent sign are escaped
    assert not any(line.startswith("::error::") for line in annotations.splitlines())
    summary = render_summary(report)
    assert "## Dataset audit failed" in summary and "::error::owned" not in summary.split("|")[0]


def test_github_format_writes_the_job_summary(pair_files, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", "summary.md")
    assert main(GATE + ["--format", "github"]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("::") and "title=exact_leakage (exact_leakage)::" in printed
    assert "| fail | `exact_leakage` |" in open("summary.md").read()
