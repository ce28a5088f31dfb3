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


def measure_sizes(sizes: list[int], command_of: Callable[[int, int], list[str]], repeat: int,
                  wall: Callable[[dict], float], render: Callable[[dict], str], noun: str,
                  cwd: Path) -> tuple[list[dict], list[str]]:
    """The median run of each size (``command_of(k, size)`` makes the k-th size's command),
    and the rendered text of each, printed as it comes; a failed size is reported and skipped."""
    results, text = [], []
    for k, n in enumerate(sizes):
        median, error = median_run(command_of(k, n), repeat, wall, cwd)
        text.append(f"### {n:,} {noun}: failed\n\n```\n{error}\n```" if median is None else render(median))
        print(text[-1] + ("" if median is None else "\n"), flush=True)
        if median is not None:
            results.append(median)
    return results, text


def write_text(path: Path | None, text: list[str]) -> None:
    """The rendered sections into ``path`` (its folder made), when one is given."""
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(text) + "\n")
