"""TF-IDF features of texts through the hashing trick, built from the vectorised shingles.

The same weighting as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` per feature
family, one family for word n-grams and one for in-word character n-grams (``char_wb``), each
L2-normalised on its own and then placed side by side (as a ``FeatureUnion`` of the two would):

- term frequency ``1 + ln(count)``;
- inverse document frequency ``ln((1 + n) / (1 + df)) + 1``, with n and df counted on the
  rows the model is fitted on (train only: val never shapes the features);
- each n-gram hashed into one of ``2**bits`` columns of its family (no vocabulary to build or
  store; a collision merges two rare n-grams, which a linear model shrugs off), and only the
  columns with a document frequency of at least ``min_df`` (2) in the fitted rows kept: an
  n-gram seen once teaches a model nothing about other rows, and a narrow matrix makes the
  logistic regression several times faster than the full hashed width.

Why not scikit-learn's vectorisers: their analysers run a Python loop per document, and the
character analyser is the slowest part of a text audit at a hundred thousand rows; the
vectorised shingles (checks/text/shingles.py) produce the same n-grams in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from checks.text.shingles import ShingleSpec, Texts, iter_shingles

CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class TfidfSpec:
    """The n-gram families and the hashed width of each (``2**bits`` columns).

    Word 1-2-grams alone by default: on the planted tickets (bench/bench_text.py), adding
    in-word character 3-5-grams gave no better label-issue F1 and made the features and the
    regression several times slower (six times the non-zeros per row). Character n-grams
    help with misspellings and rich morphology; pass ``char_wb_ngrams=(3, 4, 5)`` for them.
    """

    word_ngrams: tuple[int, ...] = (1, 2)
    char_wb_ngrams: tuple[int, ...] = ()
    bits: int = 19
    min_df: int = 2

    def families(self) -> list[ShingleSpec]:
        families = []
        if self.word_ngrams:
            families.append(ShingleSpec(word_ngrams=self.word_ngrams))
        if self.char_wb_ngrams:
            families.append(ShingleSpec(word_ngrams=(), char_wb_ngrams=self.char_wb_ngrams))
        return families

    def describe(self) -> str:
        return " and ".join(f.describe() for f in self.families())


@dataclass(frozen=True)
class FittedTfidf:
    """The spec and, per family, each hashed column's idf weight and its position among the
    kept columns (-1 for a column below ``min_df``)."""

    spec: TfidfSpec
    idf: tuple[np.ndarray, ...]
    position: tuple[np.ndarray, ...]

    @property
    def widths(self) -> list[int]:
        return [int((p >= 0).sum()) for p in self.position]

    @property
    def n_features(self) -> int:
        return sum(self.widths)


def fit_tfidf(texts: Texts, spec: TfidfSpec) -> FittedTfidf:
    """Document frequencies of ``texts`` (token texts) turned into idf weights."""
    idf, position = [], []
    width = 1 << spec.bits
    for family in spec.families():
        df = np.zeros(width, dtype=np.int64)
        for rows, columns, _ in _counts(texts, family, spec.bits):
            df += np.bincount(columns, minlength=width)
        kept = df >= spec.min_df
        idf.append((np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32))
        position.append(np.where(kept, np.cumsum(kept) - 1, -1))
    return FittedTfidf(spec, tuple(idf), tuple(position))


def tfidf_matrix(fitted: FittedTfidf, texts: Texts):
    """The TF-IDF matrix (scipy CSR, float32) of ``texts``, one row per text."""
    import scipy.sparse as sp

    blocks = []
    for family, idf, position, width in zip(fitted.spec.families(), fitted.idf, fitted.position, fitted.widths):
        rows_all, columns_all, values_all = [], [], []
        for rows, columns, counts in _counts(texts, family, fitted.spec.bits):
            kept = position[columns] >= 0
            rows, columns, counts = rows[kept], columns[kept], counts[kept]
            values = (1 + np.log(counts)).astype(np.float32) * idf[columns]
            norms = np.sqrt(np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=len(texts)))
            values /= np.maximum(norms[rows], 1e-12).astype(np.float32)
            rows_all.append(rows)
            columns_all.append(position[columns])
            values_all.append(values)
        blocks.append(sp.csr_matrix((np.concatenate(values_all), (np.concatenate(rows_all), np.concatenate(columns_all))),
                                    shape=(len(texts), width), dtype=np.float32))
    return sp.hstack(blocks, format="csr", dtype=np.float32)


def _counts(texts: Texts, family: ShingleSpec, bits: int):
    """(row, column, count) of each distinct hashed n-gram of each text, chunk by chunk."""
    for start, chunk in iter_shingles(texts, family, CHUNK_ROWS):
        columns = (chunk.hashes >> np.uint64(64 - bits)).astype(np.int64)
        keys = (chunk.owners.astype(np.int64) << bits) | columns
        distinct, counts = np.unique(keys, return_counts=True)
        yield start + (distinct >> bits), distinct & ((1 << bits) - 1), counts
