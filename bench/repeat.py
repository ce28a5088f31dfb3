"""Repeat one measuring command and keep its median run, as every size of a benchmark does."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path


def median_run(command: list[str], repeat: int, wall: Callable[[dict], float], cwd: Path) -> tuple[dict | None, str]:
    """Run ``command`` ``repeat`` times (each prints its result as JSON on its last line) and
    return the run of median ``wall`` time, with every run's wall time under ``walls``; or None
    and the tail of the error output when a run fails."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
        if done.returncode != 0:
            return None, done.stderr[-2000:]
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    runs.sort(key=wall)
    median = runs[len(runs) // 2]
    median["walls"] = [wall(r) for r in runs]
    return median, ""
