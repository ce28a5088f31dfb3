"""The terminal summary: one line a finding, then the verdict and where the files are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import AuditReport

MAX_MESSAGE = 160
DIAGNOSIS_LINE = 240


def render_text(report: AuditReport, written: dict[str, str] | None = None) -> str:
    lines = []
    for result in report.results:
        if result.status == "skipped":
            lines.append(f"skip  {result.check}: {one_line(result.detail or '', limit=None)}")
        elif result.status == "ran" and not result.findings:
            lines.append(f"ok    {result.check}: nothing found")
        elif result.status == "error":
            last = (result.detail or "").strip().splitlines()[-1:] or ["unknown error"]
            lines.append(f"ERROR {result.check}: crashed ({one_line(last[0])}); rerun with --debug for the traceback")
        for finding in sorted(result.findings, key=lambda f: -f.severity):
            message = one_line(finding.message)
            status = report.status_of(finding)
            marker = f" [{status}]" if status else ""
            lines.append(f"{str(finding.severity).upper():<5} {finding.code}{marker}: {message}")
    if report.baseline and report.baseline.get("verdict"):
        lines.append(f"baseline: {one_line(report.baseline['verdict'], limit=None)}")
    elif report.baseline and report.baseline.get("reason"):
        lines.append(f"baseline: not trained: {one_line(report.baseline['reason'], limit=None)}")
    if report.baseline and report.baseline.get("sample"):
        lines.append(f"baseline: {one_line(sample_note(report.baseline['sample']), limit=None)}")
    attribution = (report.baseline or {}).get("attribution") or {}
    if attribution.get("summary") or attribution.get("reason"):
        said = attribution.get("summary") or f"not trained: {attribution['reason']}"
        lines.append(f"attribution: {one_line(said, limit=None)}")
    lines += diagnosis_lines(report.diagnosis)
    lines.append(verdict_line(report))
    for kind, path in (written or {}).items():
        lines.append(f"{kind}: {path}")
    return "\n".join(lines) + "\n"


def verdict_line(report: AuditReport) -> str:
    """The gate's verdict and the counts behind it (all ``--quiet`` prints)."""
    counts = report.severity_counts()
    verdict = "PASSED" if report.passed else "FAILED"
    summary = (f"{verdict} (fail on {report.fail_on}): {counts['fail']} fail, {counts['warn']} warn, "
               f"{counts['info']} info, {len(report.crashed)} crashed")
    if report.judgements is not None:
        statuses = [j.status for j in report.judgements.values()]
        summary += (f"; against {report.settings.get('accepted')}: {statuses.count('accepted')} accepted, "
                    f"{statuses.count('new')} new, {statuses.count('worsened')} worsened")
    return summary


def diagnosis_lines(diagnosis: dict | None) -> list[str]:
    """One line a cause: its verdict, why, and the remedy when it is likely."""
    if not diagnosis:
        return []
    if diagnosis.get("status") != "ran":
        return [f"diagnosis: not run: {one_line(diagnosis.get('reason') or 'no reason given', limit=None)}"]
    lines = []
    for row in diagnosis.get("causes") or []:
        verdict = str(row.get("verdict") or "")
        text = f"{row.get('title')}: {verdict} - {row.get('reason')}"
        if verdict == "likely":
            text += f"; remedy: {row.get('remedy')}"
        lines.append(f"{'DIAG':<5} {one_line(text, limit=DIAGNOSIS_LINE)}")
    cuts = (diagnosis.get("budget") or {}).get("cuts") or []
    if cuts:
        lines.append(f"{'DIAG':<5} {one_line('the time budget cut: ' + '; '.join(map(str, cuts)))}")
    return lines


def one_line(text: str, limit: int | None = MAX_MESSAGE) -> str:
    """Collapse whitespace and control characters so a cell cannot break the terminal's layout."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 3] + "..."


def sample_note(sample: Mapping[str, Any]) -> str:
    """How much of each split a baseline trained on a sample saw (the Spark engine samples)."""
    parts = [f"{entry.get('rows')} of {entry.get('of_rows')} {split} rows" for split, entry in sample.items()
             if isinstance(entry, Mapping)]
    return "trained on a seeded sample: " + ", ".join(parts)
