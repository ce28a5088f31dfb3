"""Exact and normalised text copies: duplicates within a split, leaks from train into val.

A row is a copy when its text (or, over several text columns, its tuple of texts) equals an
earlier row's after the normalisation of :mod:`checks.text.normalise`. Each copy names its
partner and says whether the raw text was byte-identical or only the normalised one:

- within a split, the partner is the earliest earlier row with the identical raw text, or,
  when there is none, the earliest row with the same normalised text (the group's first row,
  which is the one kept);
- for leaks, the partner is the earliest train row with the identical raw text, else the
  earliest train row with the same normalised text.

Rows are grouped by 64-bit hashes through ``pandas.factorize`` (a hash table): linear in the
number of rows, no sort, no pairwise comparison. Missing texts compare equal to each other, as
missing cells do in the row hashes of the tabular checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.text.normalise import normalise, text_hashes


@dataclass(frozen=True)
class TextCopy:
    """One copied row: its row number, the row it copies, and whether the raw bytes agree."""

    row: int
    partner: int
    raw_identical: bool


@dataclass(frozen=True)
class TextCopies:
    """Copied rows as parallel arrays, in row order; row numbers are the frames' index labels.

    ``partners`` are rows of the same split for duplicates and train rows for leaks.
    """

    rows: np.ndarray
    partners: np.ndarray
    raw_identical: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        for row, partner, raw in zip(self.rows.tolist(), self.partners.tolist(), self.raw_identical.tolist()):
            yield TextCopy(row, partner, raw)

    @property
    def n_raw_identical(self) -> int:
        return int(self.raw_identical.sum())


def first_positions(keys: np.ndarray) -> np.ndarray:
    """For each position, the first position holding the same key (linear: one hash table pass)."""
    codes, uniques = pd.factorize(keys)
    first = np.empty(len(uniques), dtype=np.int64)
    positions = np.arange(len(keys), dtype=np.int64)
    first[codes[::-1]] = positions[::-1]  # the last write wins: reversed, that is the first row
    return first[codes]


@dataclass(frozen=True)
class TextKeys:
    """One split's rows as hashes: of the raw texts and of the normalised texts, with row numbers."""

    index: np.ndarray
    raw: np.ndarray
    normalised: np.ndarray


def text_keys(values: pd.Series | pd.DataFrame, normalised: pd.Series | pd.DataFrame | None = None) -> TextKeys:
    """The keys of one split's text column(s); pass ``normalised`` when it is already computed."""
    if normalised is None:
        normalised = normalise_all(values)
    return TextKeys(values.index.to_numpy(), text_hashes(values), text_hashes(normalised))


def normalise_all(values: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """:func:`~checks.text.normalise.normalise` of one column, or of each of several."""
    if isinstance(values, pd.Series):
        return normalise(values)
    return pd.DataFrame({column: normalise(values[column]) for column in values.columns}, index=values.index)


def text_duplicates(keys: TextKeys) -> TextCopies:
    """Rows of one split whose text repeats an earlier row's, exactly or once normalised."""
    raw_first = first_positions(keys.raw)
    normalised_first = first_positions(keys.normalised)
    copies = np.flatnonzero(normalised_first < np.arange(len(normalised_first)))
    raw = raw_first[copies] < copies
    partners = np.where(raw, raw_first[copies], normalised_first[copies])
    return TextCopies(keys.index[copies], keys.index[partners], raw)


def text_leaks(train: TextKeys, val: TextKeys) -> TextCopies:
    """Val rows whose text is a train row's, exactly or once normalised; partners are train rows."""
    n_train = len(train.raw)
    raw_first = first_positions(np.concatenate([train.raw, val.raw]))[n_train:]
    normalised_first = first_positions(np.concatenate([train.normalised, val.normalised]))[n_train:]
    leaked = np.flatnonzero(normalised_first < n_train)
    raw = raw_first[leaked] < n_train
    partners = np.where(raw, raw_first[leaked], normalised_first[leaked])
    return TextCopies(val.index[leaked], train.index[partners], raw)
