"""The engines an audit runs on, behind one interface (:class:`~audit.engines.base.Engine`).

``pandas`` loads the splits into memory on this machine; ``spark`` leaves them in Apache
Spark and brings back only the flagged rows and bounded samples. :func:`engine_for` is the
one place that picks an engine; the rest of a run (:mod:`audit.run`) is the same for both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.engines.base import Engine

ENGINE_NAMES = ("pandas", "spark")


def engine_for(name: str | None = None, given: Any = None, *, spark: Any = None) -> "Engine":
    """The engine called ``name``, or the one the data ``given`` lives in.

    Spark DataFrames, and bundles loaded on Spark, run on the spark engine whatever the name
    says; ``spark`` is its SparkSession or master URL (default: the active session, else
    ``local[*]``).
    """
    from audit.spark import runs_on_spark

    if name == "spark" or runs_on_spark(given):
        from audit.spark import require_pyspark

        require_pyspark()
        from audit.engines.spark import SparkEngine

        return SparkEngine(spark)
    if name is None or name == "pandas":
        from audit.engines.pandas import PandasEngine

        return PandasEngine()
    raise ValueError(f"The 'engine' parameter of run_audit must be {' or '.join(map(repr, ENGINE_NAMES))}. "
                     f"Got {name!r} instead.")
