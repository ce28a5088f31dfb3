"""How fast the command line answers when it has nothing to audit.

Runs each command in a fresh interpreter, as a user's shell does, and prints the median wall
time of ``--runs`` runs, beside a bare ``python -c pass`` (the interpreter's own start-up)
and ``import audit.api`` (what a run loads before its first check):

    python bench/bench_startup.py [--runs 15]

``audit --help`` and ``audit --version`` must stay under 0.3 s: they import neither pandas
nor any check. The load average is printed too, since a busy machine slows every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "audit --version": [sys.executable, "-m", "audit.cli", "--version"],
    "audit --help": [sys.executable, "-m", "audit.cli", "--help"],
    "audit run --help": [sys.executable, "-m", "audit.cli", "run", "--help"],
    "audit checks": [sys.executable, "-m", "audit.cli", "checks"],
    "import audit.api": [sys.executable, "-c", "import audit.api"],
}
LIMIT_S = 0.3


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"median of {args.runs} runs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    medians = {name: median_seconds(argv, args.runs) for name, argv in COMMANDS.items()}
    interpreter = medians["python -c pass"]
    print(f"{'command':<20}{'median s':>10}{'minus python':>14}")
    for name, seconds in medians.items():
        print(f"{name:<20}{seconds:>10.3f}{seconds - interpreter:>14.3f}")
    for name in ("audit --version", "audit --help"):
        verdict = "under" if medians[name] < LIMIT_S else "OVER"
        print(f"{name}: {verdict} {LIMIT_S} s")


if __name__ == "__main__":
    main()
