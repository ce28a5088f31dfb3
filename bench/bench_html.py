"""Size and load time of the HTML report for a large audit.

Builds a 100,000-row train/val pair with 10,000 flagged rows (exact duplicates in train,
val rows copied from train), audits it, writes the HTML report, and opens it in headless
Chromium. Prints the row counts, the file size and the times:

    /work/venv/bin/python bench/bench_html.py [--rows 100000] [--flagged 10000] [--all-checks]

The load time is the wall time of ``chromium --dump-dom`` on the file minus the same on an
empty page (the browser's own start-up), both the best of three runs.
tests/render/test_html.py and tests/render/test_browser.py import :func:`large_report` from here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

LABEL = "label"
ID_COLUMN = "row_id"
FAST_CHECKS = ("class_balance", "duplicates", "exact_leakage")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


def large_pair(n_rows: int = 100_000, n_flagged: int = 10_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train (80 %) and val (20 %) with ``n_flagged`` planted rows: 60 % duplicates, 40 % leaks.

    Features are continuous, so rows collide only where planted; the label follows the
    features, so a label-noise check has little to flag.
    """
    rng = np.random.default_rng(seed)
    n_val = n_rows // 5
    n_train = n_rows - n_val
    n_leaked = int(n_flagged * 0.4)
    n_duplicated = n_flagged - n_leaked
    features = rng.normal(size=(n_rows, 8)).round(6)
    frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(8)])
    frame["colour"] = rng.choice(["red", "green", "blue", "amber"], n_rows)
    frame["note"] = [f"sample text {i % 997}" for i in range(n_rows)]
    score = features[:, 0] + 0.5 * features[:, 1]
    frame[LABEL] = np.digitize(score, [-1.0, 0.0, 1.0]).astype(str)
    frame[LABEL] = "class_" + frame[LABEL]
    train = frame.iloc[:n_train].reset_index(drop=True)
    val = frame.iloc[n_train:].reset_index(drop=True)
    feature_columns = [c for c in train.columns if c != LABEL]
    duplicated = rng.choice(n_train - n_duplicated, n_duplicated, replace=False)
    train.iloc[n_train - n_duplicated:, :] = train.iloc[duplicated].to_numpy()
    leaked = rng.choice(n_train - n_duplicated, n_leaked, replace=False)
    val.loc[: n_leaked - 1, feature_columns] = train.loc[leaked, feature_columns].to_numpy()
    val.loc[: n_leaked - 1, LABEL] = train.loc[leaked, LABEL].to_numpy()
    for split, prefix in ((train, "t"), (val, "v")):
        split.insert(0, ID_COLUMN, [f"{prefix}{i:06d}" for i in range(len(split))])
        for column in [f"x{i}" for i in range(8)]:
            split[column] = split[column].astype(float)
    return train, val


def large_report(n_rows: int = 100_000, n_flagged: int = 10_000, seed: int = 0, checks=FAST_CHECKS):
    """Audit the large pair (by default with the checks that need no model) and return the report."""
    from audit.api import audit_data, load
    from audit.data import Roles

    train, val = large_pair(n_rows, n_flagged, seed)
    data = load(train, val, Roles(LABEL, id_column=ID_COLUMN), random_state=seed)
    return audit_data(data, checks=checks)


def chromium_command(user_data_dir: str | Path, *extra: str) -> list[str]:
    return [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", *extra]


def dump_dom_seconds(url: str, runs: int = 3) -> tuple[float, str]:
    """Best wall time of ``chromium --dump-dom url`` over ``runs``, and the DOM it printed."""
    best, dom = float("inf"), ""
    for _ in range(runs):
        profile = tempfile.mkdtemp(prefix="bench-chromium-")
        try:
            started = time.perf_counter()
            done = subprocess.run(chromium_command(profile, "--dump-dom", url), capture_output=True, text=True,
                                  timeout=120, check=True)
            best = min(best, time.perf_counter() - started)
            dom = done.stdout
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    return best, dom


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--flagged", type=int, default=10_000)
    parser.add_argument("--all-checks", action="store_true", help="run every registered check, not only the fast ones")
    args = parser.parse_args(argv)

    from audit.output import write_atomic
    from audit.render.html import render_html

    started = time.perf_counter()
    report = large_report(args.rows, args.flagged, checks=None if args.all_checks else FAST_CHECKS)
    audit_s = time.perf_counter() - started
    flagged = sum(len(f.rows) for _, f in report.all_findings)
    started = time.perf_counter()
    html = render_html(report)
    render_s = time.perf_counter() - started
    folder = Path(tempfile.mkdtemp(prefix="bench-html-"))
    try:
        path = write_atomic(folder / "large.html", html)
        size = path.stat().st_size
        print(f"rows: {args.rows}, flagged rows: {flagged}, findings: {len(report.all_findings)}")
        print(f"audit: {audit_s:.2f} s, render: {render_s:.3f} s")
        print(f"html: {size} bytes ({size / 1e6:.3f} MB)")
        if not os.path.exists(CHROMIUM):
            print("chromium not found: load time not measured")
            return 0
        blank = write_atomic(folder / "blank.html", "<!DOCTYPE html><title>blank</title>")
        blank_s, _ = dump_dom_seconds(blank.as_uri())
        load_s, dom = dump_dom_seconds(path.as_uri())
        print(f"chromium --dump-dom: report {load_s:.2f} s, empty page {blank_s:.2f} s, "
              f"report load about {max(load_s - blank_s, 0):.2f} s; DOM {len(dom)} chars")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
