"""GitHub Actions output: workflow annotations on stdout and a Markdown job summary.

Workflow commands are parsed from stdout, so every value from the data is escaped: a cell
holding ``::error::`` or a newline must not become a command or a second line. A finding
the baseline refutes (its fixes made the model worse) carries ``[not confirmed]`` in its
annotation's title and the reason in its message and its summary row.
"""

from __future__ import annotations

from audit.render.markdown_escape import inert_markdown
from audit.render.text import NOT_CONFIRMED
from audit.report import AuditReport
from checks import Severity

ANNOTATION_LEVEL = {Severity.FAIL: "error", Severity.WARN: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message, as the Actions toolkit does (``%``, CR, LF)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property (title, file): also ``:`` and ``,``, which end a property."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_annotations(report: AuditReport) -> str:
    unconfirmed = report.unconfirmed
    lines = []
    for result, finding, status in report.judged_findings():
        level = ANNOTATION_LEVEL[finding.severity]
        title = f"{finding.code} ({result.check})" + (f" [{status}]" if status else "")
        message = finding.message
        not_confirmed = unconfirmed.reason(finding)
        if not_confirmed is not None:
            title += f" [{NOT_CONFIRMED}]"
            message += f" ({NOT_CONFIRMED} by the baseline: {not_confirmed})"
        split = finding.metrics.get("split") or (finding.rows[0]["split"] if finding.rows else "train")
        source = report.data.sources.get(split, "")
        lines.append(f"::{level} file={escape_property(source)},title={escape_property(title)}::"
                     f"{escape_data(message)}")
    for result in report.crashed:
        lines.append(f"::error title={escape_property('check crashed: ' + result.check)}::"
                     f"{escape_data((result.detail or '').strip().splitlines()[-1])}")
    return "\n".join(lines) + ("\n" if lines else "")


def render_summary(report: AuditReport) -> str:
    """A Markdown job summary: the verdict, then one table row a finding."""
    gate = report.gate
    counts = gate.severity_counts
    lines = [
        f"## Dataset audit {'passed' if gate.passed else 'failed'}",
        "",
        f"{counts[Severity.FAIL]} fail, {counts[Severity.WARN]} warn, {counts[Severity.INFO]} info; the gate fails "
        f"on `{gate.fail_on}` and above.",
        "",
        "| severity | code | check | rows | message |",
        "|---|---|---|---|---|",
    ]
    unconfirmed = report.unconfirmed
    for result, finding, status in report.judged_findings():
        message = markdown_cell(finding.message) + (f" ({status})" if status else "")
        not_confirmed = unconfirmed.reason(finding)
        if not_confirmed is not None:
            message += f" **{NOT_CONFIRMED}** by the baseline: {markdown_cell(not_confirmed)}"
        lines.append(f"| {finding.severity} | `{finding.code}` | {result.check} | {len(finding.rows)} | {message} |")
    if report.baseline is not None and report.baseline.ran:
        lines += ["", f"**Baseline:** {markdown_cell(report.baseline.verdict.text)}"]
    return "\n".join(lines) + "\n"


def markdown_cell(text: str) -> str:
    """Keep a value inside its table cell and out of Markdown and HTML syntax (see :mod:`.markdown_escape`)."""
    return inert_markdown(text)
