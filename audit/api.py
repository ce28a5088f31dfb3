"""The Python API: the same calls the command line makes, for notebooks and orchestrators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit.accepted import judge, read_accepted
from audit.config import Settings, check_codes_known, find_config, refuse_found_code, settings_from_table
from audit.data import InputFiles, ReadOptions, Roles, attach_extra_inputs, from_frames, load_files
from audit.errors import InputError
from audit.fixes import FixOptions, FixPlan, build_plan
from audit.progress import Progress, no_progress
from audit.report import AuditReport
from audit.runner import default_checks, override_severities, run_checks
from checks import REGISTRY, AuditData, Severity

if TYPE_CHECKING:
    from audit.training.diagnose import Diagnosis
    from audit.training.results import Skipped


def load(train: pd.DataFrame | str | Path, val: pd.DataFrame | str | Path | None, roles: Roles,
         split_column: str | None = None, read_options: ReadOptions | None = None,
         random_state: int = 0, *, pred_probs: Any = None, expectations: dict | str | Path | None = None,
         verbose: bool = False) -> AuditData:
    """DataFrames are validated in place of files; paths are read by their file type.

    ``pred_probs`` (an array or a ``.npy`` path: train rows x classes, columns in the sorted
    order of the train labels) replaces the cross-validated probabilities of train;
    ``expectations`` (a suite dict or JSON path) replaces the suite inferred from train;
    ``verbose`` lets great-expectations show its progress bars and logs.
    """
    if isinstance(train, pd.DataFrame):
        if val is not None and not isinstance(val, pd.DataFrame):
            raise TypeError("give train and val both as DataFrames or both as paths")
        data = from_frames(train, val, roles, random_state)
    else:
        files = InputFiles(Path(train), Path(val) if val is not None else None, split_column,
                           read_options or ReadOptions())
        data = load_files(files, roles, random_state)
    return attach_extra_inputs(data, pred_probs, expectations, verbose)


def resolve_settings(config: Settings | dict | str | Path | None, overrides: dict[str, Any]) -> Settings:
    """Settings from a Settings object, a config table, a config file path, or the files found
    in the working folder (audit.toml, then pyproject.toml's [tool.audit]); then the overrides."""
    if isinstance(config, Settings):
        base, source = config, None
    elif isinstance(config, dict):
        base, source = settings_from_table(config, "config"), "config"
    else:
        table, source = find_config(Path(config) if config is not None else None)
        if config is None and source:
            refuse_found_code(table, source)
        base = settings_from_table(table, source) if source else Settings()
    settings = base.merged(overrides)
    check_codes_known(settings, {code for check in REGISTRY.values() for code in check.codes}, source)
    try:
        default_checks(settings.checks, settings.params)
    except ValueError as error:  # a check name or parameter from the file: say which file
        raise InputError(f"{source}: {error}" if source else str(error)) from None
    return settings


def audit_data(data: AuditData, settings: Settings | None = None, *, checks: Iterable[str] | None = None,
               check_params: dict[str, dict[str, Any]] | None = None, fail_on: str | None = None,
               allow_errors: bool | None = None, extra_settings: dict[str, Any] | None = None,
               progress: Progress = no_progress) -> AuditReport:
    """Run the checks on an already loaded bundle and wrap the results in a report."""
    settings = (settings or Settings()).merged({
        "checks": tuple(checks) if checks is not None else None, "params": check_params,
        "fail_on": fail_on, "allow_errors": allow_errors,
    })
    threshold = Severity.parse(settings.fail_on)
    selected = default_checks(settings.checks, settings.params)
    results = override_severities(run_checks(data, selected, progress), settings.severity)
    effective = {**settings.to_dict(), "checks": [c.name for c in selected], **(extra_settings or {})}
    report = AuditReport(results=results, data=data, fail_on=threshold, allow_errors=settings.allow_errors,
                         settings=effective)
    judge_against_accepted(report, settings)
    return report


def judge_against_accepted(report: AuditReport, settings: Settings) -> None:
    """Mark each finding accepted, new or worsened when an accepted-findings file is set."""
    if settings.accepted:
        accepted = read_accepted(Path(settings.accepted))
        report.judgements = {id(f): judge(f, report.data, accepted, settings.accept_tolerance)
                             for _, f in report.all_findings}


def complete(report: AuditReport, settings: Settings, *, relabel: bool = False, keep_majority: bool = False,
             progress: Progress = no_progress, diagnose: bool = False,
             diagnose_budget_s: float | None = None) -> FixPlan:
    """Add the fix plan and, unless disabled, the baseline's raw-vs-fixed comparison to a report
    (with ``baseline.attribute``, also one run per fix family: see :mod:`audit.training.attribution`);
    with ``diagnose``, then the diagnosis of every cause (see :func:`add_diagnosis`).

    Returns the plan, so a caller can write the fixed splits without building it again.
    """
    from audit.training.pipeline import run_baseline_for
    from audit.training.results import baseline_skipped

    plan = plan_fixes(report, relabel=relabel, keep_majority=keep_majority)
    report.plan, report.fixes = plan, plan.summary()
    if settings.baseline.get("enabled", True):
        report.baseline = run_baseline_for(report.data, plan, settings.baseline, settings.seed, progress)
        if settings.baseline.get("attribute") and report.baseline.ran:
            from audit.training.attribution import attribute_fixes

            attribution = attribute_fixes(report, plan, settings.baseline, settings.seed, progress)
            report.baseline = replace(report.baseline, attribution=attribution)
    else:
        report.baseline = baseline_skipped("disabled (--no-baseline or baseline.enabled = false)")
    if diagnose:
        add_diagnosis(report, budget_s=diagnose_budget_s, seed=settings.seed, progress=progress)
    return plan


def add_diagnosis(report: AuditReport, *, budget_s: float | None = None, seed: int | None = None,
                  progress: Progress = no_progress) -> Diagnosis | Skipped:
    """Run the small controlled experiments behind every cause of a stalling val loss.

    Trains variants of the baseline network on the report's fixed data (its fix plan, made
    by :func:`complete`, applied), reads the findings and the baseline's comparison, and
    stores the table in ``report.diagnosis``, which it also returns. ``budget_s`` (default
    60) bounds the training time: the number of seeds and the sample size are chosen to fit
    it, and the result lists what was cut.

    >>> complete(report, settings)                          # doctest: +SKIP
    >>> add_diagnosis(report, budget_s=120).causes         # doctest: +SKIP
    """
    from audit.training.diagnose import DEFAULT_BUDGET_S, DiagnoseSettings, diagnose

    budget = DEFAULT_BUDGET_S if budget_s is None else float(budget_s)
    if not budget > 0:
        raise ValueError(f"The 'budget_s' parameter of add_diagnosis must be a positive number of seconds. "
                         f"Got {budget_s!r} instead.")
    random_state = seed if seed is not None else int((report.settings or {}).get("seed") or 0)
    report.diagnosis = diagnose(report, DiagnoseSettings(budget_s=budget, random_state=random_state), progress)
    return report.diagnosis


def run_audit(train: pd.DataFrame | str | Path, val: pd.DataFrame | str | Path | None = None, *,
              label: str | None = None, config: Settings | dict | str | Path | None = None,
              progress: Progress = no_progress, pred_probs: Any = None,
              expectations: dict | str | Path | None = None, verbose: bool = False,
              engine: str = "pandas", spark: Any = None, **overrides: Any) -> AuditReport:
    """Audit a train split and an optional validation split; returns the report, prints nothing.

    Keyword arguments are the settings of ``audit.toml`` (``id_column``, ``group_column``,
    ``time_column``, ``ignore``, ``split_column``, ``checks``, ``params``, ``severity``,
    ``fail_on``, ``seed``, ``accepted``, ``baseline``...) and override ``config``. Like
    ``audit run``, it plans the fixes and trains the baseline unless
    ``baseline={"enabled": False}``.

    ``engine="spark"`` (implied by Spark DataFrames) runs the same checks on Apache Spark, on
    ``spark`` (a SparkSession or a master URL; default: the active session or ``local[*]``).

    >>> report = run_audit(train_df, val_df, label="y")      # doctest: +SKIP
    >>> report.passed, report.findings.head()                 # doctest: +SKIP
    """
    from audit.spark import is_spark_dataframe

    if engine == "spark" or is_spark_dataframe(train):
        from audit.spark.api import run_audit_spark

        return run_audit_spark(train, val, label=label, config=config, progress=progress, spark=spark,
                               expectations=expectations, verbose=verbose, pred_probs=pred_probs, **overrides)
    if engine != "pandas":
        raise ValueError(f"The 'engine' parameter of run_audit must be 'pandas' or 'spark'. Got {engine!r} instead.")
    settings, roles = settings_for_call(label, config, overrides)
    data = load(train, val, roles, split_column=settings.split_column, random_state=settings.seed,
                pred_probs=pred_probs, expectations=expectations, verbose=verbose)
    report = audit_data(data, settings, progress=progress)
    complete(report, settings, progress=progress)
    return report


def settings_for_call(label: str | None, config: Settings | dict | str | Path | None,
                      overrides: dict[str, Any]) -> tuple[Settings, Roles]:
    """The settings and column roles of one ``run_audit`` call, whichever engine runs it."""
    if "random_state" in overrides:
        overrides["seed"] = overrides.pop("random_state")
    for name in ("ignore", "checks"):
        if overrides.get(name) is not None:
            overrides[name] = tuple(overrides[name])
    unknown = sorted(set(overrides) - set(Settings.__dataclass_fields__))
    if unknown:
        raise TypeError(f"run_audit() got an unknown setting {unknown[0]!r}")
    settings = resolve_settings(config, {"label": label, **overrides})
    if not settings.label:
        raise InputError("no label column given: pass label=... or set label in the config")
    roles = Roles(settings.label, settings.id_column, settings.group_column, settings.time_column, settings.ignore)
    return settings, roles


def plan_fixes(report: AuditReport, *, relabel: bool = False, keep_majority: bool = False) -> FixPlan:
    """The fix plan for a report's findings: which rows to drop, relabel or keep out of the reference.

    ``relabel`` gives train label issues their suggested label instead of dropping them;
    ``keep_majority`` keeps the majority-label rows of a conflicting group (a tie drops all).

    >>> plan = plan_fixes(report)                              # doctest: +SKIP
    >>> fixed = plan.fixed_frames(report.data)                 # doctest: +SKIP
    >>> fixed.train, fixed.val, fixed.reference                # doctest: +SKIP
    """
    return build_plan(report.all_findings, report.data, FixOptions(relabel=relabel, keep_majority=keep_majority))
