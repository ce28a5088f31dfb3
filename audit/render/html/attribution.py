"""Which fix moved the numbers: one row a fix family, the rows it changed and what its run did."""

from __future__ import annotations

from typing import Any

from audit.render.html.format import text
from audit.training.attribution import Attribution, FamilyRun
from audit.training.results import Skipped


def attribution(result: Attribution | Skipped | None) -> dict[str, Any] | None:
    """One row per fix family: rows it changed, and what its run did to the raw run's numbers."""
    if result is None:
        return None
    if not result.ran:
        return {"summary": "", "reason": text(result.reason, 500), "rows": []}
    return {"summary": text(result.summary, 2000), "reason": "",
            "rows": [_family_row(entry, result.moved_most) for entry in result.families]}


def _family_row(entry: FamilyRun, moved_most: str | None) -> dict[str, Any]:
    changed = ", ".join(f"{n} {label}" for n, label in (
        (entry.train_rows_dropped, "train dropped"), (entry.val_rows_dropped, "val dropped"),
        (entry.labels_changed, "relabelled")) if n)
    effect = entry.effect
    row = {"family": text(entry.family, 40), "moved_most": effect is not None and entry.family == moved_most,
           "changed": changed or "nothing", "ran": effect is not None}
    if effect is None:
        return {**row, "reference": text(entry.reason or "", 200), "gap": "", "inflation": ""}
    return {**row,
            "reference": _change(effect.reference_loss_raw, effect.reference_loss, "{:.3f}"),
            "gap": _change(effect.end_gap_raw, effect.end_gap, "{:.3f}"),
            "inflation": _change(effect.val_inflation_relative_raw, effect.val_inflation_relative, "{:.0%}")}


def _change(before: float | None, after: float | None, form: str) -> str:
    """'raw -> family' for one number of an attribution row, a dash for what is missing."""
    return " \u2192 ".join("\u2014" if v is None else form.format(v) for v in (before, after))
