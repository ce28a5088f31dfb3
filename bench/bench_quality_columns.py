"""data_quality's cost against the number of columns: one whole batch against column chunks.

Prints, for 5-row frames of 100, 200 and 400 integer columns, the median seconds of each way
of validating the inferred suite, and how each grows when the columns double (1.0 is free,
2.0 linear, 4.0 quadratic). Run: ``python -m bench.bench_quality_columns [repeats]``.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import pandas as pd

from audit.data import Roles, from_frames
from checks.expectations_chunks import validate_in_chunks
from checks.expectations_suite import inferred_suite, validate

COLUMN_COUNTS = (100, 200, 400)


def wide_frame(n_columns: int, n_rows: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 5, (n_rows, n_columns)), columns=[f"c{i}" for i in range(n_columns)])
    frame["y"] = ["x", "z"] * (n_rows // 2) + ["x"] * (n_rows % 2)
    return frame


def median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats: int = 3) -> None:
    validate(inferred_suite(from_frames(wide_frame(5), None, Roles("y"))), {})  # import great-expectations once
    rows = []
    for n_columns in COLUMN_COUNTS:
        data = from_frames(wide_frame(n_columns), None, Roles("y"))
        suite, frames = inferred_suite(data), {"train": data.frames["train"]}
        rows.append((n_columns, median_seconds(lambda: validate(suite, frames), repeats),
                     median_seconds(lambda: validate_in_chunks(suite, frames), repeats)))
    print(f"{'columns':>8} {'whole s':>8} {'chunks s':>9} {'whole x':>8} {'chunks x':>9}")
    for index, (n_columns, whole, chunked) in enumerate(rows):
        growth = ("", "") if index == 0 else (f"{whole / rows[index - 1][1]:.2f}", f"{chunked / rows[index - 1][2]:.2f}")
        print(f"{n_columns:>8} {whole:>8.2f} {chunked:>9.2f} {growth[0]:>8} {growth[1]:>9}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
