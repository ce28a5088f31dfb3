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


def normalise(values: pd.Series) -> pd.Series:
    """The normalised text of each value (missing values stay missing), indexed like ``values``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = values.notna().to_numpy()
    texts = values.astype(object).where(present, None).map(str, na_action="ignore")
    nfkc = pc.utf8_normalize(pa.array(texts.to_numpy(), type=pa.string(), from_pandas=True), "NFKC")
    folded = pa.array([None if t is None else t.casefold() for t in nfkc.to_pylist()], type=pa.string())
    spaced = pc.binary_join(pc.utf8_split_whitespace(folded), " ")
    trimmed = pc.replace_substring_regex(spaced, r"^[^\pL\pN]+|[^\pL\pN]+$", "")
    return pd.Series(trimmed.to_numpy(zero_copy_only=False), index=values.index, dtype=object)


def token_text(normalised: pd.Series) -> pd.Series:
    """Normalised texts reduced to words: letters and digits, separated by single spaces."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = pa.array(normalised.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    words = pc.utf8_trim(pc.replace_substring_regex(arrow, r"[^\pL\pN]+", " "), " ")
    return pd.Series(words.to_numpy(zero_copy_only=False), index=normalised.index, dtype=object)


def text_hashes(values: pd.Series | pd.DataFrame) -> np.ndarray:
    """A uint64 hash per row of one text column or of several together (missing hashes alike)."""
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    keyed = frame.astype(object).where(frame.notna(), MISSING_KEY)
    return pd.util.hash_pandas_object(keyed, index=False).to_numpy()
