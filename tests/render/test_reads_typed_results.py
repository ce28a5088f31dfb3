"""Renderers read typed results: no ``.get(`` on a report dictionary anywhere in audit/render/.

The baseline, its attribution, the diagnosis, the fix plan's summary and the gate are typed
results with attributes; a renderer that falls back on ``.get(..., default)`` hides a result
that lost a field. Only two kinds of mapping stay: a finding's evidence (its rows, columns
and metrics, free-form by the check contract) and the input data (frames, source paths, a
data row's values).
"""

from __future__ import annotations

import ast
from pathlib import Path

import audit.render

RENDER = Path(audit.render.__file__).parent
# Receivers of .get( that are evidence or input data, not report dictionaries.
EVIDENCE_AND_INPUTS = {
    "finding.metrics",  # a finding's metrics
    "row", "evidence",  # a flagged row's evidence
    "item",  # a finding's column evidence
    "values", "other",  # a data row, as a pandas Series (and its partner's, in text pairs)
    "ENTITIES",  # a constant table of Markdown escapes, not a result
    "report.data.frames", "report.data.sources", "data.sources",  # the input bundle
}


def get_calls(root: Path) -> list[tuple[str, int, str]]:
    """Every ``x.get(`` call under ``root``: (file, line, the receiver ``x`` as written)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                found.append((str(path.relative_to(root)), node.lineno, ast.unparse(node.func.value)))
    return found


def test_renderers_call_get_only_on_evidence_and_input_data():
    calls = get_calls(RENDER)
    assert calls, "no .get( found at all: the scan looks in the wrong place"
    report_dicts = [call for call in calls if call[2] not in EVIDENCE_AND_INPUTS]
    assert not report_dicts, f".get( on report dictionaries: {report_dicts}"


def test_the_scan_sees_a_get_on_a_report_dictionary(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "text.py").write_text("def verdict(report):\n    return report.baseline.get('verdict')\n")
    assert get_calls(tmp_path) == [("sub/text.py", 2, "report.baseline")]
