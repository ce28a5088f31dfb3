"""What the evidence cap saves: JSON size, wall time and peak RSS of ``audit run`` on a table
whose every row is flagged, with the cap off (a cap above any finding) and at the default.

The table is a 1,000,000-row CSV of a few distinct rows (about 4 MB), so the exact-duplicate
finding lists nearly a million rows: without a cap each of them is in the JSON. Each run is a
fresh ``audit run`` process (duplicates and class balance, no baseline), measured by
``os.wait4``; the side files (``<name>.evidence/``) are counted apart from the JSON:

    python bench/bench_evidence_cap.py [--rows 1000000] [--repeat 1]

Prints the median of ``--repeat`` runs a setting, the ratios, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SETTINGS = {"cap off": str(10**9), "cap at default (1000)": None}


def few_distinct_values(folder: Path, rows: int) -> Path:
    """A train file of ``rows`` rows drawn from ten distinct ones (one digit and a label)."""
    rng = np.random.default_rng(0)
    digit = rng.integers(0, 10, rows)
    frame = pd.DataFrame({"a": digit, "y": np.where(digit % 2 == 0, "p", "q")})
    path = folder / "train.csv"
    frame.to_csv(path, index=False)
    return path


def measure(train: Path, out: Path, cap: str | None) -> dict[str, float]:
    """One ``audit run`` in a fresh process: wall seconds, peak RSS, JSON and side-file bytes."""
    argv = [sys.executable, "-m", "audit.cli", "run", "--train", str(train), "--label", "y", "--out", str(out),
            "--no-accepted", "--no-baseline", "--checks", "class_balance,duplicates", "--quiet"]
    if cap is not None:
        argv += ["--max-evidence-rows", cap]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"audit run ended with exit code {process.returncode}")
    evidence = out / "train.evidence"
    side = sum(p.stat().st_size for p in evidence.iterdir()) if evidence.is_dir() else 0
    return {"wall_s": seconds, "peak_rss_mb": usage.ru_maxrss / 1024,
            "json_mb": (out / "train.json").stat().st_size / 1e6, "side_files_mb": side / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as scratch:
        folder = Path(scratch)
        train = few_distinct_values(folder, args.rows)
        print(f"{args.rows:,} rows, {train.stat().st_size / 1e6:.1f} MB CSV, {args.repeat} run(s) a setting")
        medians = {}
        for name, cap in SETTINGS.items():
            runs = [measure(train, folder / f"out-{index}", cap) for index in range(args.repeat)]
            medians[name] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"| setting | JSON MB | side files MB | wall s | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for name, m in medians.items():
        print(f"| {name} | {m['json_mb']:.2f} | {m['side_files_mb']:.1f} | {m['wall_s']:.1f} | {m['peak_rss_mb']:.0f} |")
    off, on = medians.values()
    print(f"cap off / cap on: JSON x{off['json_mb'] / on['json_mb']:.0f}, wall x{off['wall_s'] / on['wall_s']:.2f}, "
          f"peak RSS x{off['peak_rss_mb'] / on['peak_rss_mb']:.2f}")


if __name__ == "__main__":
    main()
