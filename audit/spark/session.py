"""The SparkSession the audit runs on: the caller's, or one made for a master URL."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator

from audit.spark import require_pyspark

DEFAULT_MASTER = "local[*]"
# A local run shuffles little data: Spark's default of 200 partitions costs more in task
# overhead than it gains on a laptop or a CI runner.
LOCAL_SHUFFLE_PARTITIONS = 8


@contextlib.contextmanager
def pandas_version_quiet() -> Iterator[None]:
    """Silence pyspark's warning that it does not yet fully support pandas 3.

    The engine converts only plain numbers, strings and arrays between pandas and Spark,
    which the tests cover on pandas 3; the warning would repeat on every pandas UDF.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield


def spark_session(master: str | None = DEFAULT_MASTER, app_name: str = "dataset-audit",
                  config: dict[str, str] | None = None):
    """The active SparkSession if there is one, else a new one on ``master``.

    ``master`` is any Spark master URL (``local[*]``, ``local[2]``, ``spark://host:7077``,
    ``yarn``...). A local master also gets few shuffle partitions, no web UI and no console
    progress bar; ``config`` entries are set last and win.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or DEFAULT_MASTER
    builder = SparkSession.builder.appName(app_name).master(master)
    settings: dict[str, str] = {"spark.ui.showConsoleProgress": "false"}
    if master.startswith("local"):
        # Binding to the loopback address avoids a slow or failing lookup of the host name
        # on machines without a resolvable one.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Python workers (pandas UDFs) must run the interpreter that has this package's deps.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        settings.update({
            "spark.sql.shuffle.partitions": str(LOCAL_SHUFFLE_PARTITIONS),
            "spark.ui.enabled": "false",
            "spark.driver.host": "127.0.0.1",
        })
    settings.update(config or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    with pandas_version_quiet():
        session = builder.getOrCreate()
    # Task failures surface as exceptions the audit reports; the executors' own log of them
    # would only repeat the stack trace on stderr.
    session.sparkContext.setLogLevel("FATAL")
    return session
