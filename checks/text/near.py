"""Near duplicates and near leakage in text: MinHash candidates verified by exact Jaccard similarity.

The pipeline, linear in the number of texts apart from the candidates it verifies:

1. normalise (checks/text/normalise.py) and keep one text per distinct normalised text: rows
   with equal normalised texts are exact copies, reported by checks/text/exact.py;
2. shingle the distinct texts (word bigrams by default, checks/text/shingles.py), sign them
   (checks/text/minhash.py) and band the signatures into candidate pairs;
3. drop candidates whose signatures estimate a similarity more than ``PREFILTER_MARGIN``
   below the threshold (the estimate's standard deviation is a few hundredths);
4. verify the rest by the exact Jaccard similarity of their shingle sets and keep the pairs
   at or above the threshold.

The threshold is a Jaccard similarity; ``max_distance`` (1 - similarity) overrides it.
``DEFAULT_MAX_DISTANCE`` was calibrated on audit/tickets.py (bench/calibrate_text_near.py
prints the evidence, five seeds of 5,000 tickets): every planted edit of a ticket of about 40
words (one or two words replaced, a typo, a signature appended, up to 10% cut) kept a
word-bigram similarity of at least 0.70 (two words replaced is the hardest), while the most
similar pair of different tickets (same queue, same greeting, closing and template phrases,
other details) reached 0.52. The default, 0.64, sits in that gap 0.06 below the hardest edit
rather than at its middle (0.61): an earlier variant of the generator, with fewer slots in
its templates, put different tickets as high as 0.58. Case and spacing changes are
normalised away (similarity 1). The banding makes pairs 0.05 above the threshold candidates
with probability at least 0.99 (at the threshold itself about 0.95).

Several text columns are compared as one text, column after column. For a table with other
columns, a near copy must be near in every kind: :attr:`NearText.pairs` holds every verified
pair with its similarity, and :func:`pair_similarities` scores any given pairs (those of the
tabular neighbour search), so the caller can intersect the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.text.exact import first_positions, normalise_all
from checks.text.jaccard import similarities_of_texts
from checks.text.minhash import Banding, banding_for, candidate_pairs, estimated_similarity, minhash_signatures
from checks.text.normalise import text_hashes, token_text
from checks.text.shingles import ShingleSpec, take_texts

DEFAULT_MAX_DISTANCE = 0.36  # Jaccard similarity >= 0.64 of word-bigram sets
DEFAULT_SPEC = ShingleSpec(word_ngrams=(2,))
PREFILTER_MARGIN = 0.15
CANDIDATE_MARGIN = 0.05  # the banding is sized for recall 0.99 at threshold + this
COLUMN_BREAK = " \u00b6 "  # not a word character: survives token_text only between columns


@dataclass(frozen=True)
class NearTextCopies:
    """Rows that nearly repeat a partner's text, with the Jaccard similarity; index labels."""

    rows: np.ndarray
    partners: np.ndarray
    similarity: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class TextPairs:
    """Verified near pairs as row numbers (index labels) and their Jaccard similarity.

    Each pair of distinct texts appears once per way of placing it: within train, within val
    (first rows holding each text), and across (train row first).
    """

    first_split: np.ndarray
    first_row: np.ndarray
    second_split: np.ndarray
    second_row: np.ndarray
    similarity: np.ndarray

    def __len__(self) -> int:
        return len(self.similarity)


@dataclass(frozen=True)
class SplitTexts:
    """Where each distinct normalised text sits in one split."""

    index: np.ndarray  # row numbers (index labels), by position
    codes: np.ndarray  # each row's distinct-text number
    first: np.ndarray  # each distinct text's first position in the split, -1 if absent


