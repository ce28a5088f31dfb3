"""The terminal summary: the findings worst first, the verdicts, the files, then the next command.

Lines are never cut: with ``width`` they wrap at spaces under a hanging indent, so a message
reads whole; without it every entry is one line. ``colour`` paints the leading word of an
entry (FAIL, WARN, PASSED...) with ANSI codes and changes nothing else, so the output piped
to a file is the terminal's minus its colours.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from audit.next_step import next_step
from checks import Severity

if TYPE_CHECKING:  # only read for its attributes; the report imports this module
    from audit.fixes import FixSummary
    from audit.report import AuditReport
    from audit.training.results import TrainingSample

WIDTH = 100
"""The width the command line wraps at, whether it writes to a terminal or a pipe."""
INDENT = " " * 6
NOT_CONFIRMED = "not confirmed"
"""The mark of a finding the baseline refutes: the fixes it led to made the model worse."""
# Where a check's result sorts: failing findings and crashes first, a check with nothing found last.
RANKS = {"FAIL": 0, "ERROR": 1, "WARN": 2, "INFO": 3, "skip": 4, "ok": 5}
COLOURS = {"FAIL": "1;31", "ERROR": "1;35", "WARN": "33", "INFO": "34", "ok": "32", "skip": "2", "DIAG": "36",
           "FAILED": "1;31", "PASSED": "1;32", "next:": "1"}


def render_text(report: AuditReport, written: dict[str, str] | None = None, *, width: int | None = None,
                colour: bool = False) -> str:
    entries = check_entries(report) + baseline_lines(report) + diagnosis_lines(report)
    if report.fixes is not None:
        entries.append(fixes_line(report.fixes))
    entries.append(verdict_line(report))
    entries += [f"{kind}: {path}" for kind, path in (written or {}).items()]
    lines = [line for entry in entries for line in laid_out(entry, width, colour)]
    lines += next_step_lines(report, width, colour)
    return "\n".join(lines) + "\n"


def check_entries(report: AuditReport) -> list[str]:
    """One entry a finding, a crash, a skip or a clean check; worst first, in check order within a rank."""
    ranked: list[tuple[int, str]] = []
    unconfirmed = report.unconfirmed
    for result in report.results:
        if result.status == "skipped":
            ranked.append((RANKS["skip"], f"skip  {result.check}: {one_line(result.detail or '')}"))
        elif result.status == "ran" and not result.findings:
            ranked.append((RANKS["ok"], f"ok    {result.check}: nothing found"))
        elif result.status == "error":
            last = (result.detail or "").strip().splitlines()[-1:] or ["unknown error"]
            ranked.append((RANKS["ERROR"], f"ERROR {result.check}: crashed ({one_line(last[0])}); "
                                           f"rerun with --debug for the traceback"))
        for finding in result.findings:
            word = str(finding.severity).upper()
            status = report.status_of(finding)
            marker = f" [{status}]" if status else ""
            if unconfirmed.reason(finding) is not None:
                marker += f" [{NOT_CONFIRMED}]"
            ranked.append((RANKS[word],
                           f"{word:<5} {finding.code}{marker}: {one_line(finding.message)}"))
    return [entry for _, entry in sorted(ranked, key=lambda pair: pair[0])]


def verdict_line(report: AuditReport) -> str:
    """The gate's verdict and the counts behind it (all ``--quiet`` prints)."""
    gate = report.gate
    counts = gate.severity_counts
    gating = len(gate.gating)
    if gate.passed:
        why = f"no finding at or above {gate.fail_on}"
    else:
        why = " and ".join(part for part in (
            f"{gating} finding{'s' if gating != 1 else ''} at or above {gate.fail_on}" if gating else "",
            f"{gate.crashed} crashed check{'s' if gate.crashed != 1 else ''}"
            if gate.crashed and not gate.allow_errors else "") if part)
    summary = (f"{'PASSED' if gate.passed else 'FAILED'}: {why} ({counts[Severity.FAIL]} fail, "
               f"{counts[Severity.WARN]} warn, {counts[Severity.INFO]} info, {gate.crashed} crashed)")
    if gate.judged is not None:
        summary += (f"; against {gate.accepted_file}: {gate.judged['accepted']} accepted, "
                    f"{gate.judged['new']} new, {gate.judged['worsened']} worsened")
    return summary


