"""The Python API: the same calls the command line makes, for notebooks and orchestrators."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from audit.data import InputFiles, ReadOptions, Roles, from_frames, load_files
from audit.report import AuditReport
from audit.runner import default_checks, run_checks
from checks import AuditData, Severity


def load(train: pd.DataFrame | str | Path, val: pd.DataFrame | str | Path | None, roles: Roles,
         split_column: str | None = None, read_options: ReadOptions | None = None,
         random_state: int = 0) -> AuditData:
    """DataFrames are validated in place of files; paths are read by their file type."""
    if isinstance(train, pd.DataFrame):
        if val is not None and not isinstance(val, pd.DataFrame):
            raise TypeError("give train and val both as DataFrames or both as paths")
        return from_frames(train, val, roles, random_state)
    files = InputFiles(Path(train), Path(val) if val is not None else None, split_column,
                       read_options or ReadOptions())
    return load_files(files, roles, random_state)


def audit_data(data: AuditData, *, checks: Iterable[str] | None = None,
               check_params: dict[str, dict[str, Any]] | None = None, fail_on: str = "fail",
               allow_errors: bool = False, settings: dict[str, Any] | None = None) -> AuditReport:
    """Run the checks on an already loaded bundle and wrap the results in a report."""
    threshold = Severity.parse(fail_on)
    selected = default_checks(checks, check_params)
    results = run_checks(data, selected)
    effective = {"fail_on": str(threshold), "random_state": data.random_state,
                 "checks": [c.name for c in selected], **(settings or {})}
    return AuditReport(results=results, data=data, fail_on=threshold, allow_errors=allow_errors,
                       settings=effective)


def run_audit(train: pd.DataFrame | str | Path, val: pd.DataFrame | str | Path | None = None, *,
              label: str, id_column: str | None = None, group_column: str | None = None,
              time_column: str | None = None, ignore: Iterable[str] = (), split_column: str | None = None,
              checks: Iterable[str] | None = None, check_params: dict[str, dict[str, Any]] | None = None,
              fail_on: str = "fail", random_state: int = 0, allow_errors: bool = False) -> AuditReport:
    """Audit a train split and an optional validation split; returns the report, prints nothing.

    >>> report = run_audit(train_df, val_df, label="y")      # doctest: +SKIP
    >>> report.passed, report.findings.head()                 # doctest: +SKIP
    """
    roles = Roles(label, id_column, group_column, time_column, tuple(ignore))
    data = load(train, val, roles, split_column=split_column, random_state=random_state)
    return audit_data(data, checks=checks, check_params=check_params, fail_on=fail_on,
                      allow_errors=allow_errors)
