"""The same audit on Apache Spark, for splits that do not fit one machine.

``audit run --engine spark`` and ``run_audit(..., engine="spark")`` run here, through the
engine adapter :mod:`audit.engines.spark`. The checks keep
their names, parameters, finding codes, messages and severities, and the result is the same
:class:`~audit.report.AuditReport` of :class:`~audit.runner.CheckResult` and
:class:`~checks.base.Finding` objects, so every renderer works unchanged. What differs is
where the work happens:

- exact checks (class balance, duplicates, conflicting labels, exact, group and temporal
  leakage) are Spark jobs over every row, comparing rows by a hash of the same type-aligned
  feature values :mod:`checks.hashing` uses (:mod:`audit.spark.exact`);
- near duplicates and near leakage encode the features by the kinds of :mod:`checks.encoders`
  (:mod:`audit.spark.encoding`) and find close pairs with MLlib's random-projection LSH, the
  threshold calibrated as on one machine (:mod:`audit.spark.near`);
- label issues fit the fold models on a seeded sample on the driver, score every row on the
  executors and run cleanlab on the collected probabilities (:mod:`audit.spark.labels`);
- data quality infers the pandas engine's suite from Spark aggregates over every train row
  and validates it with great-expectations' Spark data source on every row
  (:mod:`audit.spark.quality`);
- target leakage runs the pandas check on the driver, over train collected from Spark (a
  seeded sample above 200,000 rows, which the finding states) (:mod:`audit.spark.target`);
- the Keras baseline trains on the driver, on a seeded sample of each split sized by its time
  budget, the fix plan applied to the sampled rows (:mod:`audit.spark.baseline`);
- every flagged row is named by its 0-based data row in its input, numbered without
  collecting the data (:mod:`audit.spark.rows`); besides the label issues' probabilities,
  only the flagged rows (the evidence the report lists) and bounded seeded samples come back
  to the driver (:mod:`audit.spark.collect`).

A registered check without a Spark implementation would be reported as skipped with that
reason. ``--write-fixed``, given probabilities, the fixes' attribution and the diagnosis
need the pandas engine.

pyspark is imported by the modules of this package (and :mod:`audit.engines.spark`) only,
never by the rest of ``audit``; this module itself imports nothing heavy. Install it with
``pip install "dataset-audit[spark]"``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["require_pyspark", "is_spark_dataframe", "runs_on_spark", "location"]


def require_pyspark() -> None:
    """Raise an :class:`~audit.errors.InputError` with the install command if pyspark is missing."""
    from audit.errors import InputError

    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise InputError('the spark engine needs pyspark: pip install "dataset-audit[spark]" '
                         "(and a Java runtime, 17 or later)") from None


def is_spark_dataframe(value: Any) -> bool:
    """Whether ``value`` is a Spark DataFrame (classic or Connect), without importing pyspark."""
    return _has_class(value, "pyspark.sql", "DataFrame")


def runs_on_spark(value: Any) -> bool:
    """Whether ``value`` is a Spark DataFrame or a bundle loaded on Spark, without importing pyspark."""
    return is_spark_dataframe(value) or _has_class(value, "audit.spark.load", "SparkAuditData")


def _has_class(value: Any, module: str, name: str) -> bool:
    return any(cls.__module__.startswith(module) and cls.__name__ == name for cls in type(value).__mro__)


def location(given: Any) -> Any:
    """An input as Spark should see it: ``Path`` turns ``s3a://b/k`` into ``s3a:/b/k``; undo that.

    Anything but a ``Path`` (a string, a DataFrame, None) is returned as it is.
    """
    if not isinstance(given, Path):
        return given
    text = str(given)
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):/(?!/)", text)
    if match and match.group(1).lower() != "file" and len(match.group(1)) > 1:
        return f"{match.group(1)}://{text[match.end():]}"
    return text
