"""The terminal summary: one line a finding, then the verdict and where the files are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from checks import Severity

if TYPE_CHECKING:  # only read for its attributes; the report imports this module
    from audit.report import AuditReport

if TYPE_CHECKING:
    from audit.training.results import TrainingSample

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
        for finding in sorted(result.findings, key=lambda f: f.severity, reverse=True):
            message = one_line(finding.message)
            status = report.status_of(finding)
            marker = f" [{status}]" if status else ""
            lines.append(f"{str(finding.severity).upper():<5} {finding.code}{marker}: {message}")
    lines += baseline_lines(report)
    lines += diagnosis_lines(report)
    lines.append(verdict_line(report))
    for kind, path in (written or {}).items():
        lines.append(f"{kind}: {path}")
    return "\n".join(lines) + "\n"


def verdict_line(report: AuditReport) -> str:
    """The gate's verdict and the counts behind it (all ``--quiet`` prints)."""
    gate = report.gate
    counts = gate.severity_counts
    summary = (f"{'PASSED' if gate.passed else 'FAILED'} (fail on {gate.fail_on}): {counts[Severity.FAIL]} fail, "
               f"{counts[Severity.WARN]} warn, {counts[Severity.INFO]} info, {gate.crashed} crashed")
    if gate.judged is not None:
        summary += (f"; against {gate.accepted_file}: {gate.judged['accepted']} accepted, "
                    f"{gate.judged['new']} new, {gate.judged['worsened']} worsened")
    return summary


def baseline_lines(report: AuditReport) -> list[str]:
    """The baseline's verdict (or why it did not train), its sample, and the attribution's summary."""
    baseline = report.baseline
    if baseline is None:
        return []
    if not baseline.ran:
        return [f"baseline: not trained: {one_line(baseline.reason, limit=None)}"] if baseline.reason else []
    lines = [f"baseline: {one_line(baseline.verdict.text, limit=None)}"]
    if baseline.sample is not None:
        lines.append(f"baseline: {one_line(sample_note(baseline.sample), limit=None)}")
    attribution = baseline.attribution
    if attribution is not None:
        said = attribution.summary if attribution.ran else f"not trained: {attribution.reason}"
        lines.append(f"attribution: {one_line(said, limit=None)}")
    return lines


def diagnosis_lines(report: AuditReport) -> list[str]:
    """One line a cause: its verdict, why, and the remedy when it is likely."""
    diagnosis = report.diagnosis
    if diagnosis is None:
        return []
    if not diagnosis.ran:
        return [f"diagnosis: not run: {one_line(diagnosis.reason or 'no reason given', limit=None)}"]
    lines = []
    for cause in diagnosis.causes:
        text = f"{cause.title}: {cause.verdict} - {cause.reason}"
        if cause.verdict == "likely":
            text += f"; remedy: {cause.remedy}"
        lines.append(f"{'DIAG':<5} {one_line(text, limit=DIAGNOSIS_LINE)}")
    if diagnosis.budget.cuts:
        lines.append(f"{'DIAG':<5} {one_line('the time budget cut: ' + '; '.join(diagnosis.budget.cuts))}")
    return lines


def one_line(text: str, limit: int | None = MAX_MESSAGE) -> str:
    """Collapse whitespace and control characters so a cell cannot break the terminal's layout."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 3] + "..."


def sample_note(sample: TrainingSample) -> str:
    """How much of each split a baseline trained on a sample saw (the Spark engine samples)."""
    parts = [f"{entry.rows} of {entry.of_rows} {split} rows" for split, entry in sample.splits.items()]
    return "trained on a seeded sample: " + ", ".join(parts)
