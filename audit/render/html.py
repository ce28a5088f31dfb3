"""The HTML report: one self-contained file a person reads in two minutes.

Reading order: the gate's verdict (and the baseline's, when it ran), the inputs and the
settings; a findings overview, worst first; the charts; then one section a check with
its evidence. The file needs no JavaScript and loads nothing: styles are inline, charts
are inline SVG, and a Content-Security-Policy meta tag forbids everything else.

Everything shown comes from the :class:`~audit.report.AuditReport`; this module turns it
into plain view data (strings, numbers, chart geometry) and the template writes it out
with Jinja2's autoescaping on, every attribute quoted. Evidence tables are capped; the
JSON report holds every flagged row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.render import svg
from audit.render.text import sample_note
from audit.report import AuditReport
from audit.runner import CheckResult
from checks import Finding

TEMPLATE = "report.html.j2"
TEMPLATES = Path(__file__).parent / "templates"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

MAX_EVIDENCE_ROWS = 20
MAX_EVIDENCE_COLUMNS = 12
MAX_EVIDENCE_DICTS = 20
MAX_CELL_CHARS = 48
DATA_DIGITS = 10  # data cells: enough digits that two values shown alike are alike
MAX_TIP_CHARS = 400
MAX_CLASSES_CHARTED = 30
MAX_LISTED = 12
PARTNER_KEYS = ("duplicate_of", "train_row")
HIDDEN_EVIDENCE_KEYS = {"split", "row", "duplicate_of", "duplicate_split", "train_row"}
LABEL_ISSUE_KEYS = ("given_label", "suggested_label", "label_quality")
SEVERITY_ORDER = ("fail", "warn", "info")
ROLE_SETTINGS = {"label", "id_column", "group_column", "time_column", "ignore", "split_column"}
VERDICT_NAMES = {
    "data": "the data is to blame",
    "model": "the model is to blame",
    "leakage": "leakage inflates the validation score",
    "inconclusive": "inconclusive",
}

_ENVIRONMENT = None


def render_html(report: AuditReport, *, standalone: bool = True) -> str:
    """The report as an HTML document, or as a fragment for a notebook cell.

    The fragment carries the same content and styles (scoped to its root element) but no
    ``<html>``/``<head>``: a notebook embeds it in its own page.
    """
    template = _environment().get_template(TEMPLATE)
    return template.render(v=build_view(report), standalone=standalone, csp=CSP)


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


# ------------------------------------------------------------------------------ view


def build_view(report: AuditReport) -> dict[str, Any]:
    """Everything the template shows, as plain strings, numbers and chart geometry."""
    checks = [_check_view(report, i, result) for i, result in enumerate(report.results)]
    return {
        "title": _page_title(report),
        "tool": _tool(),
        "verdict": _verdict(report),
        "inputs": _inputs(report),
        "settings": _items({k: v for k, v in _settings(report).items() if not _unset(v)}),
        "unset_settings": ", ".join(text(k, 40) for k, v in _settings(report).items() if _unset(v)),
        "overview": _overview(report, checks),
        "charts": _charts(report),
        "baseline": _baseline(report.baseline),
        "diagnosis": _diagnosis(getattr(report, "diagnosis", None)),
        "fixes": _items(_fixes(report.fixes)) if report.fixes else [],
        "checks": checks,
        "caps": {"rows": MAX_EVIDENCE_ROWS, "columns": MAX_EVIDENCE_COLUMNS},
    }


def _tool() -> str:
    from audit.version import __version__
    from audit.report import TOOL_NAME

    return f"{TOOL_NAME} {__version__}"


def _page_title(report: AuditReport) -> str:
    source = report.data.sources.get("train") or "audit"
    verdict = "passed" if report.passed else "failed"
    return text(f"Audit {verdict}: {Path(str(source)).name}", 120)


def _verdict(report: AuditReport) -> dict[str, Any]:
    counts = report.severity_counts()
    crashed = len(report.crashed)
    skipped = sum(r.status == "skipped" for r in report.results)
    gating = sum(_gates(report, f) for _, f in report.all_findings)
    accepted = sum(_status(report, f) == "accepted" for _, f in report.all_findings)
    fail_on = str(report.fail_on)
    reasons = []
    if gating:
        reasons.append(f"{plural(gating, 'finding')} at or above {fail_on}")
    if crashed and not report.allow_errors:
        reasons.append(f"{plural(crashed, 'check')} crashed")
    if report.passed:
        summary = f"No finding at or above {fail_on}"
        if accepted:
            summary += f" other than {plural(accepted, 'accepted one')}"
        if crashed:
            summary += f"; {plural(crashed, 'crashed check')} allowed (--allow-errors)"
    else:
        summary = " and ".join(reasons)
        if accepted:
            summary += f" ({plural(accepted, 'accepted finding')} not counted)"
    baseline = report.baseline or {}
    code = str(baseline.get("verdict_code") or "")
    chips = [{"cls": name, "count": counts.get(name, 0), "label": name} for name in SEVERITY_ORDER]
    chips.append({"cls": "error", "count": crashed, "label": "crashed"})
    chips.append({"cls": "skipped", "count": skipped, "label": "skipped"})
    return {
        "passed": report.passed,
        "headline": "Gate passed" if report.passed else "Gate failed",
        "summary": summary + ".",
        "rule": f"The gate fails on any finding of severity {fail_on} or worse"
                + ("." if report.allow_errors else " and on any crashed check."),
        "exit_code": report.exit_code,
        "chips": chips,
        "n_checks": len(report.results),
        "baseline_sentence": text(baseline.get("verdict") or "", 2000),
        "baseline_code": code if code in VERDICT_NAMES else ("other" if code else ""),
        "baseline_code_text": VERDICT_NAMES.get(code, text(code, 40)),
        "diagnosis_sentence": _diagnosis_sentence(getattr(report, "diagnosis", None)),
    }


def _settings(report: AuditReport) -> dict[str, Any]:
    """The run's settings without the column roles, which Inputs shows as the data has them."""
    return {k: v for k, v in (report.settings or {}).items() if k not in ROLE_SETTINGS}


