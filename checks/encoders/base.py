"""The encoder contract: a column kind, the facts that decide it, and what it turns into.

See :mod:`checks.encoders` for how the pieces meet and how to add a kind.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

import numpy as np
import pandas as pd

from checks.encoders.values import canonical_column

if TYPE_CHECKING:
    from checks.base import AuditData


@dataclass(frozen=True)
class ColumnKind:
    """What one column is taken for, and why, as reports list it."""

    column: str
    kind: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ColumnFacts:
    """What the kind rules need to know of one feature column, however an engine measured it.

    ``numeric``: numbers, booleans or dates in every split (:func:`~checks.encoders.values.is_numeric`);
    ``dates``: dates in some split; ``row_counter``: train holds whole numbers (or whole
    seconds), present and unique in every one of at least ``MIN_ROWS_FOR_ID`` rows, in file
    order or filling half their range; ``n_distinct`` and ``n_present``: distinct and present
    train values as text keys (:func:`~checks.encoders.values.as_text`), measured where the
    column is not numeric (None where not measured); ``multi_word_share``, ``letter_share``,
    ``median_words`` and ``median_length``: the free-text measures of the train values
    (:func:`checks.text.kind.text_stats`), where the column is not numeric (None where not
    measured); ``declared``: the kind the user declared.
    """

    column: str
    n_train_rows: int
    numeric: bool
    dates: bool = False
    row_counter: bool = False
    n_distinct: int | None = None
    n_present: int | None = None
    multi_word_share: float | None = None
    letter_share: float | None = None
    median_words: float | None = None
    median_length: float | None = None
    declared: str | None = None


class Block(NamedTuple):
    """One encoded column: its name, the input column it came from, a float32 array per split."""

    name: str
    source: str
    arrays: dict[str, np.ndarray]


class NetworkPart(Protocol):
    """One input column's part of the baseline network's inputs, fitted on a training split."""

    column: str

    @property
    def width(self) -> int: ...

    def transform(self, values: pd.Series) -> np.ndarray:
        """An (n rows, width) array for ``values``, a column of any split."""


class Encoder:
    """One column kind: when a column is of it, and what it becomes in each shared representation.

    ``kind`` names it (stable: reports show it); ``priority`` orders the claims, lowest first;
    ``declarable`` is False for a kind a user may not declare (one whose encoding needs
    particular values, or would explode on many); ``compared`` is False for a kind rows are
    never compared on (the row hashes leave it out, unless nothing else is left).
    """

    kind: ClassVar[str] = ""
    priority: ClassVar[int] = 0
    declarable: ClassVar[bool] = True
    compared: ClassVar[bool] = True

    scored_alone: ClassVar[bool] = True
    """False for a kind the target-leakage binning does not score: an image's path (no value on
    its own) or free text (scored by one word per class instead)."""

    def values(self, data: "AuditData", column: str) -> dict[str, Any]:
        """Per split, what the representations below are made from: the column itself, or
        for a kind whose cells name files (images), what was read from the files."""
        return {split: data.frames[split][column] for split in data.splits}

    def claim(self, facts: ColumnFacts) -> str | None:
        """The reason a column with these facts is of this kind, or None when it is not."""
        raise NotImplementedError

    def hash_keys(self, values: dict[str, pd.Series]) -> dict[str, pd.Series]:
        """Per split, one key a row that hashes equal exactly when the cells mean the same."""
        return canonical_column(values)

    def neighbour_blocks(self, column: str, values: dict[str, pd.Series]) -> list[Block]:
        """The column's encoded blocks in the Euclidean neighbour space (near duplicates and
        leakage); none leaves it out of that space, for the reason its kind states."""
        return []

    def model_blocks(self, column: str, values: dict[str, pd.Series]) -> list[Block] | None:
        """The out-of-fold model's inputs from this column; None: the neighbour blocks."""
        return None

    def network_as_number(self, train: pd.Series) -> bool:
        """Whether the baseline network gets the column among its standardised numbers."""
        return False

    def fit_network(self, column: str, train: pd.Series) -> NetworkPart:
        """The column's own part of the network inputs, fitted on a training split."""
        raise NotImplementedError


ENCODERS: dict[str, Encoder] = {}


def register_encoder(cls: type[Encoder]) -> type[Encoder]:
    """Class decorator that makes a kind known to the kind rules and every representation."""
    if not cls.kind or cls.kind in ENCODERS:
        raise ValueError(f"encoder {cls.__name__} needs a unique kind, got {cls.kind!r}")
    ENCODERS[cls.kind] = cls()
    return cls


def encoder_for(kind: str) -> Encoder:
    return ENCODERS[kind]


def by_priority() -> list[Encoder]:
    return sorted(ENCODERS.values(), key=lambda encoder: (encoder.priority, encoder.kind))
