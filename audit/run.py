"""One audit from inputs to report: the path ``audit run``/``fix``/``accept``, ``audit demo`` and
:func:`audit.run_audit` all take.

An entry point says what to do in a :class:`Job`, its settings merged and its checks built
once (:func:`audit.config.configure`); :func:`run_job` then goes straight through:

1. the engine (:func:`audit.engines.engine_for`) refuses what it cannot do, then loads the
   inputs once;
2. the checks run and their results become the report, judged against accepted findings;
3. the fix plan is made, the fixed splits written when asked, and the plan summarised once;
4. the suite data_quality infers from train is saved when asked;
5. the baseline trains on raw and fixed data (and once per fix family to attribute them),
   then the diagnosis runs, when asked;
6. the engine frees what it holds.

This module is the one place that calls into the training code (baseline, attribution,
diagnosis), whichever engine loaded the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.accepted import judge, read_accepted
from audit.config import Configuration, Settings
from audit.data import InputFiles, Roles
from audit.engines import engine_for
from audit.engines.base import Engine, Inputs
from audit.fixes import FixOptions, build_plan
from audit.output import write_atomic
from audit.progress import Progress, no_progress
from audit.report import AuditReport
from audit.runner import override_severities
from checks import AuditData, Severity
from checks.expectations import DataQuality
from checks.expectations_suite import suite_json

if TYPE_CHECKING:
    from audit.training.diagnose import Diagnosis
    from audit.training.results import Skipped

BASELINE_DISABLED = "disabled (--no-baseline or baseline.enabled = false)"
# How the files a fix plan writes are named in the terminal's list of written files.
FIXED_FILE_LABELS = {"manifest": "manifest", "manifest_csv": "manifest csv"}


@dataclass(frozen=True)
class FixedFiles:
    """Where the fixed splits and the manifest go: ``<out>/<name>.fixed/``."""

    out: Path
    name: str


@dataclass(frozen=True)
class Job:
    """Everything one audit is asked to do; built by the command line, the API or the demo."""

    configuration: Configuration
    inputs: Inputs
    engine: str | None = None
    """``pandas`` or ``spark``; None: pandas, unless the inputs are Spark DataFrames."""
    spark: Any = None
    """The spark engine's SparkSession or master URL."""
    fix_options: FixOptions = field(default_factory=FixOptions)
    fixed_files: FixedFiles | None = None
    diagnose: bool = False
    diagnose_budget_s: float | None = None
    expectations_out: Path | None = None
    """Where to save the suite data_quality infers from train, if anywhere."""
    extra_settings: Mapping[str, Any] = field(default_factory=dict)
    """Recorded in the report's settings beside the merged ones (the demo marks itself)."""

    @property
    def settings(self) -> Settings:
        return self.configuration.settings


@dataclass(frozen=True)
class Outcome:
    """The report, and the fixed splits and manifest the run wrote, by the label the terminal shows."""

    report: AuditReport
    written: dict[str, str]


def run_job(job: Job, progress: Progress = no_progress) -> Outcome:
    """Run one audit as :class:`Job` describes it; the report is complete, its files are not written."""
    settings = job.settings
    engine = engine_for(job.engine, job.inputs.train, spark=job.spark)
    engine.refuse(job.inputs, write_fixed=job.fixed_files is not None)
    suite_check = job.configuration.check_named(DataQuality.name) if job.expectations_out is not None else None
    loaded = engine.load(job.inputs, roles_of(settings), split_column=settings.split_column,
                         random_state=settings.seed, progress=progress)
    try:
        report = check(engine, loaded.data, job.configuration, job.extra_settings, progress)
        written = add_fix_plan(report, job.fix_options, job.fixed_files, loaded.files)
        if suite_check is not None:
            write_atomic(job.expectations_out, suite_json(engine.inferred_suite(suite_check, loaded.data)))
        add_baseline(engine, report, settings, progress)
        if job.diagnose:
            if engine.no_diagnosis:
                from audit.training.diagnose import diagnosis_skipped

                report.diagnosis = diagnosis_skipped(engine.no_diagnosis)
            else:
                add_diagnosis(report, budget_s=job.diagnose_budget_s, seed=settings.seed, progress=progress)
    finally:
        engine.release(loaded.data)
    return Outcome(report, written)


