"""What a string column holds: free text, an identifier, categories or numbers, and why.

Free text is a feature (its words carry meaning a model can use); an identifier tells rows
apart and nothing more; categories are few repeated values. The rule, applied to the train
values (missing values left out) in this order:

1. no value present                                              -> ``empty``
2. at least 95% of the values read as numbers                    -> ``numeric``
3. at least half the values have ``MIN_WORDS`` (3) words or more,
   where a word is a whitespace-separated token with two letters or more,
   more than ``MAX_CATEGORIES`` (50) distinct values, and
   at least half the non-space characters are letters             -> ``text``
4. at least 90% of the values distinct (and 50 values or more)   -> ``identifier``
5. otherwise                                                     -> ``categorical``

Why these measures: identifiers, codes, e-mails, URLs, UUIDs and timestamps are one token
whatever their length, and names, cities and numbers have at most two tokens with letters,
so the share of values with three words separates them from prose, reviews and product
titles, whose typical value has several. tests/checks/text/test_kind.py measures a column of
each kind: the text columns had 0.9 or more of their values with three words, every other
kind 0 (names with a middle name are the borderline). Length alone would not do: a UUID is
longer than "not working again". Distinct values count as well: a multi-word column with a
few dozen distinct values ("customer service", "billing and payments") is a category, which
one-hot encoding handles.
The letter share keeps out lists of numbers or codes separated by spaces.

The statistics are computed on at most ``SAMPLE_ROWS`` evenly spaced values (the distinct
count on all), so a million-row column is judged in milliseconds, and the same way each time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_WORDS = 3
MIN_MULTI_WORD_SHARE = 0.5
MAX_CATEGORIES = 50
MIN_LETTER_SHARE = 0.5
MIN_NUMERIC_SHARE = 0.95
MIN_IDENTIFIER_DISTINCT_RATIO = 0.9
MIN_ROWS_FOR_ID = 50
SAMPLE_ROWS = 20_000
# A token (a run of non-space characters) holding two letters, anywhere in it; values are
# prefixed with a space, since the kernel counting matches treats the rest of a value after
# a match as a new start of text (where "^" would match again).
WORD = r"\s[^\s\p{L}]*\p{L}[^\s\p{L}]*\p{L}"
KINDS = ("text", "identifier", "categorical", "numeric", "empty")


@dataclass(frozen=True)
class TextStats:
    """The measures the rule reads, over the column's present values."""

    n_values: int
    n_distinct: int
    numeric_share: float
    multi_word_share: float
    median_words: float
    median_length: float
    letter_share: float

    @property
    def distinct_ratio(self) -> float:
        return self.n_distinct / self.n_values if self.n_values else 0.0


@dataclass(frozen=True)
class ColumnKind:
    """A column's kind (one of ``KINDS``), the sentence saying why, and the measures behind it."""

    column: str
    kind: str
    reason: str
    stats: TextStats

    @property
    def is_text(self) -> bool:
        return self.kind == "text"


def text_stats(values: pd.Series) -> TextStats:
    """The rule's measures for one column (missing values left out)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = values.dropna()
    n_values = len(present)
    if n_values == 0:
        return TextStats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)
    n_distinct = int(present.astype(str).nunique())
    if n_values > SAMPLE_ROWS:
        present = present.iloc[np.linspace(0, n_values - 1, SAMPLE_ROWS).astype(np.int64)]
    text = pa.array(present.map(str).to_numpy(dtype=object), type=pa.string())
    numeric_share = float(pd.to_numeric(present, errors="coerce").notna().mean())
    words = pc.count_substring_regex(pc.binary_join_element_wise(" ", text, ""), WORD).to_numpy(zero_copy_only=False)
    letters = int(pc.sum(pc.count_substring_regex(text, r"\p{L}")).as_py() or 0)
    visible = int(pc.sum(pc.count_substring_regex(text, r"\S")).as_py() or 0)
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    return TextStats(n_values, n_distinct, numeric_share, float(np.mean(words >= MIN_WORDS)),
                     float(np.median(words)), float(np.median(lengths)), letters / visible if visible else 0.0)


def column_kind(column: str, values: pd.Series) -> ColumnKind:
    """Decide what one string column holds, by the rule in this module's docstring."""
    s = text_stats(values)
    if s.n_values == 0:
        return ColumnKind(str(column), "empty", "no value present", s)
    if s.numeric_share >= MIN_NUMERIC_SHARE:
        return ColumnKind(str(column), "numeric", f"{s.numeric_share:.0%} of the values read as numbers", s)
    words = (f"{s.multi_word_share:.0%} of the values have {MIN_WORDS} words or more "
             f"(median {s.median_words:g} words, {s.median_length:g} characters)")
    if s.multi_word_share >= MIN_MULTI_WORD_SHARE:
        if s.n_distinct > MAX_CATEGORIES and s.letter_share >= MIN_LETTER_SHARE:
            return ColumnKind(str(column), "text", f"free text: {words}, {s.n_distinct} distinct values", s)
        if s.n_distinct <= MAX_CATEGORIES:
            return ColumnKind(str(column), "categorical",
                              f"{words}, but only {s.n_distinct} distinct values: categories", s)
    if s.distinct_ratio >= MIN_IDENTIFIER_DISTINCT_RATIO and s.n_values >= MIN_ROWS_FOR_ID:
        return ColumnKind(str(column), "identifier",
                          f"identifier-like: {s.distinct_ratio:.0%} of the values distinct, {words}", s)
    return ColumnKind(str(column), "categorical", f"categories: {s.n_distinct} distinct values, {words}", s)
