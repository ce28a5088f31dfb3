"""Evidence rows that name pictures: ``path`` beside ``row``, and the partner's path beside its row.

A row number says little about a picture; its path (relative to the split's folder, with
``/``) is what a user opens. Shared checks build their evidence from row numbers alone, so the
paths are added here, once, for every finding of an audit of pictures.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from checks.base import AuditData, Finding

# A partner's row field, the field of its path, and the split it is in (None: the row's own split).
PARTNERS = (("duplicate_of", "duplicate_of_path", None), ("train_row", "train_path", "train"))


def with_paths(findings: list[Finding], data: AuditData) -> list[Finding]:
    """``findings`` with ``path`` (and partners' paths) in every evidence row of an image audit."""
    if data.images is None:
        return findings
    column = next(c for c, kind in data.declared_kinds.items() if kind == "image")
    paths = {split: data.frames[split][column].to_dict() for split in data.splits}
    unreadable = {(f.split, f.row): f.path for f in data.images.unreadable}

    def path_of(split: str, row: Any) -> str | None:
        return paths.get(split, {}).get(row) or unreadable.get((split, row))

    def named(row: dict[str, Any]) -> dict[str, Any]:
        if "split" not in row or "row" not in row or "path" in row:
            return row
        out = {**row, "path": path_of(row["split"], row["row"])}
        for field, path_field, partner_split in PARTNERS:
            if field in out:
                split = partner_split or out.get("duplicate_split") or row["split"]
                out[path_field] = path_of(split, out[field])
        return out

    return [replace(f, rows=[named(r) for r in f.rows]) if f.rows else f for f in findings]
