"""The Python API: the calls the command line makes, for notebooks and orchestrators.

:func:`run_audit` is ``audit run`` in one call, on either engine. Its steps are public too,
for a notebook that looks between them: :func:`load`, :func:`audit_data`, :func:`plan_fixes`
and :func:`add_diagnosis`. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from audit.config import Settings, configure
from audit.data import ReadOptions, Roles
from audit.engines import engine_for
from audit.engines.base import Inputs
from audit.errors import InputError
from audit.fixes import FixOptions, FixPlan, build_plan
from audit.progress import Progress, no_progress
from audit.report import AuditReport
from audit.run import Job, add_diagnosis, check, run_job
from checks import AuditData

__all__ = ["run_audit", "load", "audit_data", "plan_fixes", "add_diagnosis", "resolve_settings"]


def run_audit(train: Any, val: Any = None, *, label: str | None = None,
              config: Settings | dict | str | Path | None = None, progress: Progress = no_progress,
              pred_probs: Any = None, expectations: dict | str | Path | None = None, verbose: bool = False,
              engine: str = "pandas", spark: Any = None, **overrides: Any) -> AuditReport:
    """Audit a train split and an optional validation split; returns the report, prints nothing.

    ``train`` and ``val`` are DataFrames or file paths. Keyword arguments are the settings of
    ``audit.toml`` (``id_column``, ``group_column``, ``time_column``, ``ignore``, ``text_columns``,
    ``split_column``, ``checks``, ``params``, ``severity``, ``fail_on``, ``seed``,
    ``accepted``, ``baseline``...) and override ``config`` (``baseline`` key by key). Like
    ``audit run``, it plans the fixes and trains the baseline unless
    ``baseline={"enabled": False}``.

    ``engine="spark"`` (implied by Spark DataFrames) runs the same checks on Apache Spark, on
    ``spark`` (a SparkSession or a master URL; default: the active session or ``local[*]``);
    paths may then also be folders, URIs or ``table:<name>``.

    >>> report = run_audit(train_df, val_df, label="y")      # doctest: +SKIP
    >>> report.passed, report.findings.head()                 # doctest: +SKIP
    """
    if "random_state" in overrides:
        overrides["seed"] = overrides.pop("random_state")
    for name in ("ignore", "text_columns", "checks"):
        if overrides.get(name) is not None:
            overrides[name] = tuple(overrides[name])
    unknown = sorted(set(overrides) - set(Settings.__dataclass_fields__))
    if unknown:
        raise TypeError(f"run_audit() got an unknown setting {unknown[0]!r}")
    configuration = configure(config, {"label": label, **overrides})
    if not configuration.settings.label:
        raise InputError("no label column given: pass label=... or set label in the config")
    job = Job(configuration, Inputs(train, val, pred_probs=pred_probs, expectations=expectations, verbose=verbose),
              engine=engine, spark=spark)
    return run_job(job, progress).report


def load(train: Any, val: Any, roles: Roles, split_column: str | None = None,
         read_options: ReadOptions | None = None, random_state: int = 0, *, pred_probs: Any = None,
         expectations: dict | str | Path | None = None, verbose: bool = False) -> AuditData:
    """Read and validate the splits into the bundle the checks take, on the engine they live in.

    DataFrames are validated in place of files; paths are read by their file type.
    ``pred_probs`` (an array or a ``.npy`` path: train rows x classes, columns in the sorted
    order of the train labels) replaces the cross-validated probabilities of train;
    ``expectations`` (a suite dict or JSON path) replaces the suite inferred from train;
    ``verbose`` lets great-expectations show its progress bars and logs.
    """
    inputs = Inputs(train, val, read_options or ReadOptions(), pred_probs, expectations, verbose)
    return engine_for(given=train).load(inputs, roles, split_column=split_column, random_state=random_state).data


def audit_data(data: AuditData, settings: Settings | None = None, *, checks: Iterable[str] | None = None,
               check_params: dict[str, dict[str, Any]] | None = None, fail_on: str | None = None,
               allow_errors: bool | None = None, extra_settings: dict[str, Any] | None = None,
               progress: Progress = no_progress) -> AuditReport:
    """Run the checks on an already loaded bundle (either engine's) and wrap the results in a report."""
    configuration = configure(settings or Settings(), {
        "checks": tuple(checks) if checks is not None else None, "params": check_params,
        "fail_on": fail_on, "allow_errors": allow_errors,
    })
    return check(engine_for(given=data), data, configuration, extra_settings, progress)


def plan_fixes(report: AuditReport, *, relabel: bool = False, keep_majority: bool = False,
               include_info: bool = False) -> FixPlan:
    """The fix plan for a report's findings: which rows to drop, relabel or keep out of the reference.

    ``relabel`` gives train label issues their suggested label instead of dropping them;
    ``keep_majority`` keeps the majority-label rows of a conflicting group (a tie drops all);
    ``include_info`` also acts on info-level findings (by default listed for review only).

    >>> plan = plan_fixes(report)                              # doctest: +SKIP
    >>> fixed = plan.fixed_frames(report.data)                 # doctest: +SKIP
    >>> fixed.train, fixed.val, fixed.reference                # doctest: +SKIP
    """
    options = FixOptions(relabel=relabel, keep_majority=keep_majority, include_info=include_info)
    return build_plan(report.all_findings, report.data, options)


def resolve_settings(config: Settings | dict | str | Path | None, overrides: dict[str, Any]) -> Settings:
    """Settings from a Settings object, a config table, a config file path, or the files found
    in the working folder (audit.toml, then pyproject.toml's [tool.audit]); then the overrides."""
    return configure(config, overrides).settings
