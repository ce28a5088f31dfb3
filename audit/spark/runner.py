"""Run the registered checks on Spark through the one runner every engine uses.

Each selected check is wrapped in a :class:`SparkCheck` that keeps its name, needs and
parameters and whose ``run`` is the check's Spark implementation, then handed to
:func:`audit.runner.run_one`: skipping on unmet needs, timing and turning a crash into an
``error`` result work exactly as on one machine. A check without a Spark implementation is
reported as skipped, with the reason, never silently left out.

After the checks ran, the rows their findings name (and the rows those point at:
``duplicate_of``, ``train_row``) are collected into the bundle's ``frames``, so reports, fix
plans and accepted-findings files can show and fingerprint them as they do on one machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pyspark.sql import types as T

from audit.progress import Progress, no_progress, report_check
from audit.report import AuditReport
from audit.runner import CheckResult, run_one
from audit.spark.collect import collected
from audit.spark.load import SparkAuditData
from audit.spark.rows import ROW
from checks.base import Check, Finding
from checks.encoders import ColumnKind

Implementation = Callable[[Check, SparkAuditData], list[Finding]]


def implementations() -> dict[str, Implementation]:
    """Check name -> Spark implementation, for every check the Spark engine runs."""
    from audit.spark import exact, labels, near, quality, target

    table: dict[str, Implementation] = {}
    for module in (exact, near, labels, quality, target):
        table.update(module.IMPLEMENTATIONS)
    return table


@dataclass
class SparkCheck:
    """A registered check whose ``run`` is its Spark implementation; the rest is the check's."""

    check: Check
    implementation: Implementation

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def needs(self) -> frozenset[str]:
        return self.check.needs

    def get_params(self) -> dict[str, Any]:
        return self.check.get_params()

    def run(self, data: SparkAuditData) -> list[Finding]:
        return self.implementation(self.check, data)


def not_on_spark(name: str) -> str:
    return f"the {name} check has no Spark implementation yet; run it with --engine pandas"


def run_spark_checks(data: SparkAuditData, checks: Iterable[Check],
                     progress: Progress = no_progress) -> list[CheckResult]:
    table = implementations()
    results = []
    for check in checks:
        progress(f"check {check.name} (spark)")
        implementation = table.get(check.name)
        if implementation is None:
            results.append(CheckResult(check.name, "skipped", check.get_params(), 0.0, detail=not_on_spark(check.name)))
        else:
            results.append(run_one(data, SparkCheck(check, implementation)))
        report_check(progress, results[-1])
    progress("")
    return results


def referenced_rows(results: Iterable[CheckResult]) -> dict[str, set[int]]:
    """Every (split, row) the findings name or point at."""
    wanted: dict[str, set[int]] = {"train": set(), "val": set()}
    for result in results:
        for finding in result.findings:
            for entry in finding.rows:
                split = entry.get("split")
                if split in wanted and entry.get("row") is not None:
                    wanted[split].add(int(entry["row"]))
                if entry.get("duplicate_of") is not None:
                    wanted.setdefault(entry.get("duplicate_split", split), set()).add(int(entry["duplicate_of"]))
                if entry.get("train_row") is not None:
                    wanted["train"].add(int(entry["train_row"]))
    return wanted


def collect_evidence(data: SparkAuditData, results: Iterable[CheckResult]) -> None:
    """Fill ``data.frames`` with the referenced rows, typed as pandas reads them."""
    for split, rows in referenced_rows(results).items():
        if split not in data.spark_frames or not rows:
            continue
        keys = data.spark.createDataFrame([(r,) for r in sorted(rows)], T.StructType([T.StructField(ROW, T.LongType())]))
        data.frames[split] = collected(data, split, data.spark_frames[split].join(keys, on=ROW),
                                       data.frames[split].columns)


class SparkAuditReport(AuditReport):
    """An :class:`~audit.report.AuditReport` whose row counts come from Spark, not from ``frames``."""

    def inputs(self) -> dict[str, Any]:
        described = super().inputs()
        data = self.data
        if isinstance(data, SparkAuditData):
            for split, n_rows in data.n_rows.items():
                if isinstance(described.get(split), dict):
                    described[split]["rows"] = n_rows
        return described

    def column_kinds(self) -> dict[str, ColumnKind]:
        from audit.spark.encoding import spark_column_kinds

        return spark_column_kinds(self.data) if isinstance(self.data, SparkAuditData) else super().column_kinds()


def engine_settings(data: SparkAuditData) -> dict[str, Any]:
    """What the report records about the run on Spark: the session and what was sampled."""
    spark = data.spark
    return {"engine": "spark", "spark": {
        "version": spark.version,
        "master": spark.sparkContext.master,
        "rows": dict(data.n_rows),
        "notes": list(data.notes),
    }}

