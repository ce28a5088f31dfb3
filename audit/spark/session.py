"""The SparkSession the audit runs on: the caller's, or one made for a master URL."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from audit.errors import InputError
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
                  config: dict[str, str] | None = None, *, verbose: bool = False):
    """The active SparkSession if there is one, else a new one on ``master``.

    ``master`` is any Spark master URL (``local[*]``, ``local[2]``, ``spark://host:7077``,
    ``yarn``...). A local master also gets few shuffle partitions and no web UI; no master
    gets a console progress bar; ``config`` entries are set last and win. The driver JVM's
    own output goes to :func:`java_log` (see :func:`start_driver_jvm`); ``verbose`` (``--verbose``)
    sends it to stderr instead and keeps Spark's warnings.
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
    start_driver_jvm(master, app_name, settings, verbose=verbose)
    with pandas_version_quiet():
        session = builder.getOrCreate()
    # Task failures surface as exceptions the audit reports; the executors' own log of them
    # would only repeat the stack trace on stderr.
    session.sparkContext.setLogLevel("WARN" if verbose else "FATAL")
    return session


def java_log() -> Path:
    """Where this process's driver JVM writes its output: Spark's log, the JVM's warnings."""
    return Path(tempfile.gettempdir()) / f"dataset-audit-spark-{os.getpid()}.log"


def start_driver_jvm(master: str, app_name: str, settings: dict[str, str], *, verbose: bool = False) -> None:
    """Start the driver JVM with its stdout and stderr in :func:`java_log` (``verbose``: both on
    stderr, so stdout stays the report's), if none runs yet.

    The JVM shares the audit's terminal otherwise: Spark's start-up lines and the JVM's own
    warnings (which no log setting silences) would mix with the audit's progress, and
    anything the JVM printed to stdout would corrupt ``--format json``. pyspark starts the
    JVM on first use; starting it here, the way pyspark does but with the output redirected,
    leaves everything else to pyspark.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if getattr(SparkContext, "_gateway", None) is not None:
        return
    conf = SparkConf(loadDefaults=True).setMaster(master).setAppName(app_name)
    for key, value in settings.items():
        conf.set(key, value)
    log = java_log()
    with open(log, "ab") as output:
        target = sys.stderr if verbose else output
        try:
            gateway = launch_gateway(conf, popen_kwargs={"stdout": target, "stderr": target})
        except Exception as error:  # noqa: BLE001 - pyspark raises a bare exception when Java fails
            lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
            reason = lines[-1].strip() if lines else str(error).splitlines()[0]
            raise InputError(f"Spark could not start ({reason[:300]}); its log is {log}") from None
    SparkContext._gateway = gateway
    SparkContext._jvm = gateway.jvm
