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
- baseline network: the ids of its first ``SEQUENCE_LENGTH`` words in a vocabulary of the
  ``VOCABULARY_SIZE`` - 2 most frequent train words (0 pads, 1 is a word train lacks), the
  integer output of a Keras ``TextVectorization`` layer; the network embeds and pools them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.encoders.base import ColumnFacts, Encoder, register_encoder
from checks.text.kind import free_text_reason
from checks.text.normalise import normalise, token_text

VOCABULARY_SIZE = 20_000
SEQUENCE_LENGTH = 64
PAD, UNKNOWN = 0, 1


@register_encoder
class TextEncoder(Encoder):
    """Free text: mostly values of three words or more, many distinct, mostly letters."""

    kind = "text"
    priority = 35  # after numbers, before identifiers: long multi-word strings are no ids

    def claim(self, facts: ColumnFacts) -> str | None:
        if facts.multi_word_share is None or facts.n_distinct is None:
            return None
        return free_text_reason(facts.n_distinct, facts.multi_word_share, facts.letter_share or 0.0,
                                facts.median_words or 0.0, facts.median_length or 0.0)

    def hash_keys(self, values: dict[str, pd.Series]) -> dict[str, pd.Series]:
        return {split: normalise(series.astype("string")).astype(object) for split, series in values.items()}

    def fit_network(self, column: str, train: pd.Series) -> "WordIds":
        return WordIds.fit(column, train)


def words_of(values: pd.Series) -> pd.Series:
    """Each row's words (normalised, letters and digits), as lists; a missing text has none."""
    tokens = token_text(normalise(values.astype("string"))).fillna("")
    return tokens.str.split(" ").map(lambda words: [w for w in words if w])


@dataclass(frozen=True)
class WordIds:
    """A text column as word ids for an embedding: vocabulary fitted on a training split."""

    column: str
    vocabulary: tuple[str, ...]
    length: int = SEQUENCE_LENGTH

    @classmethod
    def fit(cls, column: str, train: pd.Series) -> "WordIds":
        counts = words_of(train).explode().dropna().value_counts()
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))  # ties by word: deterministic
        return cls(column, tuple(word for word, _ in ranked[:VOCABULARY_SIZE - 2]))

    @property
    def width(self) -> int:
        return self.length

    @property
    def vocabulary_size(self) -> int:
        """The ids an embedding must accept: the most a vocabulary of this kind holds."""
        return VOCABULARY_SIZE

    def transform(self, values: pd.Series) -> np.ndarray:
        words = words_of(values).map(lambda row: row[:self.length]).reset_index(drop=True).explode().dropna()
        rows = words.index.to_numpy()
        positions = np.arange(len(rows)) - np.searchsorted(rows, rows)  # place of each word in its row
        found = pd.Index(self.vocabulary).get_indexer(words.to_numpy())
        ids = np.full((len(values), self.length), PAD, dtype=np.float32)
        ids[rows, positions] = np.where(found >= 0, found + 2, UNKNOWN)
        return ids
