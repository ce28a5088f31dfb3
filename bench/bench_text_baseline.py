"""The text baseline on planted tickets with flipped labels: verdict, reference losses, time.

Generates a ticket pair (audit/tickets.py) with ``--flip`` of each split's labels wrong (20%
by default) and the planted copies, audits it as ``audit run`` would with the baseline
(raw and fixed training, the clean reference set, the verdict) and prints the verdict, the
loss of each run on the clean reference set and how much lower the fixed one is, and the
wall and CPU time of the audit and of the baseline alone, with the load average.

    python bench/bench_text_baseline.py [--rows 10000] [--flip 0.2] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="texts in train and val together")
    parser.add_argument("--flip", type=float, default=0.2, help="share of each split's labels made wrong")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from audit.api import run_audit
    from audit.tickets import LABEL, TEXT, make_text_pair

    n_val = args.rows // 5
    pair = make_text_pair(args.rows - n_val, n_val, seed=args.seed, flip_fraction=args.flip)
    with tempfile.TemporaryDirectory() as out:
        started, cpu = time.perf_counter(), time.process_time()
        report = run_audit(pair.train, pair.val, label=LABEL, text_columns=[TEXT], out=str(Path(out)),
                           seed=args.seed)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    baseline = report.to_dict()["baseline"]
    reference = baseline["comparison"]["reference_loss"]
    lower = 1 - reference["fixed"] / reference["raw"]
    print(f"{len(pair.train)} train + {len(pair.val)} val tickets, {args.flip:.0%} of labels flipped, seed {args.seed}")
    print(f"verdict: {baseline['verdict_code']}")
    print(f"  {baseline['verdict']}")
    print(f"reference loss: raw {reference['raw']:.4f}, fixed {reference['fixed']:.4f} ({lower:.1%} lower)")
    print(f"baseline: {baseline['duration_s']:.1f} s wall; whole audit: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(this process), peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
