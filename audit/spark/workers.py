"""Make a cluster's Python workers ready for the audit, or say in one line why they are not.

On a cluster the pandas UDFs and the probability scoring run in Python processes on other
machines. The driver ships its own ``audit`` and ``checks`` packages to them as one zip
(``SparkContext.addPyFile``), so the executors run exactly the driver's code, whatever
version, if any, is installed there. Their dependencies (numpy, pandas, pyarrow,
scikit-learn) cannot be shipped that way: one small job asks every executor's Python to
import them, and a worker that cannot gets one clear error before any check starts, instead
of a Java stack trace from the middle of one.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from audit.errors import InputError

PACKAGES = ("audit", "checks")
# What the executors import: the UDFs' own modules and what they call.
NEEDED_ON_WORKERS = ("numpy", "pandas", "pyarrow", "sklearn", "threadpoolctl", *PACKAGES)
INSTALL_HINT = ('install the same Python with dataset-audit\'s dependencies on every worker '
                '(pip install "dataset-audit[spark]") and point PYSPARK_PYTHON at it')


def is_local(spark: Any) -> bool:
    return spark.sparkContext.master.startswith("local")


def package_zip(folder: Path) -> Path:
    """The driver's ``audit`` and ``checks`` packages, as a zip Python can import from."""
    import checks

    target = folder / "dataset_audit_packages.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for root in (Path(__file__).resolve().parents[1], Path(checks.__file__).resolve().parent):
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, Path(root.name) / path.relative_to(root))
    return target


def prepare_workers(spark: Any) -> None:
    """On a cluster: ship the packages, then check every executor's Python can import what it needs."""
    if is_local(spark):
        return
    context = spark.sparkContext
    if getattr(context, "_dataset_audit_shipped", False):
        return
    folder = Path(tempfile.mkdtemp(prefix="dataset_audit_"))
    context.addPyFile(str(package_zip(folder)))
    context._dataset_audit_shipped = True
    check_workers(spark)


def check_workers(spark: Any) -> None:
    """One task a core: each reports its interpreter and the first module it cannot import."""
    needed = NEEDED_ON_WORKERS

    def probe(_):  # pickled by value: it must not need this package to be unpickled
        import importlib
        import sys

        for name in needed:
            try:
                importlib.import_module(name)
            except Exception as error:  # noqa: BLE001 - any failure to import is the answer
                yield sys.executable, f"{name} ({type(error).__name__}: {error})"
                return
        yield sys.executable, ""

    context = spark.sparkContext
    slices = max(1, context.defaultParallelism)
    try:
        answers = context.parallelize(range(slices), slices).mapPartitions(probe).collect()
    except Exception as error:  # the worker's Python did not even start, or is another version
        raise InputError(f"the Spark workers cannot run the audit's Python code ({worker_error(error)}); "
                         f"{INSTALL_HINT}") from None
    missing = sorted({(python, problem) for python, problem in answers if problem})
    if missing:
        python, problem = missing[0]
        raise InputError(f"the Spark workers' Python ({python}) cannot import {problem}; {INSTALL_HINT}")


def worker_error(error: Exception) -> str:
    """The last line of the Python error a task raised, or the first line of a Java one."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    python = [line for line in lines if line.split(":", 1)[0].endswith(("Error", "Exception"))
              and not line.startswith(("py4j", "org.apache", "java."))]
    chosen = python[-1] if python else (lines[0] if lines else type(error).__name__)
    return chosen[:300]
