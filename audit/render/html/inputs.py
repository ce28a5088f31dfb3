"""The facts panel: the input files and column roles, the run's settings, and the fix plan's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.fixes import FixSummary
from audit.render.html.format import MAX_LISTED, items, listing, text, unset

if TYPE_CHECKING:  # the report renders itself through these modules; they only read its attributes
    from audit.report import AuditReport

ROLE_SETTINGS = {"label", "id_column", "group_column", "time_column", "ignore", "split_column"}


def inputs(report: AuditReport) -> dict[str, Any]:
    """Each split's file, rows and columns; the column roles given and those not given."""
    data = report.data
    given = report.split_inputs()
    splits = [{"name": split.split, "path": text(split.path or "", 300), "rows": split.rows,
               "n_columns": len(split.columns)} for split in given]
    role_items = [("label", data.label), ("id", data.id_column), ("group", data.group_column),
                  ("time", data.time_column)]
    shown = [(name, text(value, 80)) for name, value in role_items if value]
    if data.ignored:
        shown.append(("ignored", listing(list(data.ignored))))
    return {
        "splits": splits,
        "roles": shown,
        "unset_roles": ", ".join(name for name, value in role_items if not value),
        "columns": listing(list(given[0].columns), MAX_LISTED),
    }


def settings(report: AuditReport) -> tuple[list[tuple[str, str, str]], str]:
    """The run's settings that are set, and the names of those that are not. Column roles are left
    out: the inputs show them as the data has them."""
    shown = {k: v for k, v in (report.settings or {}).items() if k not in ROLE_SETTINGS}
    return (items({k: v for k, v in shown.items() if not unset(v)}),
            ", ".join(text(k, 40) for k, v in shown.items() if unset(v)))


def fixes(summary: FixSummary | None) -> list[tuple[str, str, str]]:
    """The fix plan's summary in words: counts, options, where the files are, what it left alone."""
    if summary is None:
        return []
    options = summary.options
    chosen = [name.replace("_", " ") for name, on in (("relabel", options.relabel),
                                                     ("keep_majority", options.keep_majority)) if on]
    view = {
        "train rows dropped": summary.train_rows_dropped,
        "val rows dropped": summary.val_rows_dropped,
        "labels changed": summary.labels_changed,
        "val rows kept out of the reference": summary.val_rows_excluded_from_reference,
        "options": ", ".join(chosen) or "none (label problems are dropped)",
        "fixed files": ", ".join(str(p) for p in summary.files.values()) or "not written (audit fix or --write-fixed)",
    }
    for ignored in summary.ignored:
        view.setdefault(f"{ignored.code} not acted on", ignored.reason)
    return items(view)