def _status(report: AuditReport, finding: Finding) -> str | None:
    """accepted, new or worsened against the accepted-findings file; None without one."""
    status_of = getattr(report, "status_of", None)
    try:
        return status_of(finding) if status_of else None
    except KeyError:  # a finding added after the judgement (a notebook user's own)
        return None


def _gates(report: AuditReport, finding: Finding) -> bool:
    gates = getattr(report, "gates", None)
    try:
        return gates(finding) if gates else finding.severity >= report.fail_on
    except KeyError:
        return finding.severity >= report.fail_on


def _inputs(report: AuditReport) -> dict[str, Any]:
    inputs = report.inputs()
    splits = []
    for split in ("train", "val"):
        described = inputs.get(split)
        if not described:
            continue
        columns = described.get("columns") or []
        splits.append({
            "name": split,
            "path": text(described.get("path") or "", 300),
            "rows": described.get("rows"),
            "n_columns": len(columns),
        })
    roles = inputs.get("roles") or {}
    role_items = [("label", inputs.get("label"))]
    role_items += [(name, roles.get(name)) for name in ("id", "group", "time")]
    shown = [(name, text(value, 80)) for name, value in role_items if value]
    ignored = roles.get("ignored") or []
    if ignored:
        shown.append(("ignored", _listing(ignored)))
    unset = [name for name, value in role_items if not value]
    first = (inputs.get("train") or {}).get("columns") or []
    return {
        "splits": splits,
        "roles": shown,
        "unset_roles": ", ".join(unset),
        "columns": _listing(first, MAX_LISTED),
    }


