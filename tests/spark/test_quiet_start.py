"""Local-mode start-up of the spark engine says nothing on stderr, unless --verbose asks for Spark's own lines.

A new JVM starts only in a new process (this session's tests share one), so the command runs
in a child process, as a user runs it. Its check lines still reach stdout as checks finish.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import LABEL, planted_pair
from tests.spark.test_cluster import JAVA_NOISE

pytestmark = pytest.mark.slow


def spark_run(folder, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audit.cli", "run", "--engine", "spark", "--spark-master", "local[1]",
         "--train", str(folder / "train.csv"), "--val", str(folder / "val.csv"), "--label", LABEL,
         "--id-column", "id", "--checks", "class_balance,duplicates", "--no-baseline", "--no-accepted",
         "--out", str(folder / "out"), *extra],
        capture_output=True, text=True, timeout=600,
    )


def test_local_start_up_writes_no_java_logging_to_stderr_without_verbose(tmp_path):
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: .ci/run installs default-jre-headless")
    pair = planted_pair()
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    pair.val.to_csv(tmp_path / "val.csv", index=False)

    quiet = spark_run(tmp_path)
    assert quiet.returncode == 1, quiet.stderr[-3000:]  # the planted conflicting labels fail the gate
    assert quiet.stderr == ""
    assert [line.split(":")[0] for line in quiet.stdout.splitlines() if line.startswith("check ")] == [
        "check class_balance", "check duplicates"]

    verbose = spark_run(tmp_path, "--verbose")  # the same start-up, its lines let through: what the quiet run hid
    assert verbose.returncode == 1, verbose.stderr[-3000:]
    assert [line for line in verbose.stderr.splitlines() if JAVA_NOISE.search(line)], verbose.stderr[-3000:]
    assert verbose.stdout.startswith("check class_balance: ")  # stdout stays the report's
