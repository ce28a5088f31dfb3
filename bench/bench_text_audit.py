"""The whole audit of a ticket pair with a text column, without the baseline: time, memory, growth.

For each size (texts in train and val together, a fifth of them val), generates a planted
ticket pair (audit/tickets.py: about 40 words a ticket, a priority and a channel column),
writes it as Parquet, and audits it in a fresh process as ``audit run --text-column text
--no-baseline`` does (every default check and the fix plan; the report is built, not
written). Prints
per size the wall and CPU time and the peak RSS of that process, the time per 1,000 texts
(growth close to linear keeps it flat), recall and precision of the planted copies
(duplicates and leakage, exact and near together) and the label-issue F1, and the load
average.

    python bench/bench_text_audit.py [--sizes 10000 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

AUDIT = """
import json, resource, sys, time
from audit.api import run_audit
started, cpu = time.perf_counter(), time.process_time()
report = run_audit(sys.argv[1], sys.argv[2], label="queue", text_columns=["text"], out=sys.argv[3],
                   baseline={"enabled": False})
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
rows = {}
for _, finding in report.all_findings:
    rows.setdefault(finding.code, []).extend(finding.rows)
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": rows}, default=str))
"""


def measure(size: int, seed: int, folder: Path) -> dict:
    from audit.tickets import make_text_pair

    n_val = size // 5
    pair = make_text_pair(size - n_val, n_val, seed=seed)
    pair.train.to_parquet(folder / "train.parquet", index=False)
    pair.val.to_parquet(folder / "val.parquet", index=False)
    out = subprocess.run([sys.executable, "-c", AUDIT,
                          str(folder / "train.parquet"), str(folder / "val.parquet"), str(folder / "out")],
                         check=True, capture_output=True, text=True, env=os.environ)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    rows = result.pop("rows")

    def pairs(codes: tuple[str, ...], partner: str, split: str) -> set:
        return {frozenset((r["row"], r[partner])) for c in codes for r in rows.get(c, []) if r["split"] == split}

    truth = {s: {frozenset((c.row, c.train_row)) for c in pair.copies if c.split == s} for s in ("train", "val")}
    found = {"train": pairs(("exact_duplicates", "near_duplicates"), "duplicate_of", "train"),
             "val": pairs(("exact_leakage", "near_leakage"), "train_row", "val")}
    for split, name in (("train", "duplicates"), ("val", "leakage")):
        hit = len(found[split] & truth[split])
        result[f"{name}_recall"] = hit / len(truth[split])
        result[f"{name}_precision"] = hit / max(1, len(found[split]))
    flagged = {r["row"] for r in rows.get("label_issues", []) if r["split"] == "train"}
    result["label_f1"] = 2 * len(flagged & pair.label_issues["train"]) / (len(flagged) + len(pair.label_issues["train"]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("| texts | wall s | CPU s | peak RSS MB | wall s per 1,000 | dup R / P | leak R / P | label F1 |")
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            r = measure(size, args.seed, Path(folder))
        print(f"| {size:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:.0f} | {1000 * r['wall_s'] / size:.2f} "
              f"| {r['duplicates_recall']:.3f} / {r['duplicates_precision']:.3f} "
              f"| {r['leakage_recall']:.3f} / {r['leakage_precision']:.3f} | {r['label_f1']:.3f} |", flush=True)
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
