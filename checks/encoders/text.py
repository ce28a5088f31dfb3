"""Free text: a column of multi-word values, compared and modelled by its words.

What the kind changes in each shared representation:

- row hashes: the normalised text (:func:`checks.text.normalise.normalise`: NFKC, case
  folding, whitespace runs as one space, punctuation stripped at the ends), so texts equal
  after normalisation are exact copies; the findings say which copies were equal as written;
- neighbour space: none. Texts are compared by the Jaccard similarity of their word n-grams
  (checks/text/near.py), and a table with other columns asks a near copy to be near in both
  (checks/text/table.py), so the Euclidean space holds the other columns only;
- out-of-fold inputs: none here; the out-of-fold model reads the texts as TF-IDF
  (checks/text/model.py) beside the other columns' encoded matrix;
- baseline network: the counts of the ``VOCABULARY_SIZE`` most frequent train words in the
  text, divided by their norm (:class:`WordShares`), which the network's first layer embeds
  and pools.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.encoders.base import ColumnFacts, Encoder, register_encoder
from checks.text.kind import free_text_reason
from checks.text.normalise import normalise, token_text

VOCABULARY_SIZE = 2_000


@register_encoder
class TextEncoder(Encoder):
    """Free text: mostly values of three words or more, many distinct, mostly letters."""

    kind = "text"
    priority = 35  # after numbers, before identifiers: long multi-word strings are no ids
    scored_alone = False  # target leakage scores a text by one word per class, not by binning it

    def claim(self, facts: ColumnFacts) -> str | None:
        if facts.multi_word_share is None or facts.n_distinct is None:
            return None
        return free_text_reason(facts.n_distinct, facts.multi_word_share, facts.letter_share or 0.0,
                                facts.median_words or 0.0, facts.median_length or 0.0)

    def hash_keys(self, values: dict[str, pd.Series]) -> dict[str, pd.Series]:
        return {split: normalise(series.astype("string")).astype(object) for split, series in values.items()}

    def fit_network(self, column: str, train: pd.Series) -> "WordShares":
        return WordShares.fit(column, train)


def words_of(values: pd.Series) -> pd.Series:
    """Each row's words (normalised, letters and digits), as lists; a missing text has none."""
    tokens = token_text(normalise(values.astype("string"))).fillna("")
    return tokens.str.split(" ").map(lambda words: [w for w in words if w])


@dataclass(frozen=True)
class WordShares:
    """A text column as the counts of the vocabulary words in each text divided by their
    Euclidean norm (``TextVectorization`` counts, pooled the ``sqrtn`` way), vocabulary fitted on
    a training split.

    The network's first Dense layer on these is an embedding of the vocabulary pooled over the
    text's words (an ``Embedding`` whose rows picked by the words are summed and divided by the
    square root of the sum of squared counts), so every built-in network, and the diagnosis's
    variants of it, embed and pool texts without a layer of their own. Words train lacks are
    left out; a text without a known word is all zeros.
    """

    column: str
    vocabulary: tuple[str, ...]

    @classmethod
    def fit(cls, column: str, train: pd.Series) -> "WordShares":
        counts = words_of(train).explode().dropna().value_counts()
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))  # ties by word: deterministic
        return cls(column, tuple(word for word, _ in ranked[:VOCABULARY_SIZE]))

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def transform(self, values: pd.Series) -> np.ndarray:
        flat = words_of(values).reset_index(drop=True).explode().dropna()
        found = pd.Index(self.vocabulary).get_indexer(flat.to_numpy())
        known = found >= 0
        counts = np.zeros((len(values), self.width), dtype=np.float32)
        np.add.at(counts, (flat.index.to_numpy()[known], found[known]), 1.0)
        norms = np.sqrt((counts ** 2).sum(axis=1, keepdims=True))
        return np.divide(counts, norms, out=counts, where=norms > 0)
