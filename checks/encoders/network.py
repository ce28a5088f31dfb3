"""The baseline network's inputs: fitted on a run's training split only, applied to any split.

Each column's kind is decided on the training split (a kind the user declared is kept), and
its encoder says how the network sees it:

- numbers (and number row counters) are standardised together: missing values and
  infinities filled with the train median, then centred on the train mean and divided by
  the train standard deviation (1 where it is 0); they lead the matrix, in column order;
- every other column follows, in column order, as a one-hot of its ``MAX_NETWORK_VALUES``
  most frequent train values (ties by value), compared as text, so rare ids do not explode
  the width; a value train lacks sets no indicator.

Anything non-finite that would still reach the network (a number too large to standardise)
is refused with a ValueError naming the columns: Keras trains on NaN and reports ``loss=nan``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.encoders.base import ColumnKind, NetworkPart, encoder_for
from checks.encoders.kinds import decide_kind, measure_column

MAX_NETWORK_VALUES = 50


@dataclass(frozen=True)
class StandardisedNumbers:
    """Median fill and standardisation of the number columns, fitted on one training split."""

    columns: tuple
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, train: pd.DataFrame, columns: tuple) -> "StandardisedNumbers":
        # The columns are reduced together, as one matrix: the sums' order, and so their last
        # bits, are those the network has always been fitted with.
        values = number_matrix(train, columns, "train")
        observed = ~np.isnan(values)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused in transform
            fill = np.array([np.median(values[observed[:, j], j]) if observed[:, j].any() else 0.0
                             for j in range(values.shape[1])])
            filled = np.where(observed, values, fill)
            mean, scale = filled.mean(axis=0), filled.std(axis=0)
        scale[~(scale > 0)] = 1.0
        return cls(columns, fill, mean, scale)

    def transform(self, frame: pd.DataFrame, split: str) -> np.ndarray:
        values = number_matrix(frame, self.columns, split)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused by the caller
            return (np.where(np.isnan(values), self.fill, values) - self.mean) / self.scale


def number_matrix(frame: pd.DataFrame, columns: tuple, split: str) -> np.ndarray:
    """The number columns as float64, infinities turned into missing values."""
    try:
        values = frame[list(columns)].to_numpy(dtype="float64", na_value=np.nan, copy=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{split}: a column numeric in the training split holds non-numbers here ({error})") from None
    values[np.isinf(values)] = np.nan
    return values


@dataclass(frozen=True)
class TopValues:
    """A one-hot of a column's most frequent train values, compared as text."""

    column: str
    values: tuple[str, ...]

    @classmethod
    def fit(cls, column: str, train: pd.Series) -> "TopValues":
        counts = cell_text(train).value_counts()
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls(column, tuple(value for value, _ in ranked[:MAX_NETWORK_VALUES]))

    @property
    def width(self) -> int:
        return len(self.values)

    def transform(self, values: pd.Series) -> np.ndarray:
        if not self.values:
            return np.empty((len(values), 0))
        text = cell_text(values).to_numpy()
        return np.stack([text == v for v in self.values], axis=1)


def cell_text(column: pd.Series) -> pd.Series:
    """Each present cell as its own text (``1`` and ``1.0`` differ here), missing kept missing."""
    return column.astype(object).where(column.notna()).map(lambda v: v if pd.isna(v) else str(v))


@dataclass(frozen=True)
class NetworkInputs:
    """What the network sees of a frame: the standardised numbers, then one part a column."""

    columns: tuple
    kinds: tuple[ColumnKind, ...]
    numbers: StandardisedNumbers
    parts: tuple[NetworkPart, ...]

    @property
    def names(self) -> list[str]:
        """The input column behind each column of the matrix."""
        return [*self.numbers.columns, *[part.column for part in self.parts for _ in range(part.width)]]

    def transform(self, frame: pd.DataFrame, split: str) -> np.ndarray:
        """The float32 matrix the network sees for ``frame``; ``split`` names it in errors."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{split}: feature column(s) {missing} are in the training split but missing here")
        blocks = [self.numbers.transform(frame, split), *[part.transform(frame[part.column]) for part in self.parts]]
        matrix = np.hstack(blocks).astype("float32")
        refuse_non_finite(matrix, self.names, split)
        return matrix


def fit_network_inputs(train: pd.DataFrame, declared: Mapping[str, str] | None = None) -> NetworkInputs:
    """The network inputs fitted on ``train`` (its feature columns only); kinds decided on it."""
    declared = declared or {}
    kinds = tuple(decide_kind(measure_column(c, {"train": train[c]}, declared.get(c))) for c in train.columns)
    encoders = [(c, encoder_for(kind.kind)) for c, kind in zip(train.columns, kinds)]
    as_number = {c: encoder.network_as_number(train[c]) for c, encoder in encoders}
    numbers = StandardisedNumbers.fit(train, tuple(c for c, _ in encoders if as_number[c]))
    parts = tuple(encoder.fit_network(c, train[c]) for c, encoder in encoders if not as_number[c])
    return NetworkInputs(tuple(train.columns), kinds, numbers, parts)


def refuse_non_finite(matrix: np.ndarray, names: list, split: str) -> None:
    """Keras trains on NaN and reports loss=nan; stop before that happens."""
    if matrix.shape[1] == 0:
        raise ValueError(f"{split}: no usable feature columns for the baseline")
    bad = ~np.isfinite(matrix)
    if bad.any():
        columns = sorted({str(names[j]) for j in np.flatnonzero(bad.any(axis=0))})
        raise ValueError(
            f"{split}: {int(bad.sum())} non-finite values would reach the network in column(s) "
            f"{columns} (values too large to standardise); rescale or drop them"
        )
