"""The header: the gate's verdict with its counts, then the baseline's and the diagnosis's one-liners.

Everything here is read from :attr:`audit.report.AuditReport.gate` and the typed results;
the header only puts it into words.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.render.html.diagnosis import diagnosis_sentence
from audit.render.html.format import plural, text
from checks import Severity

if TYPE_CHECKING:  # the report renders itself through these modules; they only read its attributes
    from audit.report import AuditReport

VERDICT_NAMES = {
    "data": "the data is to blame",
    "model": "the model is to blame",
    "leakage": "leakage inflates the validation score",
    "fixes_hurt": "the fixes made the model worse",
    "inconclusive": "inconclusive",
}
CHIP_SEVERITIES = (Severity.FAIL, Severity.WARN, Severity.INFO)


def page_title(report: AuditReport) -> str:
    source = report.data.sources.get("train") or "audit"
    verdict = "passed" if report.gate.passed else "failed"
    return text(f"Audit {verdict}: {Path(str(source)).name}", 120)


def tool() -> str:
    from audit.version import TOOL_NAME, __version__

    return f"{TOOL_NAME} {__version__}"


def verdict_code_view(code: str) -> tuple[str, str]:
    """(the badge's CSS class suffix, its words) for a baseline verdict code."""
    if code in VERDICT_NAMES:
        return code, VERDICT_NAMES[code]
    return ("other" if code else ""), text(code, 40)


def verdict(report: AuditReport) -> dict[str, Any]:
    """The gate's headline, why it passed or failed, the severity chips, and the one-liners below them."""
    gate = report.gate
    fail_on = str(gate.fail_on)
    n_gating, accepted = len(gate.gating), gate.accepted
    reasons = []
    if n_gating:
        reasons.append(f"{plural(n_gating, 'finding')} at or above {fail_on}")
    if gate.crashed and not gate.allow_errors:
        reasons.append(f"{plural(gate.crashed, 'check')} crashed")
    if gate.passed:
        summary = f"No finding at or above {fail_on}"
        if accepted:
            summary += f" other than {plural(accepted, 'accepted one')}"
        if gate.crashed:
            summary += f"; {plural(gate.crashed, 'crashed check')} allowed (--allow-errors)"
    else:
        summary = " and ".join(reasons)
        if accepted:
            summary += f" ({plural(accepted, 'accepted finding')} not counted)"
    chips = [{"cls": str(s), "count": gate.severity_counts[s], "label": str(s)} for s in CHIP_SEVERITIES]
    chips.append({"cls": "error", "count": gate.crashed, "label": "crashed"})
    chips.append({"cls": "skipped", "count": gate.skipped, "label": "skipped"})
    baseline = report.baseline
    trained = baseline is not None and baseline.ran
    code, code_text = verdict_code_view(baseline.verdict.code if trained else "")
    return {
        "passed": gate.passed,
        "headline": "Gate passed" if gate.passed else "Gate failed",
        "summary": summary + ".",
        "rule": f"The gate fails on any finding of severity {fail_on} or worse"
                + ("." if gate.allow_errors else " and on any crashed check."),
        "exit_code": gate.exit_code,
        "exit_note": exit_note(report),
        "chips": chips,
        "n_checks": gate.n_checks,
        "baseline_sentence": text(baseline.verdict.text, 2000) if trained else "",
        "baseline_code": code,
        "baseline_code_text": code_text,
        "diagnosis_sentence": diagnosis_sentence(report.diagnosis),
    }


def exit_note(report: AuditReport) -> str:
    """The exit code; the demo's own command always exits 0, so its report says both."""
    code = report.gate.exit_code
    settings = report.settings or {}
    if "demo" in settings and settings["demo"]:
        return f"An audit run of these files exits {code}; audit demo always exits 0."
    return f"Exit code {code}."