def fixes_line(summary: FixSummary) -> str:
    """What the fix plan changes, naming only what it changes."""
    parts = [f"drop {n} {split} row{'s' if n != 1 else ''}" for split, n in
             (("train", summary.train_rows_dropped), ("val", summary.val_rows_dropped)) if n]
    if summary.labels_changed:
        parts.append(f"relabel {summary.labels_changed} train row{'s' if summary.labels_changed != 1 else ''}")
    kept_out = summary.val_rows_excluded_from_reference
    if kept_out:
        parts.append(f"keep {kept_out} val row{'s' if kept_out != 1 else ''} out of the clean reference set")
    return "fixes: " + (", ".join(parts) if parts else "nothing to change")


def baseline_lines(report: AuditReport) -> list[str]:
    """The baseline's verdict (or why it did not train), its sample, and the attribution's summary."""
    baseline = report.baseline
    if baseline is None:
        return []
    if not baseline.ran:
        return [f"baseline: not trained: {one_line(baseline.reason)}"] if baseline.reason else []
    lines = [f"baseline: {one_line(baseline.verdict.text)}"]
    reasons = report.unconfirmed.reasons()
    if reasons:
        lines.append(f"baseline: the findings marked [{NOT_CONFIRMED}] are refuted: {one_line('; '.join(reasons))}")
    if baseline.sample is not None:
        lines.append(f"baseline: {one_line(sample_note(baseline.sample))}")
    attribution = baseline.attribution
    if attribution is not None:
        said = attribution.summary if attribution.ran else f"not trained: {attribution.reason}"
        lines.append(f"attribution: {one_line(said)}")
    return lines


def diagnosis_lines(report: AuditReport) -> list[str]:
    """One line a cause: its verdict, why, and the remedy when it is likely."""
    diagnosis = report.diagnosis
    if diagnosis is None:
        return []
    if not diagnosis.ran:
        return [f"diagnosis: not run: {one_line(diagnosis.reason or 'no reason given')}"]
    lines = []
    for cause in diagnosis.causes:
        text = f"{cause.title}: {cause.verdict} - {cause.reason}"
        if cause.verdict == "likely":
            text += f"; remedy: {cause.remedy}"
        lines.append(f"{'DIAG':<5} {one_line(text)}")
    if diagnosis.budget.cuts:
        lines.append(f"{'DIAG':<5} {one_line('the time budget cut: ' + '; '.join(diagnosis.budget.cuts))}")
    return lines


def next_step_lines(report: AuditReport, width: int | None, colour: bool) -> list[str]:
    """The remedy to try first, then the command that writes the fixed splits, on a line of its own
    (never wrapped: it is meant to be copied)."""
    step = next_step(report)
    lines = []
    if step.first is not None:
        first = step.first
        said = f"next: try first {first.title}: {first.action}"
        if first.measured:
            said += f"; measured: {first.measured}"
        lines += laid_out(one_line(said), width, colour)
    if step.command is not None:
        lines += laid_out("next: write the fixed splits and a manifest of every changed row with", width, colour)
        lines.append(INDENT + one_line(step.command))
    return lines


def laid_out(entry: str, width: int | None, colour: bool) -> list[str]:
    """An entry wrapped at spaces (never inside a word) under a hanging indent, its first word painted."""
    lines = [entry] if width is None else textwrap.wrap(entry, width, subsequent_indent=INDENT,
                                                        break_long_words=False, break_on_hyphens=False)
    if colour and lines:
        word, space, rest = lines[0].partition(" ")
        key = word if word in COLOURS else word.rstrip(":")
        if key in COLOURS:
            lines[0] = f"\x1b[{COLOURS[key]}m{word}\x1b[0m{space}{rest}"
    return lines


def one_line(text: str) -> str:
    """Collapse whitespace and control characters so a cell cannot break the terminal's layout."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())


def sample_note(sample: TrainingSample) -> str:
    """How much of each split a baseline trained on a sample saw (the Spark engine samples)."""
    parts = [f"{entry.rows} of {entry.of_rows} {split} rows" for split, entry in sample.splits.items()]
    return "trained on a seeded sample: " + ", ".join(parts)
