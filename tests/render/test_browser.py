"""The HTML report in a real browser: headless Chromium opens it from a file:// path.

Chromium parses the file as a user's browser would, so these tests see the DOM a reader
gets: the verdict, every check, the learning curves, and no element the data smuggled in.
Without Chromium they skip, except under CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from audit.output import write_atomic
from audit.render.html import render_html
from audit.runner import run_one
from bench.bench_html import CHROMIUM_FLAGS, dump_dom_seconds, large_report
from tests.conftest import LABEL, planted_pair, audit_checks
from tests.render.test_html import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    PAYLOADS,
    Crashes,
    hostile_report,
    parse,
    synthetic_baseline,
)

pytestmark = pytest.mark.slow

SCREEN = (1280, 4000)
MAX_LOAD_S = 3.0


@pytest.fixture(scope="module")
def chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        reason = f"no Chromium at {path} (install Debian's chromium, or set CHROMIUM to its path)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires the browser tests to run")
        pytest.skip(reason)
    return path


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path)


def open_report(chromium: str, tmp_path: Path, html: str) -> tuple[Path, str]:
    """Write the report, screenshot it at SCREEN and return (the PNG, the DOM Chromium built)."""
    page = write_atomic(tmp_path / "report.html", html)
    shot = tmp_path / "report.png"
    run_chromium(chromium, tmp_path, "--hide-scrollbars", f"--window-size={SCREEN[0]},{SCREEN[1]}",
                 f"--screenshot={shot}", page.as_uri())
    dom = run_chromium(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout
    return shot, dom


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_report_reads_in_the_browser(chromium, tmp_path):
    pair = planted_pair()
    report = audit_checks(pair.train, pair.val, label=LABEL, id_column="id", group_column="group",
                       time_column="time", checks=["class_balance", "duplicates", "exact_leakage",
                                                   "group_leakage", "temporal_leakage"])
    report.results.append(run_one(report.data, Crashes("the check ran out of memory")))
    report.baseline = synthetic_baseline()
    shot, dom = open_report(chromium, tmp_path, render_html(report))

    assert png_size(shot) == SCREEN
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few kB

    tree = parse(dom)
    verdict = tree.root.find(id="verdict")
    assert verdict.find("h1").content() == "Gate failed"
    assert "The data is to blame" in verdict.content()
    for i, result in enumerate(report.results):
        section = tree.root.find(id=f"check-{i}-{result.check}")
        assert section.find("h3").content() == result.check
    assert "ValueError: the check ran out of memory" in tree.root.find(id=f"check-{len(report.results) - 1}-crashes").content()

    baseline = tree.root.find(id="baseline")
    charts = {svg.attrs.get("aria-label"): svg for svg in baseline.find_all("svg")}
    raw = charts["Learning curves, raw data: loss by epoch"]
    assert "val stalls · epoch 7" in raw.content()
    assert len(raw.find_all("path")) >= 6  # three curves and their bands
    assert "Learning curves, fixed data: loss by epoch" in charts


def test_the_browser_builds_no_element_from_the_data(chromium, tmp_path):
    _, dom = open_report(chromium, tmp_path, render_html(hostile_report(tmp_path / "data")))
    tree = parse(dom)
    for tag, attrs in tree.elements:
        assert tag in ALLOWED_TAGS, f"the browser built <{tag}>"
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES and not name.startswith("on"), f"{name}= on <{tag}>"
            assert name != "href" or value.startswith("#")
    text = tree.root.content()
    assert all(payload in text for payload in PAYLOADS)


def test_a_large_audit_opens_within_three_seconds(chromium, tmp_path):
    report = large_report(100_000, 10_000)
    assert sum(len(f.rows) for _, f in report.all_findings) >= 10_000
    page = write_atomic(tmp_path / "large.html", render_html(report))
    assert page.stat().st_size < 2_000_000
    blank = write_atomic(tmp_path / "blank.html", "<!DOCTYPE html><title>blank</title>")
    blank_s, _ = dump_dom_seconds(blank.as_uri(), runs=2)
    load_s, dom = dump_dom_seconds(page.as_uri(), runs=2)
    # The browser's own start-up is not the report's: compare with an empty page.
    assert load_s - blank_s < MAX_LOAD_S, f"report {load_s:.2f} s, empty page {blank_s:.2f} s"
    assert "Gate failed" in dom and "more rows in the JSON" in dom
