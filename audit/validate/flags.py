"""Flag values argparse takes: a one-character CSV delimiter and a seed every library accepts."""

from __future__ import annotations

import argparse

# What a shell user types for a tab: '\t' in single quotes reaches us as backslash and t.
SEPARATOR_SPELLINGS = {"\\t": "\t", "tab": "\t", "\\x09": "\t", "\\u0009": "\t"}
# A quote or a line end cannot delimit fields: the CSV reader gives them another meaning.
UNUSABLE_SEPARATORS = {'"': "the quote character", "\n": "a line end", "\r": "a line end"}
SEED_MAX = 2**31 - 1
"""The largest seed: numpy's legacy generators take seeds below 2**32, and every sampled step
adds small offsets to the run's seed, so the range stops well short of that."""


def separator_argument(text: str) -> str:
    """``--sep``: one character, with ``\\t`` and ``tab`` read as a tab."""
    separator = SEPARATOR_SPELLINGS.get(text.lower(), text)
    if len(separator) != 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is {len(separator)} characters; --sep takes one character, such as ';' or '|' "
            f"(for a tab: --sep '\\t' or --sep tab)")
    if separator in UNUSABLE_SEPARATORS:
        raise argparse.ArgumentTypeError(f"{text!r} is {UNUSABLE_SEPARATORS[separator]}, which cannot separate "
                                         f"CSV fields; give the file's delimiter, such as ',' or ';'")
    return separator


def seed_argument(text: str) -> int:
    """``--seed``: a whole number from 0 to :data:`SEED_MAX`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give a seed such as 0 or 42") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"{value} is out of range; a seed is from 0 to {SEED_MAX:,}")
    return value