def roles_of(settings: Settings) -> Roles:
    return Roles(settings.label or "label", settings.id_column, settings.group_column, settings.time_column,
                 settings.ignore)


def check(engine: Engine, data: AuditData, configuration: Configuration,
          extra_settings: Mapping[str, Any] | None = None, progress: Progress = no_progress) -> AuditReport:
    """Run the configured checks on a loaded bundle and wrap the results in a report."""
    settings, checks = configuration.settings, configuration.checks
    results = override_severities(engine.run_checks(data, checks, progress), settings.severity)
    effective = {**settings.to_dict(), "checks": [c.name for c in checks], **(extra_settings or {}),
                 **engine.described(data)}
    report = engine.report_type(results=results, data=data, fail_on=Severity.parse(settings.fail_on),
                                allow_errors=settings.allow_errors, settings=effective)
    if settings.accepted:
        accepted = read_accepted(Path(settings.accepted))
        report.judgements = {id(f): judge(f, data, accepted, settings.accept_tolerance)
                             for _, f in report.all_findings}
    return report


def add_fix_plan(report: AuditReport, options: FixOptions, fixed_files: FixedFiles | None = None,
                 files: InputFiles | None = None) -> dict[str, str]:
    """Plan the fixes of a report's findings, write the fixed splits when asked, and summarise the plan.

    Returns the written files by the label the terminal shows them with.
    """
    plan = build_plan(report.all_findings, report.data, options)
    written: dict[str, Path] = {}
    if fixed_files is not None:
        from audit.fixed_files import write_fixed

        written = write_fixed(plan, report.data, fixed_files.out, fixed_files.name, files)
    report.plan, report.fixes = plan, plan.summary(written)
    return {FIXED_FILE_LABELS.get(kind, f"fixed {kind}"): str(path) for kind, path in written.items()}


def add_baseline(engine: Engine, report: AuditReport, settings: Settings, progress: Progress = no_progress) -> None:
    """Train the baseline on the raw and the fixed data (``report.plan``), unless disabled;
    with ``baseline.attribute``, then once per fix family (see :mod:`audit.training.attribution`)."""
    from audit.training.pipeline import run_baseline_for
    from audit.training.results import baseline_skipped

    options = settings.baseline
    if not options.get("enabled", True):
        report.baseline = baseline_skipped(BASELINE_DISABLED)
        return
    on_driver = engine.training_data(report.data, report.plan, settings, progress)
    report.baseline = run_baseline_for(on_driver.data, on_driver.plan, options, settings.seed, progress,
                                       sample=on_driver.sample)
    if options.get("attribute") and report.baseline.ran:
        if engine.no_attribution:
            attribution = baseline_skipped(engine.no_attribution)
        else:
            from audit.training.attribution import attribute_fixes

            attribution = attribute_fixes(report, report.plan, options, settings.seed, progress)
        report.baseline = replace(report.baseline, attribution=attribution)


def add_diagnosis(report: AuditReport, *, budget_s: float | None = None, seed: int | None = None,
                  progress: Progress = no_progress) -> Diagnosis | Skipped:
    """Run the small controlled experiments behind every cause of a stalling val loss.

    Trains variants of the baseline network on the report's fixed data (its fix plan
    applied), reads the findings and the baseline's comparison, and stores the table in
    ``report.diagnosis``, which it also returns. ``budget_s`` (default 60) bounds the
    training time: the number of seeds and the sample size are chosen to fit it, and the
    result lists what was cut.

    >>> report = run_audit(train_df, val_df, label="y")      # doctest: +SKIP
    >>> add_diagnosis(report, budget_s=120).causes            # doctest: +SKIP
    """
    from audit.training.diagnose import DEFAULT_BUDGET_S, DiagnoseSettings, diagnose

    budget = DEFAULT_BUDGET_S if budget_s is None else float(budget_s)
    if not budget > 0:
        raise ValueError(f"The 'budget_s' parameter of add_diagnosis must be a positive number of seconds. "
                         f"Got {budget_s!r} instead.")
    random_state = seed if seed is not None else int((report.settings or {}).get("seed") or 0)
    report.diagnosis = diagnose(report, DiagnoseSettings(budget_s=budget, random_state=random_state), progress)
    return report.diagnosis
