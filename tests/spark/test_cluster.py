"""`audit run --engine spark --spark-master spark://...` against a real standalone cluster.

The command runs in a child process, as a user runs it: its driver is a new JVM, its tasks run
in an executor JVM the cluster's worker starts, with Python workers of their own, so closures
must serialise and nothing may rely on driver-only state. Its findings must be those of local
mode on the same files, row for row, and its terminal output must carry no Java logging.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from audit import run_audit
from tests.spark.conftest import written_near_pair

pytestmark = pytest.mark.slow

CHECKS = ["class_balance", "duplicates", "exact_leakage", "near_duplicates", "near_leakage", "label_issues"]
EXACT_CODES = {"class_imbalance", "label_shift", "exact_duplicates", "exact_leakage", "conflicting_labels"}
N_TRAIN, N_NEAR = 4_000, 40
# Java logging, Spark's hints and stack traces: none may reach the audit's terminal.
JAVA_NOISE = re.compile(r"\b(WARN|WARNING|INFO|ERROR)\b|log4j|setLogLevel|at org\.apache|py4j|Traceback|Stage \d|Warning:")


@pytest.fixture(scope="module")
def cluster_files(tmp_path_factory, cluster):
    folder = tmp_path_factory.mktemp("cluster_run")
    pair = written_near_pair(folder, N_TRAIN, N_NEAR, n_exact=20, n_conflict=10)
    # What a user sets in spark-defaults.conf for a small cluster: the worker has 1 GB.
    conf = folder / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.executor.memory 640m\nspark.sql.shuffle.partitions 4\n"
                                              "spark.executor.extraJavaOptions -XX:TieredStopAtLevel=1\n"
                                              "spark.ui.enabled false\n")
    return pair, folder


def audit_on_cluster(cluster, folder, python: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYSPARK_PYTHON": python, "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_CONF_DIR": str(folder / "conf")}
    command = [sys.executable, "-c", "import sys; from audit.cli import main; sys.exit(main())", "run",
               "--train", str(folder / "train.csv"), "--val", str(folder / "val.csv"), "--label", "label",
               "--id-column", "id", "--checks", ",".join(CHECKS), "--no-baseline", "--no-accepted",
               "--engine", "spark", "--spark-master", cluster.master_url, "--format", "json",
               "--out", str(folder / "out")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def on_cluster_and_local(cluster, cluster_files, spark):
    pair, folder = cluster_files
    done = audit_on_cluster(cluster, folder, sys.executable)
    assert done.returncode in (0, 1), done.stderr[-3000:] + "\n" + cluster.logs()[-3000:]
    local = run_audit(folder / "train.csv", folder / "val.csv", label="label", id_column="id", checks=CHECKS,
                      baseline={"enabled": False}, engine="spark", spark=spark)
    return pair, done, json.loads(done.stdout), json.loads(local.to_json())


def findings(document: dict, code: str) -> list[dict]:
    return [f for check in document["checks"] for f in check["findings"] if f["code"] == code]


def flagged(document: dict, code: str, key: str | None = None) -> set:
    return {(r["row"], r[key]) if key else (r.get("split"), r["row"]) for f in findings(document, code)
            for r in f["rows"]}


def test_the_cluster_ran_the_audit_in_its_executors(cluster, on_cluster_and_local):
    _, _, document, _ = on_cluster_and_local
    assert document["settings"]["spark"]["master"] == cluster.master_url
    assert {c["check"]: c["status"] for c in document["checks"]} == dict.fromkeys(CHECKS, "ran")
    finished = [app for app in cluster.state()["completedapps"] if app["name"] == "dataset-audit"]
    assert finished and all(app["cores"] > 0 for app in finished)  # executors on the worker ran its tasks


def test_the_cluster_finds_what_local_mode_finds_row_for_row(on_cluster_and_local):
    pair, _, on_cluster, local = on_cluster_and_local
    for code in EXACT_CODES:
        assert findings(on_cluster, code) == findings(local, code), code
    for code, key, truth in (("near_duplicates", "duplicate_of", pair.near_duplicates),
                             ("near_leakage", "train_row", pair.near_leakage)):
        assert len(truth) >= N_NEAR
        assert flagged(on_cluster, code, key) == flagged(local, code, key)
        assert truth <= flagged(on_cluster, code, key)  # recall 1.0 on the planted copies
    on_both = flagged(on_cluster, "label_issues") & flagged(local, "label_issues")
    assert len(on_both) >= 0.98 * len(flagged(local, "label_issues") | flagged(on_cluster, "label_issues")) > 0


def test_no_java_logging_reaches_the_terminal(on_cluster_and_local):
    _, done, _, _ = on_cluster_and_local
    assert [line for line in done.stderr.splitlines() if JAVA_NOISE.search(line)] == []


def test_workers_whose_python_lacks_the_dependencies_give_one_clear_line(cluster, cluster_files, tmp_path):
    _, folder = cluster_files
    bare = tmp_path / "python-without-site-packages"  # a worker's Python without the installed packages
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    bare.chmod(0o755)
    done = audit_on_cluster(cluster, folder, str(bare))
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("audit: error:")]
    assert len(errors) == 1, done.stderr[-3000:]
    # The wrapper execs the real interpreter, which is what the workers report.
    assert re.search(r"the Spark workers' Python \(\S+python[\d.]*\) cannot import numpy", errors[0]), errors[0]
    assert "PYSPARK_PYTHON" in errors[0]
    assert [line for line in done.stderr.splitlines() if JAVA_NOISE.search(line)] == []
