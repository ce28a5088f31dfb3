"""What data_quality reports beside expectations, as plain facts per split.

Expectations do not phrase well infinite numbers, columns that are entirely missing or hold
one value, columns mixing numbers and text, and formula-like text cells. Each engine measures
these facts its own way (:func:`split_facts` here, with pandas; Spark aggregates in
``audit.spark``) into the records below, and the check builds its findings from the records
alone, so both engines report them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from checks.expectations_suite import EXAMPLES_SHOWN, describe_value, is_number_column

FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Cells:
    """Some cells of one column: how many, example values, and the first rows holding them."""

    column: str
    count: int
    examples: list[Any]
    example_rows: list[int]


@dataclass(frozen=True)
class Mixed:
    """A column holding both numbers and text; the examples are of the rarer, stray kind."""

    column: str
    n_numbers: int
    n_text: int
    examples: list[Any]
    example_rows: list[int]


@dataclass
class SplitFacts:
    """One split's facts: its row count, infinite values per number column (``examples``
    spelt ``inf``/``-inf``, sorted), columns with no present value, columns holding one value
    in every row (with that value), mixed columns, and formula-like text cells per column."""

    n_rows: int
    infinite: list[Cells] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    constant: list[tuple[str, Any]] = field(default_factory=list)
    mixed: list[Mixed] = field(default_factory=list)
    formula_like: list[Cells] = field(default_factory=list)


def stray_is_text(n_numbers: int, n_text: int) -> bool:
    """The rarer kind is the stray one: words in a number column or numbers among words."""
    return n_text <= n_numbers


def split_facts(frame: pd.DataFrame) -> SplitFacts:
    """The facts of one pandas split (its index numbers the rows)."""
    facts = SplitFacts(len(frame))
    for column in frame.columns:
        values = frame[column]
        if is_number_column(values):
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            infinite = np.isinf(numbers)
            if infinite.any():
                facts.infinite.append(Cells(column, int(infinite.sum()),
                                            sorted({describe_value(float(v)) for v in numbers[infinite]}),
                                            [int(r) for r in frame.index[infinite][:EXAMPLES_SHOWN]]))
        present = values.dropna()
        if present.empty:
            facts.empty.append(column)
        elif len(values) > 1 and len(present) == len(values) and present.nunique() == 1:
            facts.constant.append((column, describe_value(present.iloc[0])))
    for column, (text, numeric) in text_cells(frame).items():
        n_numbers, n_text = int(numeric.sum()), int((~numeric).sum())
        if n_numbers and n_text:
            stray = ~numeric if stray_is_text(n_numbers, n_text) else numeric
            facts.mixed.append(Mixed(column, n_numbers, n_text, list(pd.unique(text[stray]))[:EXAMPLES_SHOWN],
                                     [int(r) for r in text.index[stray.to_numpy()][:EXAMPLES_SHOWN]]))
        starts = text.str.startswith(FORMULA_PREFIXES) & ~numeric
        if starts.any():
            rows = text.index[starts.to_numpy()]
            facts.formula_like.append(Cells(column, len(rows), list(pd.unique(text[starts]))[:EXAMPLES_SHOWN],
                                            [int(r) for r in rows[:EXAMPLES_SHOWN]]))
    return facts


def text_cells(frame: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """For each text or object column: its non-missing cells as strings, and which read as numbers."""
    cells = {}
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        present = values.dropna()
        if len(present):
            text = present.map(str)
            cells[column] = (text, pd.to_numeric(text, errors="coerce").notna())
    return cells
