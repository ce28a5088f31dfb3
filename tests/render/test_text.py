"""The terminal summary: worst first, wrapped at spaces and never cut, coloured only on a terminal,
ending with what to run next."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys

import pytest

from audit.fixes import FixOptions
from audit.render.text import WIDTH, fixes_line, render_text
from audit.run import add_fix_plan
from tests.conftest import LABEL, audit_checks, planted_pair

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SEVERITY_WORDS = ("FAIL", "ERROR", "WARN", "INFO", "skip", "ok")


def entry_words(text: str) -> list[str]:
    """The leading word of every check line, in order."""
    return [line.split()[0] for line in text.splitlines() if line.split() and line.split()[0] in SEVERITY_WORDS]


def test_findings_come_worst_first_and_wrap_whole(planted):
    report = audit_checks(planted.train, planted.val, label=LABEL, id_column="id", group_column="group",
                          time_column="time")
    text = render_text(report, width=WIDTH)

    words = entry_words(text)
    ranks = [SEVERITY_WORDS.index(word) for word in words]
    assert "FAIL" in words and ranks == sorted(ranks)
    assert all(len(line) <= WIDTH for line in text.splitlines() if not line.startswith("      audit fix"))
    assert "..." not in text
    flat = " ".join(text.split())
    for _, finding in report.all_findings:
        assert " ".join(finding.message.split()) in flat  # whole, wherever it wrapped


def test_colour_paints_the_leading_words_only(planted):
    report = audit_checks(planted.train, planted.val, label=LABEL, id_column="id", group_column="group",
                          time_column="time", checks=["class_balance", "exact_leakage"])
    plain = render_text(report, width=WIDTH)
    coloured = render_text(report, width=WIDTH, colour=True)
    assert coloured != plain and ANSI.sub("", coloured) == plain
    assert "\x1b[1;31mFAIL\x1b[0m  exact_leakage" in coloured


def test_the_fix_line_names_only_what_changes(planted):
    report = audit_checks(planted.train, planted.val, label=LABEL, id_column="id", group_column="group",
                          time_column="time", checks=["exact_leakage"])
    add_fix_plan(report, FixOptions())
    line = fixes_line(report.fixes)
    assert re.fullmatch(r"fixes: drop \d+ val rows", line), line
    assert "0" not in line.split(":")[1].split()


def run_in(tmp_path, argv, *, terminal: bool) -> str:
    """What `audit` prints on a terminal (a pseudo-terminal) or into a pipe."""
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("NO_COLOR", None)
    command = [sys.executable, "-m", "audit.cli", *argv]
    if not terminal:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300).stdout
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=follower, stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=300)
    os.close(leader)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_piped_output_is_the_terminal_output_minus_its_colours(tmp_path):
    pair = planted_pair()
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    pair.val.to_csv(tmp_path / "val.csv", index=False)
    argv = ["run", "--no-baseline", "--no-accepted", "--train", str(tmp_path / "train.csv"), "--val",
            str(tmp_path / "val.csv"), "--label", LABEL, "--id-column", "id", "--out", str(tmp_path / "out"),
            "--checks", "class_balance,duplicates,exact_leakage"]
    on_terminal = run_in(tmp_path, argv, terminal=True)
    shutil.rmtree(tmp_path / "out")  # or the second run says it replaced the first one's report
    piped = run_in(tmp_path, argv, terminal=False)
    assert "\x1b[1;31mFAIL\x1b[0m" in on_terminal and "\x1b[" not in piped
    assert ANSI.sub("", on_terminal) == piped
    assert piped.splitlines()[-1].strip().startswith(f"audit fix --train {tmp_path / 'train.csv'} --val ")
    assert "--id-column id" in piped.splitlines()[-1]


@pytest.mark.slow
def test_the_demo_prints_fail_first_whole_lines_and_ends_with_the_next_command(demo_cli_json):
    import json

    printed = (demo_cli_json.parent / "terminal.txt").read_text(encoding="utf-8")
    words = entry_words(printed)
    assert words[:3] == ["FAIL"] * 3 and "FAIL" not in words[3:]
    lines = printed.rstrip("\n").splitlines()
    assert lines[-1].strip().startswith("audit fix --train ") and "--id-column image_id" in lines[-1]
    assert lines[-2].startswith("next: write the fixed splits")
    assert all(len(line) <= WIDTH for line in lines[:-1]) and "..." not in printed
    flat = " ".join(printed.split())
    document = json.loads(demo_cli_json.read_text(encoding="utf-8"))
    for cause in document["diagnosis"]["causes"]:
        assert " ".join(cause["reason"].split()) in flat
