"""The HTML report: one self-contained file a person reads in two minutes.

Reading order: the gate's verdict (and the baseline's, when it ran), the inputs and the
settings; a findings overview, worst first; the charts; the baseline, its attribution and
the diagnosis; then one section a check with its evidence. The file needs no JavaScript and
loads nothing: styles are inline, charts are inline SVG, and a Content-Security-Policy meta
tag forbids everything else.

Everything shown comes from the :class:`~audit.report.AuditReport` and its typed results;
one module a section (:mod:`.header`, :mod:`.inputs`, :mod:`.checks` and :mod:`.evidence`,
:mod:`.charts`, :mod:`.baseline` and :mod:`.attribution`, :mod:`.diagnosis`) turns its part
into plain view data (strings, numbers, chart geometry), and one template a section writes
it out with Jinja2's autoescaping on, every attribute quoted. Evidence tables are capped;
the JSON report holds every flagged row.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.render.html import baseline, charts, checks, diagnosis, header, inputs
from audit.render.html.evidence import MAX_EVIDENCE_COLUMNS, MAX_EVIDENCE_ROWS

if TYPE_CHECKING:  # the report renders itself through these modules; they only read its attributes
    from audit.report import AuditReport

TEMPLATE = "report.html.j2"
TEMPLATES = Path(__file__).parent / "templates"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_ENVIRONMENT = None


def render_html(report: AuditReport, *, standalone: bool = True) -> str:
    """The report as an HTML document, or as a fragment for a notebook cell.

    The fragment carries the same content and styles (scoped to its root element) but no
    ``<html>``/``<head>``: a notebook embeds it in its own page.
    """
    template = _environment().get_template(TEMPLATE)
    return template.render(v=build_view(report), standalone=standalone, csp=CSP)


def build_view(report: AuditReport) -> dict[str, Any]:
    """Everything the template shows, as plain strings, numbers and chart geometry."""
    check_views = checks.check_views(report)
    settings, unset_settings = inputs.settings(report)
    return {
        "title": header.page_title(report),
        "tool": header.tool(),
        "verdict": header.verdict(report),
        "inputs": inputs.inputs(report),
        "settings": settings,
        "unset_settings": unset_settings,
        "overview": checks.overview(check_views),
        "charts": charts.charts(report),
        "baseline": baseline.baseline(report.baseline),
        "diagnosis": diagnosis.diagnosis(report.diagnosis),
        "fixes": inputs.fixes(report.fixes),
        "checks": check_views,
        "caps": {"rows": MAX_EVIDENCE_ROWS, "columns": MAX_EVIDENCE_COLUMNS},
    }


def _environment():
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        import jinja2

        _ENVIRONMENT = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return _ENVIRONMENT
