"""The checks section and the findings overview: one article a check, its findings worst first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.render.html.evidence import column_evidence, row_evidence
from audit.render.html.format import items, paragraphs, plural, slug, text
from audit.runner import CheckResult
from checks import Finding

if TYPE_CHECKING:  # only read for its attributes; the report imports this module
    from audit.report import AuditReport
    from audit.training.confirmation import Unconfirmed


def check_views(report: AuditReport) -> list[dict[str, Any]]:
    unconfirmed = report.unconfirmed
    return [_check_view(report, i, result, unconfirmed) for i, result in enumerate(report.results)]


def overview(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line a finding, worst first, then crashed and skipped checks."""
    rows = []
    for check in checks:
        for finding in check["findings"]:
            rows.append({
                "severity": finding["severity"], "level": finding["level"],
                "check": check["name"], "code": finding["code"], "message": finding["message"],
                "count": finding["count"], "anchor": finding["anchor"], "status": finding["status"],
                "not_confirmed": finding["not_confirmed"],
            })
    rows.sort(key=lambda row: row["level"], reverse=True)
    for check in checks:
        if check["status"] in ("error", "skipped"):
            rows.append({
                "severity": check["status"], "check": check["name"],
                "code": "crashed" if check["status"] == "error" else "skipped",
                "message": check["detail"], "count": "", "anchor": check["anchor"], "status": "",
                "not_confirmed": "",
            })
    return rows


def _check_view(report: AuditReport, index: int, result: CheckResult,
                unconfirmed: Unconfirmed) -> dict[str, Any]:
    anchor = f"check-{index}-{slug(result.check)}"
    severity = result.severity
    if result.status == "error":
        badge, badge_text = "error", "crashed"
    elif result.status == "skipped":
        badge, badge_text = "skipped", "skipped"
    elif severity is None:
        badge, badge_text = "ok", "ok"
    else:
        badge, badge_text = str(severity), str(severity)
    ordered = sorted(enumerate(result.findings), key=lambda item: item[1].severity, reverse=True)
    findings = [_finding_view(report, f"{anchor}-f{i}", finding, unconfirmed.reason(finding))
                for i, finding in ordered]
    docs = report.check_docs(result.check)
    return {
        "name": text(result.check, 80),
        "anchor": anchor,
        "status": result.status,
        "badge": badge,
        "badge_text": badge_text,
        "summary": _check_summary(result),
        "detail": _detail(result),
        "params": items(result.params),
        "why": paragraphs(docs["Why it matters"]),
        "fix": paragraphs(docs["How to fix"]),
        "findings": findings,
    }


def _check_summary(result: CheckResult) -> str:
    if result.status == "skipped":
        return "skipped"
    if result.status == "error":
        return f"crashed after {result.duration_s:.2f} s"
    found = plural(len(result.findings), "finding") if result.findings else "no findings"
    return f"ran in {result.duration_s:.2f} s, {found}"


def _detail(result: CheckResult) -> str:
    """The skip reason, or the last line of a crash's traceback (the JSON has all of it)."""
    if result.status == "skipped":
        return text(result.detail or "no reason given", 500)
    if result.status == "error":
        lines = [line for line in (result.detail or "").strip().splitlines() if line.strip()]
        return text(lines[-1] if lines else "unknown error", 500)
    return ""


def _finding_view(report: AuditReport, anchor: str, finding: Finding, not_confirmed: str | None) -> dict[str, Any]:
    """One finding; ``not_confirmed`` is why the baseline refutes it (None: not refuted)."""
    n_rows, n_columns = len(finding.rows), len(finding.columns)
    count = plural(n_rows, "row") if n_rows else (plural(n_columns, "column") if n_columns else "")
    status = report.status_of(finding)
    return {
        "anchor": anchor,
        "code": text(finding.code, 80),
        "status": slug(status) if status else "",
        "severity": str(finding.severity),
        "level": finding.severity,
        "message": text(finding.message, 2000),
        "not_confirmed": text(not_confirmed, 2000) if not_confirmed else "",
        "count": count,
        "metrics": items(finding.metrics),
        "rows": row_evidence(report, finding) if finding.rows else None,
        "columns": column_evidence(finding) if finding.columns else None,
    }
