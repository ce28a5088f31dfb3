"""Run registered checks on one input bundle: skip what cannot run, capture what crashes."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from audit.progress import Progress, no_progress, report_check
from checks import REGISTRY, AuditData, Check, CheckParameterError, Finding, Severity
from checks.base import to_builtin
from checks.images.evidence import with_paths


@dataclass
class CheckResult:
    """What happened to one check: ran (with findings), skipped (why) or error (traceback)."""

    check: str
    status: str
    params: dict[str, Any]
    duration_s: float
    findings: list[Finding] = field(default_factory=list)
    detail: str | None = None

    @property
    def severity(self) -> Severity | None:
        """The worst finding's severity; a crashed check counts as a failure."""
        if self.status == "error":
            return Severity.FAIL
        return max((f.severity for f in self.findings), default=None)

    def to_dict(self, max_rows: Mapping[int, int] | None = None) -> dict[str, Any]:
        """The result as JSON values; ``max_rows`` caps the rows of findings by ``id(finding)``."""
        severity = self.severity
        return {
            "check": self.check,
            "status": self.status,
            "severity": None if severity is None else str(severity),
            "params": to_builtin(self.params),
            "duration_s": round(self.duration_s, 4),
            "detail": self.detail,
            "findings": [f.to_dict((max_rows or {}).get(id(f))) for f in self.findings],
        }


def default_checks(selected: Iterable[str] | None = None, params: dict[str, dict] | None = None) -> list[Check]:
    """Instantiate checks by name (all registered ones when none are named).

    Unknown names and bad parameters are refused here, before any data is touched.
    """
    params = params or {}
    names = list(REGISTRY) if selected is None else list(selected)
    unknown = [n for n in [*names, *params] if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown check {unknown[0]!r}; the checks are {', '.join(REGISTRY)}")
    for name, given in params.items():
        allowed = REGISTRY[name].parameters
        for key in given:
            if key not in allowed:
                raise CheckParameterError(
                    f"{key!r} is not a parameter of the {name!r} check; its parameters are "
                    f"{', '.join(map(repr, allowed)) or 'none'}"
                )
    checks = [REGISTRY[name](**params.get(name, {})) for name in names]
    for check in checks:
        check.validate_params()
    return checks


def run_checks(data: AuditData, checks: Iterable[Check], progress: Progress = no_progress) -> list[CheckResult]:
    results = []
    for check in checks:
        progress(f"check {check.name}")
        results.append(run_one(data, check))
        report_check(progress, results[-1])
    progress("")
    return results


def override_severities(results: list[CheckResult], overrides: Mapping[str, str]) -> list[CheckResult]:
    """Apply per-code severity overrides from the configuration (e.g. label_shift = "fail")."""
    if not overrides:
        return results
    return [
        replace(result, findings=[
            replace(f, severity=Severity.parse(overrides[f.code])) if f.code in overrides else f
            for f in result.findings
        ])
        for result in results
    ]


def run_one(data: AuditData, check: Check) -> CheckResult:
    params = check.get_params()
    unmet = sorted(need for need in check.needs if not data.provides(need))
    if unmet:
        return CheckResult(check.name, "skipped", params, 0.0, detail=skip_reason(unmet))
    started = time.perf_counter()
    try:
        findings = with_paths(list(check.run(data)), data)
    except Exception:  # a crashed check is a result, reported and gated on, not a crash
        return CheckResult(check.name, "error", params, time.perf_counter() - started,
                           detail=traceback.format_exc())
    return CheckResult(check.name, "ran", params, time.perf_counter() - started, findings)


SKIP_REASONS = {
    "val": "no validation split was given (--val or --split-column)",
    "group_column": "no group column was given (--group-column)",
    "time_column": "no time column was given (--time-column)",
    "id_column": "no id column was given (--id-column)",
    "images": "the rows are not pictures",
    "vectors": "the rows are pictures: image_near_copies compares them",
}


def skip_reason(unmet: list[str]) -> str:
    return "; ".join(SKIP_REASONS.get(need, need) for need in unmet)
