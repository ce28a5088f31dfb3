"""A file refused at a size limit is refused without holding that much: the peak memory says so.

Each run is a child process that reports its own peak resident size; a run refusing a
250 MB gzip bomb or a Parquet file of twenty million rows under ``--max-bytes 200M`` must
peak far below those 200 MB above what the interpreter and pandas take anyway.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

LIMIT = "200M"
MOST_ABOVE_IDLE_KB = 100 * 1024  # half the limit: holding the limit would show as 200 MB or more

PEAK_OF_RUN = textwrap.dedent("""
    import resource, sys
    from audit.cli import main
    if sys.argv[1] == "idle":
        import pandas, pyarrow.parquet  # what every run imports anyway
        code = 0
    else:
        code = main(sys.argv[1:])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, file=sys.stderr)
""")


def peak_kb(*argv: str) -> tuple[int, int, str]:
    child = subprocess.run([sys.executable, "-c", PEAK_OF_RUN, *argv], capture_output=True, text=True, timeout=300)
    *lines, last = child.stderr.strip().splitlines()
    peak, code = last.split()
    return int(peak), int(code), "\n".join(lines)


def gzip_bomb(folder: Path) -> Path:
    """250 MB of CSV text, streamed into a gzip file of about 250 KB."""
    path = folder / "train.csv.gz"
    block = ("0,0,x\n" * 100_000).encode()
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write(b"a,b,y\n")
        for _ in range(250_000_000 // len(block)):
            stream.write(block)
    return path


def many_rows_parquet(folder: Path) -> Path:
    path = folder / "train.parquet"
    n = 20_000_000
    pd.DataFrame({"a": np.zeros(n, dtype=np.int64), "y": np.zeros(n, dtype=np.int64)}).to_parquet(path)
    return path


@pytest.mark.parametrize("make", [gzip_bomb, many_rows_parquet])
def test_a_refusal_at_the_limit_does_not_hold_the_limit(tmp_path, make):
    path = make(tmp_path)
    idle, _, _ = peak_kb("idle")
    peak, code, stderr = peak_kb("run", "--train", str(path), "--label", "y", "--out", str(tmp_path / "out"),
                                 "--no-accepted", "--no-baseline", "--max-bytes", LIMIT)
    assert code == 2 and "over the limit" in stderr, stderr
    assert peak - idle < MOST_ABOVE_IDLE_KB, f"peaked {(peak - idle) // 1024} MB above an idle interpreter"
