"""Evidence tables: a finding's flagged rows beside the data they point at, capped.

A flagged row sits above its partner (the row it repeats, or the train row it copies), with
the cells that differ marked; label issues show the given against the suggested label and
the label quality; column evidence (target leakage scores, failed expectations) is a key
table. Tables show the first ``MAX_EVIDENCE_ROWS`` rows and say how many more the JSON
report holds, or the side file when the JSON caps them too. Evidence rows and metrics are free-form by the check contract, so this module
reads them as mappings; everything else comes from the report's typed results.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit.render.html.format import MAX_TIP_CHARS, fmt, is_number, text
from audit.render.html.text_pairs import text_pairs
from checks import Finding

if TYPE_CHECKING:  # the report renders itself through these modules; they only read its attributes
    from audit.report import AuditReport

MAX_EVIDENCE_ROWS = 20
MAX_EVIDENCE_COLUMNS = 12
MAX_EVIDENCE_DICTS = 20
MAX_CELL_CHARS = 48
DATA_DIGITS = 10  # data cells: enough digits that two values shown alike are alike
# Two numbers of a pair differ when they are further apart than this share of their column's
# spread: a near copy moves every cell a little, and marking every cell would mark nothing.
DIFF_SHARE_OF_SPREAD = 0.01
PARTNER_KEYS = ("duplicate_of", "train_row")
HIDDEN_EVIDENCE_KEYS = {"split", "row", "duplicate_of", "duplicate_split", "train_row"}
LABEL_ISSUE_KEYS = ("given_label", "suggested_label", "label_quality")


def row_evidence(report: AuditReport, finding: Finding) -> dict[str, Any]:
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
    table["rows_file"] = report.rows_file(finding)
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
    tolerance = _tolerances(report)
    for evidence in shown:
        flagged = (str(evidence.get("split")), evidence.get("row"))
        partner = _partner(evidence)
        values = _row_values(report, *flagged)
        other = _row_values(report, partner[0], partner[1]) if partner else None
        diff = _differing(values, other, tolerance) - {report.data.id_column} if partner else set()
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
    texts = [kind.column for kind in report.column_kinds().values() if kind.kind == "text"]
    return {
        "kind": "pairs",
        "headers": _headers(report, ["", "split", "row", *extra], columns),
        "groups": groups,
        "columns_note": _columns_note(report, columns),
        "text_pairs": text_pairs(texts, [(evidence, flagged, partner, values, other)
                                         for evidence, flagged, partner, values, other, _ in pairs]),
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
    if is_number(value) and math.isfinite(float(value)):
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


def column_evidence(finding: Finding) -> dict[str, Any]:
    """Column-level evidence (target leakage scores, failed expectations) as a key table."""
    shown = finding.columns[:MAX_EVIDENCE_DICTS]
    keys = _extra_keys(shown, hidden=set())
    groups = [[{"cls": "", "cells": [_cell(item.get(k), "num" if is_number(item.get(k)) else "") for k in keys]}]
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
    numeric = set(report.data.frames["train"].select_dtypes("number").columns)
    return ([_header(name, cls="num" if name == "row" else "") for name in leading]
            + [_header(c, _role(report, c), cls="num" if c in numeric else "") for c in columns])


def _role(report: AuditReport, column: Any) -> str:
    """The role a column plays (label, id, group, time), or nothing; the last named role wins."""
    data = report.data
    roles = (("time", data.time_column), ("group", data.group_column), ("id", data.id_column), ("label", data.label))
    return next((name for name, role_column in roles if role_column == column), "")


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


def _tolerances(report: AuditReport) -> dict[Any, float]:
    """By numeric column: the distance within which two of its values count as alike."""
    frame = report.data.frames["train"]
    spreads = frame.select_dtypes("number").std()
    return {column: DIFF_SHARE_OF_SPREAD * float(spread) for column, spread in spreads.items()
            if math.isfinite(float(spread))}


def _differing(a: pd.Series | None, b: pd.Series | None, tolerance: Mapping[Any, float]) -> set:
    if a is None or b is None:
        return set()
    return {column for column in a.index
            if column in b.index and not _alike(a[column], b[column], tolerance[column] if column in tolerance else 0)}


def _alike(a: Any, b: Any, tolerance: float) -> bool:
    if tolerance and is_number(a) and is_number(b):
        return abs(float(a) - float(b)) <= tolerance
    return _same(a, b)


def _data_cell(values: pd.Series | None, column: Any, differs: bool = False) -> dict[str, str]:
    if values is None:
        return _cell("row not found", "missing")
    value = values.get(column)
    classes = ("diff " if differs else "") + ("num" if is_number(value) else "")
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


def _cell(value: Any, cls: str = "", digits: int = 4) -> dict[str, str]:
    if cls in ("role", "missing", "blank"):
        return {"text": str(value), "cls": cls, "tip": ""}
    if _is_missing(value):
        return {"text": "(missing)", "cls": (cls + " missing").strip(), "tip": "missing value"}
    full = text(fmt(value, digits), MAX_TIP_CHARS)
    shown = text(full, MAX_CELL_CHARS)
    return {"text": shown, "cls": cls.strip(), "tip": full if shown != full else ""}
