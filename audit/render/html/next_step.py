"""The next step, in the header's first screen: the ``audit fix`` command and the remedy to try first.

Read from :func:`audit.next_step.next_step`; the other remedies follow, ranked by what their
experiments measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.next_step import Remedy, next_step
from audit.render.html.format import text

if TYPE_CHECKING:  # the report renders itself through these modules; they only read its attributes
    from audit.report import AuditReport


def next_step_view(report: AuditReport) -> dict[str, Any]:
    step = next_step(report)
    return {
        "command": text(step.command, 2000) if step.command else "",
        "first": remedy_view(step.first) if step.first else None,
        "then": [remedy_view(remedy) for remedy in step.remedies[1:]],
    }


def remedy_view(remedy: Remedy) -> dict[str, Any]:
    return {"title": text(remedy.title, 80), "action": spans(text(remedy.action, 600)),
            "measured": text(remedy.measured, 400)}


def spans(said: str) -> list[dict[str, Any]]:
    """Text with its `backquoted` commands as code segments, as a remedy writes them."""
    return [{"code": i % 2 == 1, "text": part} for i, part in enumerate(said.split("`")) if part]
