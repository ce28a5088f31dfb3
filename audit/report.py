"""The audit's result: check results, fix plan, baseline, diagnosis, and the gate's verdict.

Renderers (HTML, JSON, JUnit, text, GitHub) read this object and nothing else, so everything
a report shows must be reachable from here. The gate (passed, exit code, severity counts,
which findings fail it) is computed here, in :attr:`AuditReport.gate`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit.accepted import Judgement
from audit.errors import ExitCode
from audit.fixes import FixPlan, FixSummary
from audit.runner import CheckResult
from audit.version import TOOL_NAME, __version__
from checks import REGISTRY, AuditData, Finding, Severity
from checks.base import DOC_SECTIONS, SPLITS, to_builtin
from checks.encoders import ColumnKind, column_kinds

if TYPE_CHECKING:
    from audit.evidence import CappedEvidence
    from audit.training.confirmation import Unconfirmed
    from audit.training.diagnose.results import Diagnosis
    from audit.training.results import BaselineResult, Skipped

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Gate:
    """The gate's verdict on a report: whether it passed, its exit code, and the counts behind it.

    ``gating`` holds ``id(finding)`` of every finding that fails the gate: at or above
    ``fail_on`` and not accepted. ``judged`` counts the findings accepted, new and worsened
    against ``accepted_file``; None when no accepted-findings file was given.
    """

    fail_on: Severity
    allow_errors: bool
    passed: bool
    exit_code: int
    severity_counts: Mapping[Severity, int]
    gating: frozenset[int]
    crashed: int
    skipped: int
    n_checks: int
    judged: Mapping[str, int] | None = None
    accepted_file: str | None = None

    def gates(self, finding: Finding) -> bool:
        return id(finding) in self.gating

    @property
    def accepted(self) -> int:
        """Findings not counted because the accepted-findings file accepts them."""
        return (self.judged or {}).get("accepted", 0)


@dataclass(frozen=True)
class SplitInput:
    """One input split as the report describes it: its file, its rows and its columns."""

    split: str
    path: str | None
    rows: int
    columns: tuple[str, ...]


@dataclass
class AuditReport:
    results: list[CheckResult]
    data: AuditData
    fail_on: Severity = Severity.FAIL
    allow_errors: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    fixes: FixSummary | None = None
    baseline: BaselineResult | Skipped | None = None
    """The baseline's raw-versus-fixed runs and verdict (:mod:`audit.training`), or why it did not train."""
    plan: FixPlan | None = None
    """The fix plan behind ``fixes``, once made; ``fixed_train()`` applies it."""
    diagnosis: Diagnosis | Skipped | None = None
    """Every cause of a stalling val loss with its experiment, effect, verdict and remedy
    (:mod:`audit.training.diagnose`); None when not asked for."""
    judgements: dict[int, Judgement] | None = None
    """Against an accepted baseline: by ``id(finding)``, whether it is accepted, new or worsened."""
    evidence: dict[int, CappedEvidence] | None = None
    """By ``id(finding)``, the findings whose JSON keeps only their first rows, all of them being in
    a side file (:mod:`audit.evidence`); None keeps every row in the JSON."""

    @property
    def all_findings(self) -> list[tuple[str, Finding]]:
        return [(r.check, f) for r in self.results for f in r.findings]

    def judged_findings(self) -> list[tuple[CheckResult, Finding, str | None]]:
        """Every finding with its status against the accepted baseline (None without one)."""
        return [(r, f, self.status_of(f)) for r in self.results for f in r.findings]

    def status_of(self, finding: Finding) -> str | None:
        """accepted, new or worsened against the accepted findings; None without them, or for a
        finding added after the judgement (a notebook user's own)."""
        judgement = None if self.judgements is None else self.judgements.get(id(finding))
        return None if judgement is None else judgement.status

    def rows_file(self, finding: Finding) -> str | None:
        """The side file holding every row of a finding the JSON caps (relative to the report); None
        when the JSON holds them all."""
        capped = (self.evidence or {}).get(id(finding))
        return None if capped is None else capped.rows_file

    @property
    def unconfirmed(self) -> Unconfirmed:
        """The findings the baseline does not confirm, each with why: the fixes they led to made the
        model worse on the clean reference set (:mod:`audit.training.confirmation`). Empty when the
        baseline did not train or refuted nothing."""
        from audit.training.confirmation import Unconfirmed, refutations, unconfirmed_findings

        refuted = refutations(self.baseline)
        if not refuted:
            return Unconfirmed()
        from audit.fixes import FixOptions, build_plan

        plan = self.plan or build_plan(self.all_findings, self.data, FixOptions.recorded(self.fixes))
        return unconfirmed_findings((f for _, f in self.all_findings), plan, refuted)

    @property
    def gate(self) -> Gate:
        """The gate's verdict on the results as they are now."""
        findings = [f for _, f in self.all_findings]
        gating = frozenset(id(f) for f in findings if f.severity >= self.fail_on and self.status_of(f) != "accepted")
        crashed = len(self.crashed)
        failed_by_crash = bool(crashed) and not self.allow_errors
        passed = not failed_by_crash and not gating
        if failed_by_crash:
            exit_code = ExitCode.CHECK_CRASHED
        else:
            exit_code = ExitCode.PASSED if passed else ExitCode.GATE_FAILED
        judged = None
        if self.judgements is not None:
            statuses = [self.status_of(f) for f in findings]
            judged = {status: statuses.count(status) for status in ("accepted", "new", "worsened")}
        return Gate(
            fail_on=self.fail_on,
            allow_errors=self.allow_errors,
            passed=passed,
            exit_code=exit_code,
            severity_counts={s: sum(f.severity == s for f in findings) for s in Severity},
            gating=gating,
            crashed=crashed,
            skipped=sum(r.status == "skipped" for r in self.results),
            n_checks=len(self.results),
            judged=judged,
            accepted_file=(self.settings or {}).get("accepted") if judged is not None else None,
        )

    def gates(self, finding: Finding) -> bool:
        """Whether this finding fails the gate: severe enough and not accepted."""
        return self.gate.gates(finding)

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
        return self.gate.passed

    @property
    def exit_code(self) -> int:
        return self.gate.exit_code

    @property
    def findings(self) -> pd.DataFrame:
        """One row a finding, worst first: for notebooks and for filtering in code."""
        worst_first = sorted(self.all_findings, key=lambda pair: pair[1].severity, reverse=True)  # stable
        rows = [
            {"check": check, "code": f.code, "severity": str(f.severity), "message": f.message,
             "n_rows": len(f.rows), "n_columns": len(f.columns)}
            for check, f in worst_first
        ]
        return pd.DataFrame(rows, columns=["check", "code", "severity", "message", "n_rows", "n_columns"])

    def severity_counts(self) -> dict[str, int]:
        return {str(severity): n for severity, n in self.gate.severity_counts.items()}

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
        kinds = self.column_kinds()
        if any(kind.kind == "text" for kind in kinds.values()):
            # Listed for tables with free text, whose kinds change what every check compares.
            described["column_kinds"] = [kind.to_dict() for kind in kinds.values()]
        return described

    def column_kinds(self) -> dict[str, ColumnKind]:
        """Every column's kind and the reason, as the checks saw them."""
        return column_kinds(self.data)

    def split_inputs(self) -> list[SplitInput]:
        """The splits given, train first, as :meth:`inputs` describes them (an engine may count the rows)."""
        described = self.inputs()
        return [SplitInput(split, described[split]["path"], described[split]["rows"], tuple(described[split]["columns"]))
                for split in SPLITS if described.get(split)]

    @staticmethod
    def check_docs(name: str) -> dict[str, str]:
        """The docstring sections of a check, for reports that explain each finding; every section
        is there, empty when the check (or its docstring) has none."""
        check = REGISTRY.get(name)
        sections = check.doc_sections() if check else {}
        return {section: sections.get(section, "") for section in DOC_SECTIONS}

    def to_dict(self) -> dict[str, Any]:
        gate, unconfirmed = self.gate, self.unconfirmed
        return to_builtin({
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": TOOL_NAME, "version": __version__},
            "passed": gate.passed,
            "exit_code": gate.exit_code,
            "fail_on": str(self.fail_on),
            "severity_counts": {str(severity): n for severity, n in gate.severity_counts.items()},
            "settings": self.settings,
            "inputs": self.inputs(),
            "checks": [self._check_dict(r, unconfirmed) for r in self.results],
            "fixes": None if self.fixes is None else self.fixes.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
        })

    def _check_dict(self, result: CheckResult, unconfirmed: Unconfirmed) -> dict[str, Any]:
        evidence = self.evidence or {}
        document = result.to_dict({key: capped.rows_in_report for key, capped in evidence.items()})
        for finding, described in zip(result.findings, document["findings"]):
            if id(finding) in evidence:
                described.update(evidence[id(finding)].to_dict())
            reason = unconfirmed.reason(finding)
            if reason is not None:
                described.update({"confirmed": False, "not_confirmed_reason": reason})
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
