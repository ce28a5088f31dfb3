"""One normalised form of a text, and the hashes rows are compared by.

Two texts are *normalised-identical* when they are equal after, in this order:

1. Unicode NFKC (compatibility forms fold: full-width letters, ligatures, non-breaking and
   other odd spaces, superscripts);
2. case folding (``str.casefold``: "Straße" and "STRASSE" agree, as ``lower`` would not);
3. every run of whitespace (spaces, tabs, line breaks) becoming one space;
4. punctuation and symbols stripped at both ends ("Refund please!!" and "refund please"
   agree; inner punctuation stays, so "2.5" and "25" do not).

The shingles of near-duplicate detection start from :func:`token_text`, the normalised
text with every run of characters that are not letters or digits turned into one space,
so that punctuation moves no shingle.

Everything runs on Arrow string kernels (Python's ``str.casefold`` for step 2): linear in
the number of characters, without a Python loop per rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MISSING_KEY = "\x00<missing>"
# Rows per slice: Arrow kernels and hashing run slice by slice, so their temporary arrays
# (a list of every word, an object array for hashing) stay small at a million rows.
CHUNK_ROWS = 100_000


def arrow_strings(values: pd.Series):
    """The values as one Arrow string array, missing as null (other values written with ``str``).

    A column already held as Arrow strings (how pandas reads Parquet and, by default, CSV
    text) is taken as it is: no Python object per value is ever made, which at a million
    texts is the difference between a few hundred megabytes and a few gigabytes.
    """
    import pyarrow as pa

    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        present = values.notna().to_numpy()
        texts = values.astype(object).where(present, None).map(str, na_action="ignore")
        array = pa.array(texts.to_numpy(), type=pa.string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def as_series(array, index: pd.Index) -> pd.Series:
    """An Arrow string array as a pandas string Series (Arrow-backed), with ``index``."""
    return pd.Series(pd.arrays.ArrowStringArray(array), index=index)


def normalise(values: pd.Series) -> pd.Series:
    """The normalised text of each value (missing values stay missing), indexed like ``values``."""
    import pyarrow.compute as pc

    def rule(texts):
        spaced = pc.binary_join(pc.utf8_split_whitespace(_casefold(pc.utf8_normalize(texts, "NFKC"))), " ")
        return pc.replace_substring_regex(spaced, r"^[^\pL\pN]+|[^\pL\pN]+$", "")

    return as_series(_by_slices(arrow_strings(values), rule), values.index)


def _by_slices(texts, rule):
    """``rule`` applied to ``CHUNK_ROWS`` texts at a time, the results joined into one array."""
    import pyarrow as pa

    parts = [rule(texts.slice(begin, CHUNK_ROWS)) for begin in range(0, len(texts), CHUNK_ROWS)]
    return pa.concat_arrays(parts) if parts else texts


def _casefold(texts):
    """Case folding: Arrow's lower-casing for ASCII texts (the same there), Python's casefold for the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lowered = pc.utf8_lower(texts)
    other = np.flatnonzero(~pc.fill_null(pc.string_is_ascii(texts), True).to_numpy(zero_copy_only=False))
    if not len(other):
        return lowered
    folded = pa.array([t.casefold() for t in texts.take(pa.array(other)).to_pylist()], type=pa.string())
    mask = np.zeros(len(texts), dtype=bool)
    mask[other] = True
    return pc.replace_with_mask(lowered, pa.array(mask), folded)


def token_text(normalised: pd.Series) -> pd.Series:
    """Normalised texts reduced to words: letters and digits, separated by single spaces."""
    import pyarrow.compute as pc

    def rule(texts):
        return pc.utf8_trim(pc.replace_substring_regex(texts, r"[^\pL\pN]+", " "), " ")

    return as_series(_by_slices(arrow_strings(normalised), rule), normalised.index)


def text_hashes(values: pd.Series | pd.DataFrame) -> np.ndarray:
    """A uint64 hash per row of one text column or of several together (missing hashes alike).

    Every column is hashed as Arrow strings, so a column read as text in one split and as
    something else in the other (all missing, say) hashes alike.
    """
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    keyed = pd.DataFrame({i: as_series(arrow_strings(frame[c]), frame.index).fillna(MISSING_KEY)
                          for i, c in enumerate(frame.columns)}, index=frame.index)
    hashes = np.empty(len(keyed), dtype=np.uint64)
    for begin in range(0, len(keyed), CHUNK_ROWS):
        part = keyed.iloc[begin:begin + CHUNK_ROWS]
        hashes[begin:begin + len(part)] = pd.util.hash_pandas_object(part, index=False, categorize=False).to_numpy()
    return hashes