def _overview(report: AuditReport, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line a finding, worst first, then crashed and skipped checks."""
    rows = []
    for check in checks:
        for finding in check["findings"]:
            rows.append({
                "severity": finding["severity"], "rank": SEVERITY_ORDER.index(finding["severity"]),
                "check": check["name"], "code": finding["code"], "message": finding["message"],
                "count": finding["count"], "anchor": finding["anchor"], "status": finding["status"],
            })
    rows.sort(key=lambda row: row["rank"])
    for check in checks:
        if check["status"] in ("error", "skipped"):
            rows.append({
                "severity": check["status"], "rank": 9, "check": check["name"],
                "code": "crashed" if check["status"] == "error" else "skipped",
                "message": check["detail"], "count": "", "anchor": check["anchor"], "status": "",
            })
    return rows


# ----------------------------------------------------------------------------- checks


def _check_view(report: AuditReport, index: int, result: CheckResult) -> dict[str, Any]:
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
    ordered = sorted(enumerate(result.findings), key=lambda item: -int(item[1].severity))
    findings = [_finding_view(report, f"{anchor}-f{i}", finding) for i, finding in ordered]
    docs = report.check_docs(result.check)
    return {
        "name": text(result.check, 80),
        "anchor": anchor,
        "status": result.status,
        "badge": badge,
        "badge_text": badge_text,
        "summary": _check_summary(result),
        "detail": _detail(result),
        "params": _items(result.params),
        "why": _paragraphs(docs.get("Why it matters", "")),
        "fix": _paragraphs(docs.get("How to fix", "")),
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


def _finding_view(report: AuditReport, anchor: str, finding: Finding) -> dict[str, Any]:
    n_rows, n_columns = len(finding.rows), len(finding.columns)
    count = plural(n_rows, "row") if n_rows else (plural(n_columns, "column") if n_columns else "")
    return {
        "anchor": anchor,
        "code": text(finding.code, 80),
        "status": slug(_status(report, finding)) if _status(report, finding) else "",
        "gates": _gates(report, finding),
        "severity": str(finding.severity),
        "message": text(finding.message, 2000),
        "count": count,
        "metrics": _items(finding.metrics),
        "rows": _row_evidence(report, finding) if finding.rows else None,
        "columns": _column_evidence(finding) if finding.columns else None,
    }


# --------------------------------------------------------------------------- evidence


def _row_evidence(report: AuditReport, finding: Finding) -> dict[str, Any]:
    shown = finding.rows[:MAX_EVIDENCE_ROWS]
    if any(key in row for row in shown for key in LABEL_ISSUE_KEYS):
        table = _label_table(report, shown)
    elif any(key in row for row in shown for key in PARTNER_KEYS):
        table = _pair_table(report, finding, shown)
    else:
        table = _row_table(report, finding, shown)
    table["shown"] = len(shown)
    table["total"] = len(finding.rows)
    table["more"] = len(finding.rows) - len(shown)
    return table


def _partner(row: Mapping[str, Any]) -> tuple[str, Any, str] | None:
    """(split, row, relation) of the row a flagged row repeats or copies, if it names one."""
    if row.get("duplicate_of") is not None:
        split = row.get("duplicate_split") or row.get("split")
        if split == row.get("split") and row.get("duplicate_of") == row.get("row"):
            return None  # the first row of its group: nothing earlier to compare with
        return str(split), row["duplicate_of"], "duplicate of"
    if row.get("train_row") is not None:
        return "train", row["train_row"], "train row"
    return None


def _pair_table(report: AuditReport, finding: Finding, shown: list[dict[str, Any]]) -> dict[str, Any]:
    """The flagged row's values with its partner's underneath, differing cells marked."""
    pairs = []
    differing: set = set()
    for evidence in shown:
        flagged = (str(evidence.get("split")), evidence.get("row"))
        partner = _partner(evidence)
        values = _row_values(report, *flagged)
        other = _row_values(report, partner[0], partner[1]) if partner else None
        diff = _differing(values, other) - {report.data.id_column} if partner else set()
        differing |= diff
        pairs.append((evidence, flagged, partner, values, other, diff))
    columns = _pick_columns(report, _named_columns(finding), differing)
    extra = _extra_keys(shown)
    groups = []
    for evidence, (split, row), partner, values, other, diff in pairs:
        cells = [_cell("flagged", "role"), _cell(split), _cell(row, "num")]
        cells += [_cell(evidence.get(key)) for key in extra]
        cells += [_data_cell(values, c, c in diff) for c in columns]
        lines = [{"cls": "flagged", "cells": cells}]
        if partner is not None:
            p_split, p_row, relation = partner
            cells = [_cell(f"\u21b3 {relation}", "role"), _cell(p_split), _cell(p_row, "num")]
            cells += [_cell("", "blank") for _ in extra]
            cells += [_data_cell(other, c, c in diff) for c in columns]
            lines.append({"cls": "partner", "cells": cells})
        groups.append(lines)
    return {
        "kind": "pairs",
        "headers": _headers(report, ["", "split", "row", *extra], columns),
        "groups": groups,
        "columns_note": _columns_note(report, columns),
    }


def _label_table(report: AuditReport, shown: list[dict[str, Any]]) -> dict[str, Any]:
    """Given against suggested label, with the label quality (lower is more suspect)."""
    data = report.data
    extra = [k for k in _extra_keys(shown) if k not in LABEL_ISSUE_KEYS]
    id_column = [data.id_column] if data.id_column else []
    groups = []
    for evidence in shown:
        split, row = str(evidence.get("split")), evidence.get("row")
        given, suggested = evidence.get("given_label"), evidence.get("suggested_label")
        changed = suggested is not None and not _same(given, suggested)
        cells = [_cell(split), _cell(row, "num")]
        values = _row_values(report, split, row)
        cells += [_data_cell(values, c) for c in id_column]
        cells += [_cell(given, "diff" if changed else ""), _cell(suggested, "diff suggested" if changed else ""),
                  _quality_cell(evidence.get("label_quality"))]
        cells += [_cell(evidence.get(key)) for key in extra]
        groups.append([{"cls": "flagged", "cells": cells}])
    headers = [_header("split"), _header("row", cls="num")]
    headers += [_header(c, "id") for c in id_column]
    headers += [_header("given label"), _header("suggested label"),
                _header("label quality", tip="0 = surely wrong, 1 = surely right", cls="num")]
    headers += [_header(k) for k in extra]
    return {"kind": "labels", "headers": headers, "groups": groups, "columns_note": ""}


def _quality_cell(value: Any) -> dict[str, str]:
    if _is_number(value) and math.isfinite(float(value)):
        return {"text": f"{float(value):.3f}", "cls": "num", "tip": ""}
    return _cell(value, "num")


def _row_table(report: AuditReport, finding: Finding, shown: list[dict[str, Any]]) -> dict[str, Any]:
    extra = _extra_keys(shown)
    columns = _pick_columns(report, _named_columns(finding), set())
    groups = []
    for evidence in shown:
        split, row = str(evidence.get("split")), evidence.get("row")
        cells = [_cell(split), _cell(row, "num")]
        cells += [_cell(evidence.get(key)) for key in extra]
        values = _row_values(report, split, row)
        cells += [_data_cell(values, c) for c in columns]
        groups.append([{"cls": "flagged", "cells": cells}])
    return {
        "kind": "rows",
        "headers": _headers(report, ["split", "row", *extra], columns),
        "groups": groups,
        "columns_note": _columns_note(report, columns),
    }


def _column_evidence(finding: Finding) -> dict[str, Any]:
    """Column-level evidence (target leakage scores, failed expectations) as a key table."""
    shown = finding.columns[:MAX_EVIDENCE_DICTS]
    keys = _extra_keys(shown, hidden=set())
    groups = [[{"cls": "", "cells": [_cell(item.get(k), "num" if _is_number(item.get(k)) else "") for k in keys]}]
              for item in shown]
    return {
        "kind": "columns",
        "headers": [_header(k) for k in keys],
        "groups": groups,
        "columns_note": "",
        "shown": len(shown),
        "total": len(finding.columns),
        "more": len(finding.columns) - len(shown),
    }


def _all_columns(report: AuditReport) -> list[str]:
    return list(report.data.frames["train"].columns)


def _named_columns(finding: Finding) -> list[str]:
    """Columns a finding itself names (``columns`` evidence), shown first."""
    names = []
    for item in finding.columns:
        name = item.get("column") if isinstance(item, Mapping) else None
        if name is not None and name not in names:
            names.append(name)
    return names


def _pick_columns(report: AuditReport, first: Sequence[Any], differing: set) -> list[Any]:
    """Role columns, then columns the finding names, then columns that differ, then the rest."""
    data = report.data
    available = _all_columns(report)
    roles = [c for c in (data.id_column, data.label, data.group_column, data.time_column) if c in available]
    rest = [c for c in available if c not in roles]
    ordered = [c for c in first if c in rest]
    ordered += [c for c in rest if c in differing and c not in ordered]
    ordered += [c for c in rest if c not in ordered]
    return roles + ordered[: max(MAX_EVIDENCE_COLUMNS - len(roles), 0)]


def _columns_note(report: AuditReport, columns: list[Any]) -> str:
    total = len(_all_columns(report))
    if len(columns) >= total:
        return ""
    return f"{len(columns)} of {total} columns shown: the row's roles first, then columns that differ."


def _headers(report: AuditReport, leading: Iterable[str], columns: Iterable[Any]) -> list[dict[str, str]]:
    data = report.data
    roles = {data.label: "label", data.id_column: "id", data.group_column: "group", data.time_column: "time"}
    numeric = set(report.data.frames["train"].select_dtypes("number").columns)
    return ([_header(name, cls="num" if name == "row" else "") for name in leading]
            + [_header(c, roles.get(c, ""), cls="num" if c in numeric else "") for c in columns])


def _header(name: Any, role: str = "", tip: str = "", cls: str = "") -> dict[str, str]:
    full = text(name, MAX_TIP_CHARS)
    shown = text(name, 24)
    return {"text": shown, "role": role, "tip": tip or (full if shown != full else ""), "cls": cls}


def _extra_keys(rows: Sequence[Mapping[str, Any]], hidden: set[str] = HIDDEN_EVIDENCE_KEYS) -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key in row:
            if key not in hidden and key not in keys:
                keys.append(key)
    return keys


def _row_values(report: AuditReport, split: str, row: Any) -> pd.Series | None:
    """A data row's values by column, or None when the data holds no such row."""
    frame = report.data.frames.get(split)
    if frame is None:
        return None
    try:
        values = frame.loc[row]
    except (KeyError, TypeError, ValueError):
        return None
    return values if isinstance(values, pd.Series) else None


def _differing(a: pd.Series | None, b: pd.Series | None) -> set:
    if a is None or b is None:
        return set()
    return {column for column in a.index if column in b.index and not _same(a[column], b[column])}


def _data_cell(values: pd.Series | None, column: Any, differs: bool = False) -> dict[str, str]:
    if values is None:
        return _cell("row not found", "missing")
    value = values.get(column)
    classes = ("diff " if differs else "") + ("num" if _is_number(value) else "")
    return _cell(value, classes, digits=DATA_DIGITS)


def _same(a: Any, b: Any) -> bool:
    if _is_missing(a) or _is_missing(b):
        return _is_missing(a) and _is_missing(b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _is_missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _cell(value: Any, cls: str = "", digits: int = 4) -> dict[str, str]:
    if cls in ("role", "missing", "blank"):
        return {"text": str(value), "cls": cls, "tip": ""}
    if _is_missing(value):
        return {"text": "(missing)", "cls": (cls + " missing").strip(), "tip": "missing value"}
    full = text(fmt(value, digits), MAX_TIP_CHARS)
    shown = text(full, MAX_CELL_CHARS)
    return {"text": shown, "cls": cls.strip(), "tip": full if shown != full else ""}


# ----------------------------------------------------------------------------- charts


def _charts(report: AuditReport) -> list[dict[str, Any]]:
    """Overview charts in reading order; each absent one says why."""
    charts = [
        ("Flagged rows by finding code", _codes_chart(report),
         "Bar length: flagged rows (or columns); colour: the worst severity of that code.",
         "No findings to chart."),
        ("Classes per split", _classes_chart(report),
         "Share of each split's rows per class, largest train class first; the numbers are row counts.",
         "No class counts in this audit (the class_balance check did not run)."),
        ("Label quality of flagged rows", _quality_chart(report),
         "Rows flagged as likely mislabelled, by label quality (0 = surely wrong, 1 = surely right).",
         "No label quality scores in this audit (no label_issues rows)."),
    ]
    return [{"title": title, "chart": chart, "caption": caption, "absent": absent}
            for title, chart, caption, absent in charts]


def _codes_chart(report: AuditReport) -> svg.Chart | None:
    codes: dict[str, dict[str, Any]] = {}
    for _, finding in report.all_findings:
        entry = codes.setdefault(finding.code, {"rows": 0, "columns": 0, "findings": 0, "worst": finding.severity})
        entry["rows"] += len(finding.rows)
        entry["columns"] += len(finding.columns)
        entry["findings"] += 1
        entry["worst"] = max(entry["worst"], finding.severity)
    items = []
    for code, entry in sorted(codes.items(), key=lambda kv: (-int(kv[1]["worst"]), -kv[1]["rows"], kv[0])):
        value = entry["rows"] or entry["columns"]
        unit = "row" if entry["rows"] else ("column" if entry["columns"] else "")
        note = plural(value, unit) if unit else "metrics only"
        note += f" \u00b7 {plural(entry['findings'], 'finding')}"
        items.append((text(code, 60), value, f"sev-{entry['worst']}", note))
    return svg.horizontal_bars(items, "Flagged rows by finding code")


def _class_counts(report: AuditReport) -> dict[str, dict[str, int]]:
    """Counts per split from class_imbalance findings; from the labels for a split without one."""
    counts: dict[str, dict[str, int]] = {}
    for _, finding in report.all_findings:
        if finding.code == "class_imbalance" and isinstance(finding.metrics.get("class_counts"), Mapping):
            split = str(finding.metrics.get("split") or "train")
            counts[split] = {str(k): int(v) for k, v in finding.metrics["class_counts"].items()}
    ran = any(r.check == "class_balance" and r.status == "ran" for r in report.results)
    if ran or counts:
        for split in report.data.splits:
            if split not in counts:
                values = report.data.labels(split).astype(str).value_counts()
                counts[split] = {str(k): int(v) for k, v in values.items()}
    return counts


def _classes_chart(report: AuditReport) -> svg.Chart | None:
    counts = _class_counts(report)
    if not counts:
        return None
    reference = counts.get("train") or next(iter(counts.values()))
    classes = sorted({c for split in counts.values() for c in split},
                     key=lambda c: (-reference.get(c, 0), c))
    shown = classes[:MAX_CLASSES_CHARTED]
    series, labels = [], []
    for split, cls in (("train", "s-train"), ("val", "s-val")):
        if split not in counts:
            continue
        total = sum(counts[split].values()) or 1
        values = [counts[split].get(c, 0) / total for c in shown]
        tips = [f"{split}, class {text(c, 60)}: {counts[split].get(c, 0)} rows ({v:.1%})" for c, v in zip(shown, values)]
        series.append((split, cls, values, tips))
        labels.append([str(counts[split].get(c, 0)) for c in shown])
    title = "Class shares per split"
    if len(classes) > len(shown):
        title += f" (largest {len(shown)} of {len(classes)} classes)"
    return svg.grouped_bars([text(c, 60) for c in shown], series, title, "share of split (bar labels: rows)",
                            percent=True, labels=labels)


def _quality_chart(report: AuditReport) -> svg.Chart | None:
    scores = [row.get("label_quality") for _, f in report.all_findings if f.code == "label_issues" for row in f.rows]
    scores = [float(s) for s in scores if _is_number(s)]
    return svg.histogram(scores, "Label quality of flagged rows", x_label="label quality")


# --------------------------------------------------------------------------- baseline


def _baseline(baseline: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Learning curves of the raw and fixed runs, the gap before and after, the numbers."""
    if not baseline:
        return None
    runs = {name: baseline.get(name) for name in ("raw", "fixed") if isinstance(baseline.get(name), Mapping)}
    y_max = _curves_top(runs.values())
    panels = []
    for name, run in runs.items():
        chart = _learning_curves(name, run, y_max)
        panels.append({"name": name, "chart": chart, "caption": _curve_caption(run)})
    gap = svg.signed_bars(
        [(name, *_number_of(run, "end_gap"), f"s-{name}") for name, run in runs.items()],
        "Gap at the last epoch: val loss minus train loss", "val \u2212 train loss",
    )
    code = str(baseline.get("verdict_code") or "")
    reason = next((baseline[k] for k in ("skipped", "reason", "error", "detail") if isinstance(baseline.get(k), str)), "")
    return {
        "reason": text(reason, 500),
        "verdict": text(baseline.get("verdict") or "", 2000),
        "code": code if code in VERDICT_NAMES else ("other" if code else ""),
        "code_text": VERDICT_NAMES.get(code, text(code, 40)),
        "panels": panels,
        "has_curves": any(p["chart"] is not None for p in panels),
        "gap": gap,
        "table": _baseline_table(runs),
        "notes": _baseline_notes(baseline),
        "attribution": _attribution(baseline.get("attribution")),
    }


def _attribution(attribution: Any) -> dict[str, Any] | None:
    """One row per fix family: rows it changed, and what its run did to the raw run's numbers."""
    if not isinstance(attribution, Mapping):
        return None
    rows = []
    for entry in attribution.get("families") or []:
        if not isinstance(entry, Mapping):
            continue
        changed = ", ".join(f"{entry[k]} {label}" for k, label in (
            ("train_rows_dropped", "train dropped"), ("val_rows_dropped", "val dropped"),
            ("labels_changed", "relabelled")) if _is_number(entry.get(k)) and entry[k])
        ran = entry.get("status") == "ran"
        rows.append({
            "family": text(entry.get("family") or "", 40),
            "moved_most": ran and entry.get("family") == attribution.get("moved_most"),
            "changed": changed or "nothing",
            "reference": _change(entry, "reference_loss", "{:.3f}") if ran else text(entry.get("reason") or "", 200),
            "gap": _change(entry, "end_gap", "{:.3f}") if ran else "",
            "inflation": _change(entry, "val_inflation_relative", "{:.0%}") if ran else "",
            "ran": ran,
        })
    return {"summary": text(attribution.get("summary") or "", 2000),
            "reason": text(attribution.get("reason") or "", 500), "rows": rows}


def _change(entry: Mapping[str, Any], key: str, form: str) -> str:
    """'raw -> family' for one number of an attribution row, a dash for what is missing."""
    before, after = _finite(entry.get(f"{key}_raw")), _finite(entry.get(key))
    return " \u2192 ".join("\u2014" if v is None else form.format(v) for v in (before, after))


def _curve(run: Mapping[str, Any], *names: str) -> Mapping[str, Any] | None:
    curves = run.get("curves") or {}
    for name in names:
        curve = curves.get(name)
        if isinstance(curve, Mapping) and curve.get("mean"):
            return curve
    return None


def _finite_or_none(values: Iterable[Any]) -> list[float | None]:
    out = []
    for value in values or []:
        out.append(float(value) if _is_number(value) and math.isfinite(float(value)) else None)
    return out


def _curves_top(runs: Iterable[Mapping[str, Any]]) -> float | None:
    """One y-scale for raw and fixed, so the two panels compare at a glance."""
    highs = []
    for run in runs:
        for names in (("train_loss", "loss"), ("val_loss",), ("reference_loss",)):
            curve = _curve(run, *names)
            if curve is None:
                continue
            mean, std = _finite_or_none(curve.get("mean")), _finite_or_none(curve.get("std") or [])
            std += [None] * (len(mean) - len(std))
            highs += [m + (s or 0.0) for m, s in zip(mean, std) if m is not None]
    return max(highs) if highs else None


def _learning_curves(name: str, run: Mapping[str, Any], y_max: float | None) -> svg.Chart | None:
    bands = []
    for label, cls, names in (("train loss", "s-train", ("train_loss", "loss")),
                              ("val loss", "s-val", ("val_loss",)),
                              ("reference loss", "s-ref", ("reference_loss",))):
        curve = _curve(run, *names)
        if curve is not None:
            bands.append(svg.Band(label, cls, _finite_or_none(curve.get("mean")),
                                  _finite_or_none(curve.get("std")) if curve.get("std") else None))
    stall, _ = _number_of(run, "stall_epoch")
    best, _ = _number_of(run, "best_epoch")
    markers = []
    if stall is not None:
        markers.append((int(round(stall)), "stall", f"val stalls \u00b7 epoch {_epoch_text(stall)}"))
    points = []
    val = next((b for b in bands if b.cls == "s-val"), None)
    if best is not None and val is not None:
        epoch = int(round(best))
        if 1 <= epoch <= len(val.mean):
            points.append((epoch, val.mean[epoch - 1], "best-dot", f"lowest val loss, epoch {_epoch_text(best)}"))
    return svg.line_chart(bands, f"Learning curves, {name} data: loss by epoch", y_max=y_max, markers=markers,
                          points=points)


def _curve_caption(run: Mapping[str, Any]) -> str:
    stall, _ = _number_of(run, "stall_epoch")
    best, _ = _number_of(run, "best_epoch")
    parts = []
    if best is not None:
        parts.append(f"lowest val loss at epoch {_epoch_text(best)}")
    if stall is not None:
        parts.append(f"val loss stalls at epoch {_epoch_text(stall)} while train loss keeps falling")
    elif best is not None:
        parts.append("no stall: val loss was still improving")
    rows = [f"{run.get(k)} {label}" for k, label in (("train_rows", "train rows"), ("val_rows", "val rows"))
            if _is_number(run.get(k))]
    if rows:
        parts.append(", ".join(rows))
    if run.get("reused_raw"):
        parts.append("the fixes changed no row, so this is the raw run")
    return "; ".join(parts) + ("." if parts else "")


def _number_of(run: Mapping[str, Any], name: str) -> tuple[float | None, float | None]:
    """(mean, std) of a run's number, whether stored flat or as a summary over seeds."""
    value = run.get(name)
    if _is_number(value):
        return _finite(value), None
    summary = (run.get("summary") or {}).get(name)
    if isinstance(summary, Mapping):
        return _finite(summary.get("mean")), _finite(summary.get("std"))
    if isinstance(value, Mapping):
        return _finite(value.get("mean")), _finite(value.get("std"))
    return None, None


def _finite(value: Any) -> float | None:
    return float(value) if _is_number(value) and math.isfinite(float(value)) else None


def _epoch_text(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"~{value:.1f}"


BASELINE_ROWS = (
    ("train_rows", "train rows", "count"),
    ("val_rows", "val rows", "count"),
    ("best_epoch", "epoch of lowest val loss", "epoch"),
    ("stall_epoch", "stall epoch", "epoch"),
    ("best_val_loss", "lowest val loss", "loss"),
    ("reference_loss_at_best", "reference loss at that epoch", "loss"),
    ("end_gap", "gap at the last epoch (val \u2212 train)", "loss"),
    ("climb_after_stall", "val loss climb after the stall", "loss"),
)


def _baseline_table(runs: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    table = []
    for key, label, kind in BASELINE_ROWS:
        cells = []
        for run in runs.values():
            mean, std = _number_of(run, key)
            if mean is None:
                cells.append("\u2014")
            elif kind == "count":
                cells.append(f"{mean:.0f}")
            elif kind == "epoch":
                cells.append(_epoch_text(mean) + (f" \u00b1 {std:.1f}" if std else ""))
            else:
                cells.append(f"{mean:.3f}" + (f" \u00b1 {std:.3f}" if std else ""))
        if any(cell != "\u2014" for cell in cells):
            table.append({"label": label, "cells": cells})
    return table


def _baseline_notes(baseline: Mapping[str, Any]) -> str:
    seeds = baseline.get("seeds")
    settings = baseline.get("settings") if isinstance(baseline.get("settings"), Mapping) else {}
    parts = []
    if isinstance(seeds, list) and seeds:
        parts.append(f"{plural(len(seeds), 'seed')}")
    if settings.get("model"):
        parts.append(f"model {text(settings.get('model_file') or settings['model'], 80)}")
    if _is_number(settings.get("epochs")):
        parts.append(f"{settings['epochs']} epochs")
    if _is_number(baseline.get("batch_size")):
        parts.append(f"batch size {baseline['batch_size']}")
    if _is_number(baseline.get("duration_s")):
        parts.append(f"{baseline['duration_s']:.0f} s")
    if isinstance(baseline.get("sample"), Mapping):
        parts.append(sample_note(baseline["sample"]))
    return ", ".join(parts)


# -------------------------------------------------------------------------- diagnosis

DIAGNOSIS_VERDICTS = ("likely", "unlikely", "inconclusive")


def _diagnosis_sentence(diagnosis: Mapping[str, Any] | None) -> str:
    """The likely causes in one line for the header, or nothing."""
    if not isinstance(diagnosis, Mapping) or diagnosis.get("status") != "ran":
        return ""
    likely = [text(row.get("title"), 60) for row in diagnosis.get("causes") or []
              if isinstance(row, Mapping) and row.get("verdict") == "likely"]
    if not likely:
        return "Diagnosis: no cause came out likely; see the table below."
    return f"Diagnosis, likely causes: {', '.join(likely)} (remedies below)."


def _diagnosis(diagnosis: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The causes table, the learning-curve chart and what the budget allowed."""
    if not isinstance(diagnosis, Mapping):
        return None
    if diagnosis.get("status") != "ran":
        return {"reason": text(diagnosis.get("reason") or "no reason given", 500), "rows": [], "chart": None,
                "intro": "", "cuts": "", "notes": []}
    rows = []
    for row in diagnosis.get("causes") or []:
        if not isinstance(row, Mapping):
            continue
        verdict = str(row.get("verdict") or "")
        # A remedy's code is shown where the remedy may apply; the JSON keeps every snippet.
        shown = verdict in ("likely", "inconclusive") and isinstance(row.get("snippet"), str)
        snippet = row["snippet"] if shown else ""
        rows.append({
            "cause": slug(row.get("cause") or "cause"),
            "title": text(row.get("title") or row.get("cause") or "", 80),
            "experiment": text(row.get("experiment") or "", 600),
            "effect": text(row.get("effect") or "", 2000),
            "verdict": verdict if verdict in DIAGNOSIS_VERDICTS else "other",
            "verdict_text": text(verdict or "n/a", 20),
            "reason": text(row.get("reason") or "", 1200),
            "remedy": text(row.get("remedy") or "", 600),
            "snippet": text(snippet, 4000),
        })
    budget = diagnosis.get("budget") if isinstance(diagnosis.get("budget"), Mapping) else {}
    network = diagnosis.get("network") if isinstance(diagnosis.get("network"), Mapping) else {}
    parts = []
    if network.get("model"):
        parts.append(f"the {text(network['model'], 20)} network")
    for key, label in (("seeds", "seed"), ("epochs", "epoch"), ("train_rows", "train row"),
                       ("val_rows", "val row"), ("variants", "variant")):
        if _is_number(budget.get(key)):
            parts.append(plural(int(budget[key]), label))
    if _is_number(budget.get("training_s")):
        parts.append(f"{budget['training_s']:.0f} s of training")
    intro = ("Each cause tested the way an engineer would: small seeded experiments with the baseline network "
             "on the fixed data, side by side in one model (" + ", ".join(parts) + "). Effects are mean ± std "
             "over seeds; a cause is likely only when its effect is large enough and beyond the seed spread. "
             "The JSON report holds every experiment's numbers and curves.")
    cuts = "; ".join(text(c, 200) for c in budget.get("cuts") or [])
    notes = [text(n, 300) for n in diagnosis.get("notes") or []]
    if budget.get("stopped_by_deadline"):
        notes.append("The time budget stopped training early: the curves end before the planned epochs.")
    chart, caption = _learning_curve_chart(diagnosis.get("learning_curve"))
    return {"reason": "", "rows": rows, "chart": chart, "caption": caption, "intro": intro, "cuts": cuts,
            "notes": notes}


def _learning_curve_chart(curve: Any) -> tuple[svg.Chart | None, str]:
    if not isinstance(curve, Mapping):
        return None, ""
    rows = curve.get("train_rows") or []
    losses = curve.get("best_val_loss") or []
    points = []
    for n, loss in zip(rows, losses):
        if _is_number(n) and isinstance(loss, Mapping):
            points.append((float(n), _finite(loss.get("mean")), _finite(loss.get("std"))))
    predicted = None
    if _is_number(curve.get("predicted_rows")) and _finite(curve.get("predicted_loss")) is not None:
        predicted = (float(curve["predicted_rows"]), float(curve["predicted_loss"]))
    chart = svg.learning_curve(points, "Learning curve: best val loss against train rows", predicted=predicted)
    gain = curve.get("doubling_gain") if isinstance(curve.get("doubling_gain"), Mapping) else {}
    caption = ("The base network trained on 25, 50, 75 and 100% of the fixed train rows, scored on the same "
               "validation rows; dots are the mean best val loss, whiskers one std over seeds; the hollow dot is "
               "the loss predicted at twice the rows from the gains of the measured doublings")
    if _finite(gain.get("mean")) is not None:
        caption += f" (a gain of {gain['mean']:.3f}"
        caption += f" \u00b1 {gain['std']:.3f})." if _finite(gain.get("std")) else ")."
    else:
        caption += "."
    return chart, caption


# --------------------------------------------------------------------------- helpers


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text(value: Any, limit: int) -> str:
    """Printable text of at most ``limit`` characters (escaping is the template's job)."""
    flat = _CONTROL.sub("\ufffd", str(value)).replace("\r\n", "\n")
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def fmt(value: Any, digits: int = 4) -> str:
    """A value as a person reads it: numbers short, lists and mappings abbreviated."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return "NA" if math.isnan(number) else ("inf" if number > 0 else "-inf")
        return f"{number:.{digits}g}" if abs(number) < 1e15 else f"{number:.{digits}e}"
    if isinstance(value, Mapping):
        items = list(value.items())
        shown = ", ".join(f"{fmt(k)}: {fmt(v)}" for k, v in items[:MAX_LISTED])
        return shown + (f", \u2026 ({len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return _listing(items)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None:
        return "none"
    return str(value)


def _unset(value: Any) -> bool:
    return value is None or (isinstance(value, (Mapping, list, tuple, set, str)) and len(value) == 0)


def _listing(items: Sequence[Any], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(fmt(item) for item in list(items)[:limit])
    if len(items) > limit:
        shown += f", \u2026 ({len(items) - limit} more)"
    return shown or "none"


def _fixes(fixes: Mapping[str, Any]) -> dict[str, Any]:
    """The fix plan's summary in words: counts, options, where the files are, what it left alone."""
    options = fixes.get("options") or {}
    chosen = [name.replace("_", " ") for name in ("relabel", "keep_majority") if options.get(name)]
    files = fixes.get("files") or {}
    view = {
        "train rows dropped": fixes.get("train_rows_dropped", 0),
        "val rows dropped": fixes.get("val_rows_dropped", 0),
        "labels changed": fixes.get("labels_changed", 0),
        "val rows kept out of the reference": fixes.get("val_rows_excluded_from_reference", 0),
        "options": ", ".join(chosen) or "none (label problems are dropped)",
        "fixed files": ", ".join(str(p) for p in files.values()) or "not written (audit fix or --write-fixed)",
    }
    for ignored in fixes.get("ignored") or []:
        view.setdefault(f"{ignored.get('code')} not acted on", ignored.get("reason"))
    return view


def _items(mapping: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """(key, value text, full text when shortened) for settings, parameters and metrics."""
    items = []
    for key, value in (mapping or {}).items():
        full = fmt(value)
        if isinstance(key, str) and key.endswith("fraction") and _is_number(value) and 0 <= value <= 1:
            full = f"{fmt(value)} ({float(value):.2%})"
        shown = text(full, 160)
        items.append((text(key, 60), shown, text(full, MAX_TIP_CHARS) if shown != full else ""))
    return items


def _paragraphs(doc: str) -> list[list[dict[str, Any]]]:
    """Reflow a docstring section into paragraphs; ````code```` spans become code segments.

    A line opening with ````name````: starts a new paragraph, as the checks write one per code.
    """
    paragraphs, current = [], []
    for line in doc.splitlines():
        stripped = line.strip()
        if not stripped or (current and re.match(r"``[^`]+``:", stripped)):
            if current:
                paragraphs.append(" ".join(current))
            current = [stripped] if stripped else []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    return [[{"code": i % 2 == 1, "text": text(part, 2000)} for i, part in enumerate(p.split("``")) if part]
            for p in paragraphs]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-")[:40] or "check"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
