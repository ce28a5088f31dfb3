"""Each column's kind, decided in one place from facts an engine measures, with the reason.

:func:`measure_column` measures a column's :class:`~checks.encoders.base.ColumnFacts` with
pandas (Spark measures the same facts with aggregates), and :func:`decide_kind` turns facts
into a kind by one set of rules: a kind the user declared; else the first registered
encoder, by priority, that claims the column. :func:`column_kinds` holds the answer for
every column of an audit, role columns included, computed once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from checks.base import AuditData
from checks.encoders.base import ENCODERS, ColumnFacts, ColumnKind, by_priority
from checks.encoders.values import as_float, as_text, is_dates, is_numeric
from checks.text.kind import text_stats

# Text or category columns with more distinct train values than this are not one-hot encoded.
MAX_CATEGORIES = 50
# Integer columns unique per row are identifiers (a row counter, an account number); below
# this many rows "unique" says too little to drop a column.
MIN_ROWS_FOR_ID = 50

ROLE_REASONS = {
    "label": "the label",
    "id": "the id column (--id-column): names rows, never compared",
    "group": "the group column (--group-column): compared by group leakage only",
    "time": "the time column (--time-column): compared by temporal leakage only",
    "ignored": "ignored (--ignore)",
}


# A code column with at least this share of the train rows as distinct values (order numbers,
# file names, hashes) tells the rows apart as a row counter does: two copies of a row then
# differ only there, so rows are compared without it.
RECORD_ID_DISTINCT_SHARE = 0.99


def is_record_id(n_distinct: int, n_present: int, n_train_rows: int) -> bool:
    """Present in every train row and distinct in nearly every one, over at least ``MIN_ROWS_FOR_ID`` rows."""
    return (n_train_rows >= MIN_ROWS_FOR_ID and n_present == n_train_rows
            and n_distinct >= RECORD_ID_DISTINCT_SHARE * n_train_rows)


def record_id_reason(n_distinct: int, n_train_rows: int) -> str:
    return (f"identifier-like: a code distinct in {n_distinct} of the {n_train_rows} train rows; rows are "
            f"compared without it")


def row_counter_reason(n_train_rows: int) -> str:
    return (f"identifier-like: whole numbers, unique in each of the {n_train_rows} train rows, "
            f"in file order or filling their range")


def column_kinds(data: AuditData) -> dict[str, ColumnKind]:
    """Every train column's kind and reason, in file order (computed on first use, then cached)."""
    return data.shared("column_kinds", _decide_every_column)


def _decide_every_column(data: AuditData) -> dict[str, ColumnKind]:
    roles = role_kinds(data)
    kinds = {}
    for column in data.frames["train"].columns:
        if column in roles:
            kinds[column] = roles[column]
        else:
            values = {split: data.frames[split][column] for split in data.splits}
            kinds[column] = decide_kind(measure_column(column, values, data.declared_kinds.get(column)))
    return kinds


def role_kinds(data: AuditData) -> dict[str, ColumnKind]:
    """The label, id, group, time and ignored columns: their role is their kind."""
    roles = {data.label: "label", data.id_column: "id", data.group_column: "group", data.time_column: "time",
             **{column: "ignored" for column in data.ignored}}
    return {column: ColumnKind(str(column), role, ROLE_REASONS[role]) for column, role in roles.items()
            if column is not None}


def decide_kind(facts: ColumnFacts) -> ColumnKind:
    """The kind of a column with these facts: the declared one, else the first claim by priority."""
    if facts.declared is not None:
        encoder = ENCODERS.get(facts.declared)
        if encoder is None or not encoder.declarable:
            allowed = ", ".join(repr(e.kind) for e in by_priority() if e.declarable)
            raise ValueError(f"column {facts.column!r} is declared of kind {facts.declared!r}; "
                             f"a column can be declared one of {allowed}")
        return ColumnKind(str(facts.column), encoder.kind, f"declared {encoder.kind} by the user")
    for encoder in by_priority():
        reason = encoder.claim(facts)
        if reason is not None:
            return ColumnKind(str(facts.column), encoder.kind, reason)
    raise LookupError(f"no encoder claims column {facts.column!r}")


def measure_column(column: str, values: Mapping[str, pd.Series], declared: str | None = None) -> ColumnFacts:
    """The facts of one column, measured with pandas over its splits (``values["train"]`` first)."""
    train = values["train"]
    numeric = all(is_numeric(s) for s in values.values())
    # Text keys are made cell by cell, so the distinct keys are those of the distinct cells.
    keys = None if numeric else as_text(pd.Series(train.unique()))
    words = None if numeric else text_stats(train)
    return ColumnFacts(
        column=str(column),
        n_train_rows=len(train),
        numeric=numeric,
        dates=any(is_dates(s) for s in values.values()),
        row_counter=is_numeric(train) and is_row_counter(as_float(train)),
        n_distinct=None if keys is None else int(keys.nunique(dropna=True)),
        n_present=None if keys is None else int(train.notna().sum()),
        multi_word_share=None if words is None else words.multi_word_share,
        letter_share=None if words is None else words.letter_share,
        median_words=None if words is None else words.median_words,
        median_length=None if words is None else words.median_length,
        declared=declared,
    )


def is_row_counter(train: np.ndarray) -> bool:
    """Whole numbers, unique per row, and either in file order or filling most of their range.

    A counter or a shuffled counter is an identifier; prices or counts that happen to be
    unique in a small file are spread thinly over their range and stay features.
    """
    if len(train) < MIN_ROWS_FOR_ID or np.isnan(train).any() or not np.all(train == np.round(train)):
        return False
    distinct = np.unique(train)
    if len(distinct) < len(train):
        return False
    steps = np.diff(train)
    in_order = bool((steps > 0).all() or (steps < 0).all())
    dense = len(distinct) >= 0.5 * (distinct[-1] - distinct[0] + 1)
    return in_order or dense