@dataclass(frozen=True)
class NearText:
    """Near pairs among the distinct texts of the splits, and how they were searched."""

    threshold: float
    max_distance: float
    spec: ShingleSpec
    banding: Banding
    n_distinct: int
    n_candidates: int
    pairs: TextPairs
    splits: dict[str, SplitTexts]

    def describe(self) -> dict[str, object]:
        """The facts a finding's metrics should carry about the search."""
        return {"similarity": "Jaccard similarity of " + self.spec.describe(), "threshold": self.threshold,
                "max_distance": self.max_distance, "rows_per_band": self.banding.rows_per_band,
                "n_bands": self.banding.n_bands, "n_distinct_texts": self.n_distinct,
                "n_candidate_pairs": self.n_candidates, "n_near_pairs": len(self.pairs)}

    def duplicates(self, split: str) -> NearTextCopies:
        """Rows of ``split`` near an earlier kept row of the same split (the most similar one).

        Rows are visited in file order; a row is flagged when an earlier row that is itself
        kept is near it, so dropping the flagged rows leaves no near pair among those found.
        """
        texts = self.splits[split]
        same = (self.pairs.first_split == split) & (self.pairs.second_split == split)
        rows = pd.Index(texts.index)
        edges = pd.DataFrame({"a": rows.get_indexer(self.pairs.first_row[same]),
                              "b": rows.get_indexer(self.pairs.second_row[same]),
                              "s": self.pairs.similarity[same]})
        edges = edges.sort_values(["b", "s", "a"], ascending=[True, False, True], kind="stable")
        flagged: dict[int, tuple[int, float]] = {}
        for a, b, s in edges.itertuples(index=False):
            if b not in flagged and a not in flagged:
                flagged[b] = (a, s)
        later = np.fromiter(flagged, dtype=np.int64, count=len(flagged))
        earlier = np.fromiter((v[0] for v in flagged.values()), dtype=np.int64, count=len(flagged))
        similarity = np.fromiter((v[1] for v in flagged.values()), dtype=np.float64, count=len(flagged))
        order = np.argsort(later, kind="stable")
        return NearTextCopies(texts.index[later[order]], texts.index[earlier[order]], similarity[order])

    def leaks(self) -> NearTextCopies:
        """Val rows near a train row (the most similar, then the earliest) without being exact copies.

        Every val row holding a leaking text is flagged, copies of it within val included.
        """
        if "val" not in self.splits:
            return NearTextCopies(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
        train, val = self.splits["train"], self.splits["val"]
        across = (self.pairs.first_split == "train") & (self.pairs.second_split == "val")
        best = pd.DataFrame({"val": pd.Index(val.index).get_indexer(self.pairs.second_row[across]),
                             "train": self.pairs.first_row[across], "s": self.pairs.similarity[across]})
        best = best.sort_values(["val", "s", "train"], ascending=[True, False, True], kind="stable")
        best = best.drop_duplicates("val").set_index("val")
        first_val = val.first[val.codes]  # each val row's text: its first val position
        choice = best.index.get_indexer(first_val)
        flagged = np.flatnonzero((choice >= 0) & (train.first[val.codes] < 0))
        return NearTextCopies(val.index[flagged], best["train"].to_numpy()[choice[flagged]],
                              best["s"].to_numpy()[choice[flagged]])


def joined_token_texts(normalised: pd.Series | pd.DataFrame) -> pd.Series:
    """Each row's token text from its normalised text(s), several columns joined in order."""
    if isinstance(normalised, pd.Series):
        return token_text(normalised).fillna("")
    columns = [token_text(normalised[c]).fillna("") for c in normalised.columns]
    joined = columns[0]
    for column in columns[1:]:
        joined = joined + COLUMN_BREAK + column
    return joined


def near_text(splits: dict[str, pd.Series | pd.DataFrame], max_distance: float | None = None,
              spec: ShingleSpec = DEFAULT_SPEC, seed: int = 0,
              normalised: dict[str, pd.Series | pd.DataFrame] | None = None) -> NearText:
    """Near pairs within and across ``splits`` (``train`` and optionally ``val``).

    ``normalised`` takes the splits' normalised texts when the caller already has them.
    """
    max_distance = DEFAULT_MAX_DISTANCE if max_distance is None else float(max_distance)
    if not 0 <= max_distance < 1:
        raise ValueError(f"max_distance must be a float in [0, 1) (1 - Jaccard similarity); got {max_distance!r}")
    threshold = 1.0 - max_distance
    names = [s for s in ("train", "val") if s in splits]
    normalised = {s: normalise_all(splits[s]) for s in names} if normalised is None else normalised
    # One entry per distinct normalised text, in train-then-val order.
    first = first_positions(np.concatenate([text_hashes(normalised[s]) for s in names]))
    distinct = np.flatnonzero(first == np.arange(len(first)))
    codes = np.searchsorted(distinct, first)
    bounds = np.cumsum([0] + [len(splits[s]) for s in names])
    texts_of: dict[str, SplitTexts] = {}
    for k, s in enumerate(names):
        split_codes = codes[bounds[k]:bounds[k + 1]]
        holder = np.full(len(distinct), -1, dtype=np.int64)
        positions = np.arange(len(split_codes), dtype=np.int64)
        holder[split_codes[::-1]] = positions[::-1]
        texts_of[s] = SplitTexts(splits[s].index.to_numpy(), split_codes, holder)
    texts = take_texts(pd.concat([joined_token_texts(normalised[s]) for s in names], ignore_index=True), distinct)

    banding = banding_for(min(1.0, threshold + CANDIDATE_MARGIN))
    signatures = minhash_signatures(texts, spec, seed)
    a, b = candidate_pairs(signatures, banding)
    n_candidates = len(a)
    likely = estimated_similarity(signatures.slots, a, b) >= threshold - PREFILTER_MARGIN
    a, b = a[likely], b[likely]
    similarity = similarities_of_texts(texts, a, b, spec)
    near = similarity >= threshold - 1e-12  # a pair exactly at the threshold is near
    pairs = _place_pairs(texts_of, a[near], b[near], similarity[near])
    return NearText(threshold, max_distance, spec, banding, len(distinct), n_candidates, pairs, texts_of)


def _place_pairs(texts_of: dict[str, SplitTexts], u: np.ndarray, w: np.ndarray, similarity: np.ndarray) -> TextPairs:
    """Pairs of distinct texts as pairs of rows: within each split, and train to val."""
    parts = []
    placements = [(s, s, u, w) for s in texts_of]
    if "val" in texts_of:
        placements += [("train", "val", u, w), ("train", "val", w, u)]
    for first_split, second_split, x, y in placements:
        p = texts_of[first_split].first[x]
        q = texts_of[second_split].first[y]
        ok = (p >= 0) & (q >= 0)
        p, q = p[ok], q[ok]
        if first_split == second_split:
            p, q = np.minimum(p, q), np.maximum(p, q)
        parts.append((np.full(len(p), first_split), texts_of[first_split].index[p],
                      np.full(len(q), second_split), texts_of[second_split].index[q], similarity[ok]))
    return TextPairs(*(np.concatenate([part[i] for part in parts]) for i in range(5)))


def pair_similarities(first: pd.Series | pd.DataFrame, second: pd.Series | pd.DataFrame,
                      spec: ShingleSpec = DEFAULT_SPEC) -> np.ndarray:
    """The similarity near-text detection uses, for given pairs of raw texts, by position.

    ``first`` row i is compared with ``second`` row i: for a table with other columns, score
    the pairs the tabular neighbour search found and keep those near in both.
    """
    texts = pd.concat([joined_token_texts(normalise_all(first)), joined_token_texts(normalise_all(second))],
                      ignore_index=True)
    n = len(first)
    return similarities_of_texts(texts, np.arange(n), np.arange(n, 2 * n), spec)
