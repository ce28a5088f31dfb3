"""Row hashes of the feature values, aligned in type across splits, computed once per audit.

Exact duplicates, conflicting labels and exact leakage all compare rows by these hashes.
Parsing gives ``1`` in one file and ``1.0`` in another different dtypes, and hashing the raw
values would then miss the leak; so every column is first brought to one canonical form
shared by both splits: each column's encoder gives its keys (:meth:`checks.encoders.Encoder.hash_keys`).
Columns of a kind rows are not compared on (undeclared row counters) are left out, since
they would make every row unique; the findings say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from checks.base import AuditData
from checks.encoders import column_kinds, encoder_for


def feature_hashes(data: AuditData) -> dict[str, pd.Series]:
    """A uint64 hash per row of each split's features, indexed like the split."""
    return data.shared("feature_hashes", _compute_feature_hashes)


def _compute_feature_hashes(data: AuditData) -> dict[str, pd.Series]:
    # Columns are collected first and framed once: inserting them one at a time fragments
    # the frame, which turns thousands of columns into minutes and a warning per column.
    kinds = column_kinds(data)
    keys: dict[str, dict[str, pd.Series]] = {split: {} for split in data.splits}
    for column in hashed_columns(data):
        encoder = encoder_for(kinds[column].kind)
        for split, series in encoder.hash_keys(encoder.values(data, column)).items():
            keys[split][column] = series
    canonical = {split: pd.DataFrame(keys[split], index=data.frames[split].index) for split in data.splits}
    return {
        split: pd.util.hash_pandas_object(frame, index=False, categorize=True)
        for split, frame in canonical.items()
    }


def not_compared(data: AuditData) -> list[str]:
    """The feature columns of a kind rows are not compared on (undeclared row counters)."""
    kinds = column_kinds(data)
    return [column for column in data.feature_columns if not encoder_for(kinds[column].kind).compared]


def hashed_columns(data: AuditData) -> list[str]:
    """The feature columns rows are compared on: all but :func:`not_compared` (all if none else)."""
    return compared_columns(data.feature_columns, not_compared(data))


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
    return left_out_of(data.feature_columns, not_compared(data))


def left_out_of(features: Iterable[str], identifiers: Iterable[str]) -> LeftOut:
    """:func:`left_out` from the feature columns and the identifiers among them, however found."""
    identifiers = list(identifiers)
    kept = set(compared_columns(features, identifiers))
    columns = [str(column) for column in identifiers if column not in kept]
    if not columns:
        return LeftOut("", [])
    names = ", ".join(repr(column) for column in columns)
    return LeftOut(f" Rows were compared without {names} (unique per row, like a row counter or a record id); "
                   f"declare an identifier with --id-column.", columns)
