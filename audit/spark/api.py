"""The Spark engine's API: the calls :mod:`audit.api` makes, with the work done on Spark.

>>> report = run_audit_spark("s3a://lake/train/", "s3a://lake/val/", label="y")   # doctest: +SKIP
>>> report.passed, report.to_json()                                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from audit.api import judge_against_accepted, settings_for_call
from audit.config import Settings
from audit.data import ReadOptions, attach_extra_inputs
from audit.errors import InputError
from audit.progress import Progress, no_progress
from audit.report import AuditReport
from audit.runner import default_checks, override_severities
from audit.spark.load import SparkAuditData, load_spark
from audit.spark.runner import SparkAuditReport, collect_evidence, engine_settings, run_spark_checks
from audit.spark.session import DEFAULT_MASTER, spark_session
from checks import Severity


def audit_spark_data(data: SparkAuditData, settings: Settings | None = None, *,
                     progress: Progress = no_progress) -> AuditReport:
    """Run the selected checks on Spark and wrap the results in a report, as :func:`audit.api.audit_data`."""
    settings = settings or Settings()
    threshold = Severity.parse(settings.fail_on)
    selected = default_checks(settings.checks, settings.params)
    results = override_severities(run_spark_checks(data, selected, progress), settings.severity)
    progress("collecting the flagged rows")
    collect_evidence(data, results)
    progress("")
    effective = {**settings.to_dict(), "checks": [c.name for c in selected], **engine_settings(data)}
    report = SparkAuditReport(results=results, data=data, fail_on=threshold, allow_errors=settings.allow_errors,
                              settings=effective)
    judge_against_accepted(report, settings)
    return report


ATTRIBUTION_NOT_ON_SPARK = ("the spark engine trains the baseline on a sample and does not attribute the fixes; "
                            "run the pandas engine with --attribute on a sample of the files")


def complete_spark(report: AuditReport, settings: Settings, *, relabel: bool = False, keep_majority: bool = False,
                   progress: Progress = no_progress):
    """The fix plan from the findings (as :func:`audit.api.complete`) and, unless disabled, the
    baseline trained on a seeded sample of the splits (:mod:`audit.spark.baseline`).

    The plan needs only the flagged rows, which the report's bundle holds; the baseline reads
    the splits themselves, so this runs before their cache is released.
    """
    from audit.api import plan_fixes
    from audit.training.results import baseline_skipped
    from audit.spark.baseline import baseline_on_sample

    plan = plan_fixes(report, relabel=relabel, keep_majority=keep_majority)
    report.plan, report.fixes = plan, plan.summary()
    if settings.baseline.get("enabled", True):
        report.baseline = baseline_on_sample(report, plan, settings, progress)
        if settings.baseline.get("attribute") and report.baseline.ran:
            report.baseline = replace(report.baseline, attribution=baseline_skipped(ATTRIBUTION_NOT_ON_SPARK))
    else:
        report.baseline = baseline_skipped("disabled (--no-baseline or baseline.enabled = false)")
    return plan


def run_audit_spark(train: Any, val: Any | None = None, *, label: str | None = None,
                    config: Settings | dict | str | Path | None = None, spark: Any = None,
                    read_options: ReadOptions | None = None, progress: Progress = no_progress,
                    expectations: dict | str | Path | None = None, verbose: bool = False,
                    pred_probs: Any = None, **overrides: Any) -> AuditReport:
    """Audit splits given as Spark DataFrames, pandas DataFrames, Parquet or CSV paths (files
    or folders, any URI Spark reads) or ``table:<name>``; settings as in :func:`audit.run_audit`.

    ``spark`` is the SparkSession to use, or a master URL for a new one; without it, the
    active session or a new one on ``local[*]``.
    """
    if pred_probs is not None:
        raise InputError("given probabilities (pred_probs) are not supported by the spark engine; "
                         "leave them out (the engine computes its own) or use the pandas engine")
    settings, roles = settings_for_call(label, config, overrides)
    session = spark_session(spark or DEFAULT_MASTER) if spark is None or isinstance(spark, str) else spark
    data = load_spark(train, val, roles, split_column=settings.split_column, read_options=read_options,
                      random_state=settings.seed, spark=session)
    attach_extra_inputs(data, None, expectations, verbose)
    try:
        report = audit_spark_data(data, settings, progress=progress)
        complete_spark(report, settings, progress=progress)
    finally:
        data.unpersist()
    return report
