"""When a string column is free text, and the measures that decide it.

Free text is a feature (its words carry meaning a model can use); an identifier tells rows
apart and nothing more; categories are few repeated values. The column kinds are decided by
the encoder seam (:mod:`checks.encoders`); the text encoder (checks/encoders/text.py, between
numbers and identifiers) claims a string column, from the train values with missing values
left out, when

- at least half the values have ``MIN_WORDS`` (3) words or more, where a word is a
  whitespace-separated token with two letters or more,
- it has more than ``MAX_CATEGORIES`` (50) distinct values (fewer are categories, which
  one-hot encoding handles), and
- at least half the non-space characters are letters.

Why these measures: identifiers, codes, e-mails, URLs, UUIDs and timestamps are one token
whatever their length, and names, cities and numbers have at most two tokens with letters,
so the share of values with three words separates them from prose, reviews and product
titles, whose typical value has several. tests/checks/text/test_kind.py measures a column of
each kind: the text columns had 0.9 or more of their values with three words, every other
kind 0 (names with a middle name are the borderline). Length alone would not do: a UUID is
longer than "not working again". Distinct values count as well: a multi-word column with a
few dozen distinct values ("customer service", "billing and payments") is a category.
The letter share keeps out lists of numbers or codes separated by spaces.

The measures are computed on at most ``SAMPLE_ROWS`` evenly spaced values, so a
million-row column is judged in milliseconds, and the same way each time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_WORDS = 3
MIN_MULTI_WORD_SHARE = 0.5
MAX_CATEGORIES = 50
MIN_LETTER_SHARE = 0.5
SAMPLE_ROWS = 20_000
# A token (a run of non-space characters) holding two letters, anywhere in it; values are
# prefixed with a space, since the kernel counting matches treats the rest of a value after
# a match as a new start of text (where "^" would match again).
WORD = r"\s[^\s\p{L}]*\p{L}[^\s\p{L}]*\p{L}"


@dataclass(frozen=True)
class TextStats:
    """The measures the rule reads, over the column's present values."""

    n_values: int
    multi_word_share: float
    median_words: float
    median_length: float
    letter_share: float


def text_stats(values: pd.Series) -> TextStats:
    """The rule's measures for one column (missing values left out)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = values.dropna()
    n_values = len(present)
    if n_values == 0:
        return TextStats(0, 0.0, 0.0, 0.0, 0.0)
    if n_values > SAMPLE_ROWS:
        present = present.iloc[np.linspace(0, n_values - 1, SAMPLE_ROWS).astype(np.int64)]
    text = pa.array(present.map(str).to_numpy(dtype=object), type=pa.string())
    words = pc.count_substring_regex(pc.binary_join_element_wise(" ", text, ""), WORD).to_numpy(zero_copy_only=False)
    letters = int(pc.sum(pc.count_substring_regex(text, r"\p{L}")).as_py() or 0)
    visible = int(pc.sum(pc.count_substring_regex(text, r"\S")).as_py() or 0)
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    return TextStats(n_values, float(np.mean(words >= MIN_WORDS)),
                     float(np.median(words)), float(np.median(lengths)), letters / visible if visible else 0.0)


def free_text_reason(n_distinct: int, multi_word_share: float, letter_share: float, median_words: float,
                     median_length: float) -> str | None:
    """Why a string column with these measures is free text, or None when it is not."""
    if multi_word_share < MIN_MULTI_WORD_SHARE or n_distinct <= MAX_CATEGORIES or letter_share < MIN_LETTER_SHARE:
        return None
    return (f"free text: {multi_word_share:.0%} of the values have {MIN_WORDS} words or more "
            f"(median {median_words:g} words, {median_length:g} characters), {n_distinct} distinct values")
