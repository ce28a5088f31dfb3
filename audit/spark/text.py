"""Free-text columns on Spark: which checks compare them here, and which say they did not.

A column declared with ``--text-column`` is hashed by its normalised text
(:func:`audit.spark.load.normalised_text_key`), so exact and normalised copies are found by
the exact checks' Spark jobs. Target leakage and the baseline run on a sample
collected to the driver, where the pandas rules (text columns included) apply.

Near copies and label issues compare texts by their words (MinHash of word bigrams, TF-IDF),
which has no Spark job yet: on a table with a declared text column those checks report that
they did not run, with the reason, instead of comparing the other columns alone.
"""

from __future__ import annotations

from audit.spark.load import SparkAuditData
from checks.base import Finding, Severity

NOT_ON_SPARK = ("the text column(s) {names} are compared by their words (MinHash, TF-IDF) on the pandas engine "
                "only; run with --engine pandas")


def declared_text(data: SparkAuditData) -> list[str]:
    """The feature columns declared free text, in column order."""
    return [c for c in data.feature_columns if data.declared_kinds.get(c) == "text"]


def text_not_compared(code: str, split: str | None, columns: list[str]) -> Finding:
    """An info finding: near copies of a table with text were not looked for on Spark, and why."""
    reason = NOT_ON_SPARK.format(names=", ".join(repr(c) for c in columns))
    where = f"{split}: " if split else ""
    return Finding(code=code, severity=Severity.INFO, message=f"{where}near copies were not looked for: {reason}.",
                   metrics={**({"split": split} if split else {}), "n_rows": 0, "text_columns": columns})


def labels_not_checked_reason(columns: list[str]) -> str:
    return NOT_ON_SPARK.format(names=", ".join(repr(c) for c in columns))
