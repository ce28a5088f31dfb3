"""Row hashes of the feature values, aligned in type across splits, computed once per audit.

Exact duplicates, conflicting labels and exact leakage all compare rows by these hashes.
Parsing gives ``1`` in one file and ``1.0`` in another different dtypes, and hashing the raw
values would then miss the leak; so every column is first brought to one canonical form
shared by both splits. Undeclared row counters (:func:`checks.features.integer_identifiers`)
are left out, since they would make every row unique; the findings say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from checks.base import AuditData
from checks.features import integer_identifiers


def feature_hashes(data: AuditData) -> dict[str, pd.Series]:
    """A uint64 hash per row of each split's features, indexed like the split."""
    return data.shared("feature_hashes", _compute_feature_hashes)


def _compute_feature_hashes(data: AuditData) -> dict[str, pd.Series]:
    # Columns are collected first and framed once: inserting them one at a time fragments
    # the frame, which turns thousands of columns into minutes and a warning per column.
    keys: dict[str, dict[str, pd.Series]] = {split: {} for split in data.splits}
    for column in hashed_columns(data):
        values = {split: data.frames[split][column] for split in data.splits}
        for split, series in canonical_column(values).items():
            keys[split][column] = series
    canonical = {split: pd.DataFrame(keys[split], index=data.frames[split].index) for split in data.splits}
    return {
        split: pd.util.hash_pandas_object(frame, index=False, categorize=True)
        for split, frame in canonical.items()
    }


def hashed_columns(data: AuditData) -> list[str]:
    """The feature columns rows are compared on: all but undeclared identifiers (all if none else)."""
    return compared_columns(data.feature_columns, integer_identifiers(data))


def compared_columns(features: Iterable[str], identifiers: Iterable[str]) -> list[str]:
    """Every feature but the identifiers; every feature when nothing else is left."""
    features, identifiers = list(features), set(identifiers)
    return [column for column in features if column not in identifiers] or features


class LeftOut(NamedTuple):
    """What a row-comparing finding says of the columns the hashes left out: a sentence, the names."""

    note: str
    columns: list[str]


def left_out(data: AuditData) -> LeftOut:
    """The feature columns the row hashes leave out, and the sentence that says so ("" if none)."""
    return left_out_of(data.feature_columns, integer_identifiers(data))


def left_out_of(features: Iterable[str], identifiers: Iterable[str]) -> LeftOut:
    """:func:`left_out` from the feature columns and the identifiers among them, however found."""
    identifiers = list(identifiers)
    kept = set(compared_columns(features, identifiers))
    columns = [str(column) for column in identifiers if column not in kept]
    if not columns:
        return LeftOut("", [])
    names = ", ".join(repr(column) for column in columns)
    return LeftOut(f" Rows were compared without {names} (whole numbers unique per row, like a row counter); "
                   f"declare an identifier with --id-column.", columns)


def canonical_column(values: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """One representation for a column across splits: floats where every split is numeric.

    Equal numbers hash equally whatever their dtype (``-0.0`` like ``0.0``, every NaN alike). A
    column that is text in any split is compared as text, with numeric-looking cells
    rewritten as their float value (``"1"`` and ``1.0`` agree).
    """
    if all(pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) for s in values.values()):
        return {split: _numeric_key(s) for split, s in values.items()}
    return {split: _text_key(s) for split, s in values.items()}


def _numeric_key(series: pd.Series) -> pd.Series:
    # hash_pandas_object already hashes every NaN alike and -0.0 like 0.0; float64 is the
    # one dtype both splits must share.
    return series.astype("float64")


def _text_key(series: pd.Series) -> pd.Series:
    as_number = pd.to_numeric(series, errors="coerce")
    text = series.astype("string").fillna("\x00<missing>")
    numeric_text = (as_number + 0.0).astype("float64").map(float.__repr__, na_action="ignore")
    return numeric_text.where(as_number.notna(), text).astype("string")
