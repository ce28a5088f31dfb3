"""The tabular kinds: row counters, dates, numbers, identifiers and categories.

In the neighbour space (and so the out-of-fold model's inputs):

- numbers (booleans as 0/1, dates as seconds) are centred on the train median and divided by
  the train interquartile range (the standard deviation where the IQR is 0, 1 where both
  are), so one outlier does not squash a column and every split is scaled alike; NaN and
  infinities are imputed with the train median (0 after scaling), and a 0/1
  ``<column>__missing`` indicator is added where any split has one, so a missing value does
  not look like a typical one;
- categories (at most ``MAX_CATEGORIES`` distinct values in train) are one-hot encoded
  (categories from train, in sorted order; a missing value, or one train lacks, sets a
  ``<column>__missing`` indicator instead), each indicator scaled by 1/sqrt(2) so that two
  rows differing in one category are at distance 1, like two numbers one IQR apart;
- identifiers and row counters are left out.

For the baseline network, columns of numbers (whatever their kind: row counters too) join
the standardised numbers; every other tabular column (dates included) is a one-hot of its
most frequent train values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.encoders.base import Block, ColumnFacts, Encoder, register_encoder
from checks.encoders.kinds import MAX_CATEGORIES, is_record_id, record_id_reason, row_counter_reason
from checks.encoders.network import TopValues
from checks.encoders.values import as_float, as_text, is_dates, is_numeric

ONE_HOT_SCALE = np.float32(1 / np.sqrt(2))


class TabularEncoder(Encoder):
    """A kind of table cells: the network sees numbers as numbers, anything else (dates
    included) as a one-hot of its top train values."""

    def network_as_number(self, train: pd.Series) -> bool:
        return is_numeric(train) and not is_dates(train)

    def fit_network(self, column: str, train: pd.Series) -> TopValues:
        return TopValues.fit(column, train)


@register_encoder
class RowCounterEncoder(TabularEncoder):
    """Whole numbers (or dates) unique per train row: a record number, never a feature, and
    rows are compared without it."""

    kind = "row_counter"
    priority = 10
    compared = False
    declarable = False  # found from the values; a column to leave out is declared an identifier or ignored

    def claim(self, facts: ColumnFacts) -> str | None:
        return row_counter_reason(facts.n_train_rows) if facts.row_counter else None


@register_encoder
class NumericEncoder(TabularEncoder):
    """Numbers or true/false values in every split."""

    kind = "numeric"
    priority = 30
    declarable = False

    def claim(self, facts: ColumnFacts) -> str | None:
        return "numbers or true/false values in every split" if facts.numeric else None

    def neighbour_blocks(self, column: str, values: dict[str, pd.Series]) -> list[Block]:
        return numeric_blocks(str(column), {split: as_float(s) for split, s in values.items()})


@register_encoder
class DateEncoder(NumericEncoder):
    """Dates (numbers in some split at most): seconds since 1970 for distances, values for the network."""

    kind = "date"
    priority = 20

    def claim(self, facts: ColumnFacts) -> str | None:
        return "dates in every split, compared as seconds since 1970" if facts.numeric and facts.dates else None


@register_encoder
class IdentifierEncoder(TabularEncoder):
    """Text unique per row, or more distinct values than can be one-hot encoded."""

    kind = "identifier"
    priority = 40

    def claim(self, facts: ColumnFacts) -> str | None:
        if facts.n_distinct is None or facts.n_distinct <= MAX_CATEGORIES:
            return None
        unique_per_row = facts.n_distinct == facts.n_present
        kind = "identifier-like: unique per row" if unique_per_row else "high-cardinality text"
        return f"{kind} ({facts.n_distinct} distinct values in train, more than {MAX_CATEGORIES} to one-hot encode)"


@register_encoder
class RecordIdEncoder(IdentifierEncoder):
    """Codes distinct in (nearly) every train row, undeclared: an order number, a file name, a hash.

    Never free text (the text kind claims multi-word values first). Like a row counter it is
    left out of row comparisons, so copies that differ only in their code are still copies;
    the findings name it.
    """

    kind = "record_id"
    priority = 38
    compared = False
    declarable = False  # found from the values; a column to leave out is declared an identifier or ignored

    def claim(self, facts: ColumnFacts) -> str | None:
        if facts.numeric or facts.n_distinct is None or facts.n_present is None:
            return None
        if not is_record_id(facts.n_distinct, facts.n_present, facts.n_train_rows):
            return None
        return record_id_reason(facts.n_distinct, facts.n_train_rows)


@register_encoder
class CategoricalEncoder(TabularEncoder):
    """Few distinct values: one indicator a value."""

    kind = "categorical"
    priority = 50
    declarable = False  # one indicator a value: a column of many would explode the matrices

    def claim(self, facts: ColumnFacts) -> str:
        return f"{facts.n_distinct} distinct values in train, at most {MAX_CATEGORIES}: one indicator each"

    def neighbour_blocks(self, column: str, values: dict[str, pd.Series]) -> list[Block]:
        return one_hot_blocks(str(column), {split: as_text(s) for split, s in values.items()})


def numeric_blocks(name: str, numbers: dict[str, np.ndarray]) -> list[Block]:
    """Scaled by the train median and IQR, missing at 0 with an indicator where any split has one."""
    train = numbers["train"]
    present = train[~np.isnan(train)]
    if len(present):
        low, centre, high = np.quantile(present, [0.25, 0.5, 0.75])
        scale = high - low
        if not scale > 0:
            scale = float(np.std(present))
        if not scale > 0:
            scale = 1.0
    else:
        centre, scale = 0.0, 1.0
    scaled = {}
    missing = {}
    for split, values in numbers.items():
        is_missing = np.isnan(values)
        column = ((values - centre) / scale).astype(np.float32)
        column[is_missing] = 0.0
        scaled[split] = column
        missing[split] = is_missing.astype(np.float32)
    blocks = [Block(name, name, scaled)]
    if any(m.any() for m in missing.values()):
        blocks.append(Block(f"{name}__missing", name, missing))
    return blocks


def one_hot_blocks(name: str, text: dict[str, pd.Series]) -> list[Block]:
    """An indicator per train category (sorted), and one for missing or unseen values."""
    categories = sorted(text["train"].dropna().unique().tolist())
    lookup = pd.Index(categories, dtype="string")
    codes = {split: lookup.get_indexer(s) for split, s in text.items()}
    blocks = []
    for k, category in enumerate(categories):
        blocks.append(Block(f"{name}={category}", name,
                            {split: (c == k).astype(np.float32) * ONE_HOT_SCALE for split, c in codes.items()}))
    if any((c == -1).any() for c in codes.values()):
        # Missing (or unseen in train) is its own indicator, so it differs from every category.
        blocks.append(Block(f"{name}__missing", name,
                            {split: (c == -1).astype(np.float32) * ONE_HOT_SCALE for split, c in codes.items()}))
    return blocks
