"""Time the fix plan (:func:`audit.fixes.build_plan`) at a million train rows.

The findings are written as the checks write them (a row dict a flagged row) and flag
``--flagged`` train rows as exact duplicates, as many as label issues, and a fifth of that
many val rows as leaks, on a pair whose labels are strings (pandas' Arrow-backed string
dtype, where a lookup a row is slowest). Beside the whole plan, the labels and ids of the
planned rows are looked up both ways: a row at a time with ``.at`` (as the plan once did)
and at once (as it does now). Prints medians of ``--repeat`` runs and their ratio.

    python bench/bench_fix_plan.py --rows 1000000 --flagged 100000
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

from audit.data import Roles, from_frames
from audit.fixes import build_plan, values_at
from bench.bench_quality_columns import median_seconds
from checks.base import Finding, Severity


def planted(n_rows: int, n_flagged: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_val = n_rows // 5

    def split(n: int) -> pd.DataFrame:
        return pd.DataFrame({"id": np.arange(n), "a": rng.normal(size=n),
                             "label": pd.array(rng.integers(0, 3, n).astype(str), dtype="string")})

    data = from_frames(split(n_rows), split(n_val), Roles("label", "id", None, None, (), ()), seed)
    copies = rng.choice(n_rows, 2 * n_flagged, replace=False)
    duplicates = [{"split": "train", "row": int(r), "duplicate_of": int(o)}
                  for r, o in zip(copies[:n_flagged], copies[n_flagged:])]
    issues = [{"split": "train", "row": int(r), "suggested_label": "1"}
              for r in rng.choice(n_rows, n_flagged, replace=False)]
    leaks = [{"split": "val", "row": int(r), "train_row": 0} for r in rng.choice(n_val, n_flagged // 5, replace=False)]
    findings = [("duplicates", Finding("exact_duplicates", Severity.WARN, "planted", rows=duplicates)),
                ("label_issues", Finding("label_issues", Severity.WARN, "planted", rows=issues)),
                ("exact_leakage", Finding("exact_leakage", Severity.FAIL, "planted", rows=leaks))]
    return data, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="train rows (val: a fifth)")
    parser.add_argument("--flagged", type=int, default=100_000, help="train rows flagged per code")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data, findings = planted(args.rows, args.flagged)
    plan = build_plan(findings, data)
    rows = [a.row for a in plan.actions if a.split == "train"]
    frame = data.frames["train"]
    plan_s = median_seconds(lambda: build_plan(findings, data), args.repeat)
    one_by_one_s = median_seconds(lambda: [(frame.at[r, "label"], frame.at[r, "id"]) for r in rows], args.repeat)
    at_once_s = median_seconds(lambda: (values_at(frame, "label", rows), values_at(frame, "id", rows)), args.repeat)

    print(f"## fix plan: {args.rows:,} train rows, {len(plan.actions):,} planned rows "
          f"(median of {args.repeat}; load average {os.getloadavg()[0]:.1f})\n")
    print("| what | seconds |")
    print("|---|---|")
    print(f"| build_plan, whole | {plan_s:.2f} |")
    print(f"| labels and ids of {len(rows):,} train rows, a row at a time (.at) | {one_by_one_s:.2f} |")
    print(f"| the same, at once | {at_once_s:.3f} |")
    print(f"\nat once is {one_by_one_s / at_once_s:.0f}x faster than a row at a time")


if __name__ == "__main__":
    main()
