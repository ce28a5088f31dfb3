"""The audit's result: check results, fix plan, baseline, diagnosis, and the gate's verdict.

Renderers (HTML, JSON, JUnit, text) read this object and nothing else, so everything a
report shows must be reachable from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from audit.accepted import Judgement
from audit.errors import ExitCode
from audit.fixes import FixPlan
from audit.runner import CheckResult
from checks import REGISTRY, AuditData, Finding, Severity
from checks.base import to_builtin

SCHEMA_VERSION = 1
TOOL_NAME = "dataset-audit"


@dataclass
class AuditReport:
    results: list[CheckResult]
    data: AuditData
    fail_on: Severity = Severity.FAIL
    allow_errors: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    fixes: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    plan: FixPlan | None = None
    """The fix plan behind ``fixes``, once made; ``fixed_train()`` applies it."""
    diagnosis: dict[str, Any] | None = None
    """Every cause of a stalling val loss with its experiment, effect, verdict and remedy
    (:mod:`audit.diagnose`); None when not asked for."""
    judgements: dict[int, Judgement] | None = None
    """Against an accepted baseline: by ``id(finding)``, whether it is accepted, new or worsened."""

    @property
    def all_findings(self) -> list[tuple[str, Finding]]:
        return [(r.check, f) for r in self.results for f in r.findings]

    def judged_findings(self) -> list[tuple[CheckResult, Finding, str | None]]:
        """Every finding with its status against the accepted baseline (None without one)."""
        return [(r, f, self.status_of(f)) for r in self.results for f in r.findings]

    def status_of(self, finding: Finding) -> str | None:
        if self.judgements is None:
            return None
        return self.judgements[id(finding)].status

    def gates(self, finding: Finding) -> bool:
        """Whether this finding fails the gate: severe enough and not accepted."""
        return finding.severity >= self.fail_on and self.status_of(finding) != "accepted"

    def fixed_train(self) -> pd.DataFrame:
        """Train with the fix plan applied (the options recorded in ``fixes``, else the defaults).

        The index holds the input row numbers of the rows kept.
        """
        return self._fixed_frames().train

    def fixed_val(self) -> pd.DataFrame | None:
        """Val with the fix plan applied; None without a validation split."""
        return self._fixed_frames().val

    def _fixed_frames(self):
        from audit.fixes import FixOptions, build_plan

        plan = self.plan or build_plan(self.all_findings, self.data, FixOptions.recorded(self.fixes))
        return plan.fixed_frames(self.data)

    @property
    def crashed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "error"]

    @property
    def passed(self) -> bool:
        """No finding at or above ``fail_on`` and, unless allowed, no crashed check."""
        if self.crashed and not self.allow_errors:
            return False
        return not any(self.gates(f) for _, f in self.all_findings)

    @property
    def exit_code(self) -> int:
        if self.crashed and not self.allow_errors:
            return ExitCode.CHECK_CRASHED
        return ExitCode.PASSED if self.passed else ExitCode.GATE_FAILED

    @property
    def findings(self) -> pd.DataFrame:
        """One row a finding, worst first: for notebooks and for filtering in code."""
        rows = [
            {"check": check, "code": f.code, "severity": str(f.severity), "message": f.message,
             "n_rows": len(f.rows), "n_columns": len(f.columns), "_rank": -int(f.severity)}
            for check, f in self.all_findings
        ]
        frame = pd.DataFrame(rows, columns=["check", "code", "severity", "message", "n_rows", "n_columns", "_rank"])
        return frame.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)

    def severity_counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Severity}
        for _, finding in self.all_findings:
            counts[str(finding.severity)] += 1
        return counts

    def inputs(self) -> dict[str, Any]:
        data = self.data
        described: dict[str, Any] = {
            split: {"path": data.sources.get(split), "rows": len(frame), "columns": [str(c) for c in frame.columns]}
            for split, frame in data.frames.items()
        }
        described.setdefault("val", None)
        described["label"] = data.label
        described["roles"] = {"id": data.id_column, "group": data.group_column, "time": data.time_column,
                              "ignored": list(data.ignored)}
        return described

    @staticmethod
    def check_docs(name: str) -> dict[str, str]:
        """The docstring sections of a check, for reports that explain each finding."""
        check = REGISTRY.get(name)
        return check.doc_sections() if check else {}

    def to_dict(self) -> dict[str, Any]:
        from audit.version import __version__

        return to_builtin({
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": TOOL_NAME, "version": __version__},
            "passed": self.passed,
            "exit_code": self.exit_code,
            "fail_on": str(self.fail_on),
            "severity_counts": self.severity_counts(),
            "settings": self.settings,
            "inputs": self.inputs(),
            "checks": [self._check_dict(r) for r in self.results],
            "fixes": self.fixes,
            "baseline": self.baseline,
            "diagnosis": self.diagnosis,
        })

    def _check_dict(self, result: CheckResult) -> dict[str, Any]:
        document = result.to_dict()
        if self.judgements is not None:
            for finding, described in zip(result.findings, document["findings"]):
                judgement = self.judgements[id(finding)]
                described["baseline_status"] = judgement.status
                described["new_rows"] = judgement.new_rows
        return document

    def to_json(self) -> str:
        from audit.render.json import render_json

        return render_json(self)

    def to_html(self) -> str:
        """The self-contained HTML report (what the CLI writes as ``<name>.html``)."""
        from audit.render.html import render_html

        return render_html(self)

    def _repr_html_(self) -> str:
        """How a notebook shows the report: the HTML report as a fragment of the page."""
        from audit.render.html import render_html

        return render_html(self, standalone=False)
