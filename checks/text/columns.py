"""The free-text columns of an audit, and their normalised texts, computed once per audit.

A column is free text when its kind (decided by the encoder seam, checks/encoders/text.py, or
declared with ``--text-column``) is ``text``. Checks that compare or model rows read the
texts of every such column together, in column order.

Exact copies are found by the row hashes, in which a text is its normalised form
(checks/encoders/text.py); :func:`mark_text_matches` adds to the evidence of those findings
whether each copy was equal as written (``text_match``: ``as written``) or only once
normalised (``after normalisation``).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from checks.base import AuditData, Finding
from checks.encoders import column_kinds
from checks.text.exact import normalise_all

AS_WRITTEN = "as written"
AFTER_NORMALISATION = "after normalisation"


def text_columns(data: AuditData) -> list[str]:
    """The feature columns of kind ``text``, in column order."""
    kinds = column_kinds(data)
    return [column for column in data.feature_columns if kinds[column].kind == "text"]


def raw_texts(data: AuditData) -> dict[str, pd.DataFrame]:
    """Each split's text columns as written, as Arrow-backed strings (missing kept missing)."""
    columns = text_columns(data)
    return {split: data.frames[split][columns].astype("string") for split in data.splits}


def normalised_texts(data: AuditData) -> dict[str, pd.DataFrame]:
    """Each split's text columns normalised (checks/text/normalise.py); computed on first use."""
    return data.shared("normalised_texts", lambda d: {split: normalise_all(frame)
                                                       for split, frame in raw_texts(d).items()})


def mark_text_matches(data: AuditData, findings: list[Finding]) -> list[Finding]:
    """Exact-copy findings with each row's ``text_match``; unchanged for a table without text."""
    if not text_columns(data):
        return findings
    raw = raw_texts(data)
    marked = []
    for finding in findings:
        rows = finding.rows
        if rows and ("duplicate_of" in rows[0] or "train_row" in rows[0]):
            rows = [{**row, "text_match": AS_WRITTEN if _same_as_written(raw, row) else AFTER_NORMALISATION}
                    for row in rows]
            n_normalised = sum(row["text_match"] == AFTER_NORMALISATION for row in rows)
            finding = replace(finding, rows=rows, metrics={**finding.metrics,
                                                           "n_equal_after_normalisation_only": n_normalised},
                              message=f"{finding.message} {len(rows) - n_normalised} equal as written, "
                                      f"{n_normalised} only after normalisation (case, spacing, Unicode forms, "
                                      f"punctuation at the ends).")
        marked.append(finding)
    return marked


def _same_as_written(raw: dict[str, pd.DataFrame], row: dict) -> bool:
    if "train_row" in row:
        other_split, other = "train", row["train_row"]
    else:
        other_split, other = row.get("duplicate_split", row["split"]), row["duplicate_of"]
    mine = raw[row["split"]].loc[row["row"]]
    theirs = raw[other_split].loc[other]
    return bool(all((pd.isna(a) and pd.isna(b)) or a == b for a, b in zip(mine, theirs)))
