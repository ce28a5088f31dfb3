"""One local Spark and one standalone cluster for the whole test session, and the planted 50,000-row pair on disk.

Spark starts in about 15 s here, so every Spark test shares one session: two cores, few
shuffle partitions, no UI, and small file splits so each input file is read by several
partitions (row numbers must not depend on that). The JIT is limited to its fast tier:
these jobs are small and short, and compiling less halves their time on two cores.
"""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import LABEL, planted_pair

pytest.importorskip("pyspark", reason="the spark extra is not installed")

ROLES = dict(label=LABEL, id_column="id", group_column="group", time_column="time")
EXACT_CHECKS = ["class_balance", "duplicates", "exact_leakage", "group_leakage", "temporal_leakage"]
EXACT_CODES = ["class_imbalance", "label_shift", "unseen_labels", "exact_duplicates", "conflicting_labels",
               "exact_leakage", "group_leakage", "temporal_leakage"]
SPLIT_BYTES = 1 << 20
N_TRAIN, N_VAL, N_EACH = 50_000, 16_000, 200


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: .ci/run installs default-jre-headless")
    from audit.spark.session import spark_session

    session = spark_session("local[2]", config={
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
        "spark.sql.files.maxPartitionBytes": str(SPLIT_BYTES),
    })
    yield session
    session.stop()


def written_near_pair(folder, n_train: int, n_near: int, n_exact: int, n_conflict: int):
    """tests/checks' near pair (val a third of train; ``n_near`` near copies and as many near
    leaks), written to ``folder`` as train.csv and val.csv."""
    from tests.checks.test_near_duplicates import near_pair

    pair = near_pair(n_train=n_train, n_val=n_train // 3, n_near=n_near, n_leak=n_near, n_exact=n_exact,
                     n_conflict=n_conflict, n_conflict_leak=n_conflict)
    pair.train.to_csv(folder / "train.csv", index=False)
    pair.val.to_csv(folder / "val.csv", index=False)
    return pair


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """A standalone master and one worker (2 cores, 1 GB) on 127.0.0.1, for the whole session."""
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: .ci/run installs default-jre-headless")
    from tests.spark.standalone import start_cluster

    running = start_cluster(tmp_path_factory.mktemp("standalone"), workers=1, cores=2, memory="1g")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def planted_50k(tmp_path_factory):
    """The planted pair at 50,000 train rows, as CSV and as Parquet with many row groups."""
    pair = planted_pair(n_train=N_TRAIN, n_val=N_VAL, n_each=N_EACH)
    folder = tmp_path_factory.mktemp("planted_50k")
    for split in ("train", "val"):
        frame = getattr(pair, split)
        frame.to_csv(folder / f"{split}.csv", index=False)
        frame.to_parquet(folder / f"{split}.parquet", index=False, row_group_size=4_000)
    pair.folder = folder
    return pair
