"""MinHash signatures of shingle sets and locality-sensitive banding into candidate pairs.

Signatures: one-permutation hashing with optimal densification, vectorised in numpy.

- Each shingle hash is expanded into ``COPIES`` salted copies (a set of n shingles becomes a
  set of ``COPIES * n`` elements with the same Jaccard similarity as the original); each copy
  is hashed once, its top bits pick one of ``N_SLOTS`` slots and the slot keeps the minimum
  of the low bits (``np.minimum.at``). The cost is one hash per copy, against one per shingle
  and slot for classic k-permutation MinHash: short texts (tens of shingles) would leave most
  slots of a plain one-permutation sketch empty, hence the copies.
- Empty slots borrow the value of another slot, chosen by a seeded route that is the same for
  every text (optimal densification, Shrivastava 2017), so that two texts agree on a slot with
  probability equal to their Jaccard similarity, borrowed or not.
- Each slot is stored as its lowest 8 bits (b-bit MinHash): a quarter of the memory; two
  unrelated slots agree by chance with probability 1/256, which :func:`estimated_similarity`
  corrects for.

Banding: slots are cut into ``n_bands`` bands of ``rows_per_band`` slots; two texts are a
candidate pair when some band is identical in both, which happens with probability
``1 - (1 - J**r)**b`` for Jaccard similarity J. :func:`banding_for` picks r and b for a
threshold. Everything is seeded and ordered by text position: same inputs, same pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.text.shingles import CHUNK_TEXTS, ShingleSpec, Texts, iter_shingles, mix64, ranks_within

N_SLOTS = 256
SLOT_BITS = 8  # log2(N_SLOTS)
COPIES = 8
EMPTY = np.uint32(0xFFFFFFFF)
ROUTE_ATTEMPTS = 48
# Buckets larger than this are linked as a chain (each member with the bucket's first and
# its predecessor) instead of all pairs: boilerplate shared by thousands of texts must not
# turn into millions of candidates.
MAX_BUCKET_SIZE = 32
CANDIDATE_RECALL = 0.99


@dataclass(frozen=True)
class Banding:
    """``n_bands`` bands of ``rows_per_band`` slots each."""

    rows_per_band: int
    n_bands: int

    def candidate_probability(self, similarity: float) -> float:
        """The chance that two texts of this Jaccard similarity share at least one band."""
        return 1.0 - (1.0 - similarity ** self.rows_per_band) ** self.n_bands


def banding_for(similarity: float, n_slots: int = N_SLOTS, recall: float = CANDIDATE_RECALL) -> Banding:
    """The most selective banding (most rows per band) that still makes pairs of this
    Jaccard similarity candidates with probability at least ``recall``.

    Selectivity is what keeps the candidates few: texts sharing template phrases agree on
    single slots often and on six at once rarely, so each slot more per band divides the
    chance candidates far more than it costs the pairs above the threshold.
    """
    best = Banding(1, n_slots)
    for rows in range(1, n_slots + 1):
        banding = Banding(rows, n_slots // rows)
        if banding.candidate_probability(similarity) >= recall:
            best = banding
    return best


@dataclass(frozen=True)
class Signatures:
    """One row of ``N_SLOTS`` uint8 slots per text; ``has_shingles`` is False for empty texts."""

    slots: np.ndarray
    has_shingles: np.ndarray


def minhash_signatures(texts: Texts, spec: ShingleSpec, seed: int = 0,
                       chunk_texts: int = CHUNK_TEXTS) -> Signatures:
    """The signatures of ``texts`` (token texts, see checks/text/normalise.py)."""
    salts = mix64(np.arange(1, COPIES + 1, dtype=np.uint64) + np.uint64(seed % 2**32) * np.uint64(COPIES + 1))
    route = np.random.default_rng(seed).integers(0, N_SLOTS, size=(ROUTE_ATTEMPTS, N_SLOTS))
    slots = np.zeros((len(texts), N_SLOTS), dtype=np.uint8)
    has_shingles = np.zeros(len(texts), dtype=bool)
    for start, chunk in iter_shingles(texts, spec, chunk_texts):
        n_chunk = len(chunk.offsets) - 1
        copies = mix64(chunk.hashes[:, None] ^ salts[None, :]).ravel()
        slot = (copies >> np.uint64(64 - SLOT_BITS)).astype(np.int64)
        value = (copies & np.uint64(0xFFFFFFFE)).astype(np.uint32)  # never EMPTY
        sketch = np.full(n_chunk * N_SLOTS, EMPTY, dtype=np.uint32)
        np.minimum.at(sketch, np.repeat(chunk.owners, COPIES) * N_SLOTS + slot, value)
        sketch = sketch.reshape(n_chunk, N_SLOTS)
        filled = _densify(sketch, route)
        slots[start:start + n_chunk] = (filled & np.uint32(0xFF)).astype(np.uint8)
        has_shingles[start:start + n_chunk] = chunk.sizes > 0
    return Signatures(slots, has_shingles)


def _densify(sketch: np.ndarray, route: np.ndarray) -> np.ndarray:
    """Fill each empty slot from the first non-empty slot along its route (same for every text)."""
    filled = sketch.copy()
    rows, columns = np.nonzero(sketch == EMPTY)
    for attempt in range(ROUTE_ATTEMPTS):
        if not len(rows):
            break
        borrowed = sketch[rows, route[attempt, columns]]
        found = borrowed != EMPTY
        filled[rows[found], columns[found]] = borrowed[found]
        rows, columns = rows[~found], columns[~found]
    if len(rows):
        # Texts with very few shingles exhaust the route: their smallest value is classic MinHash.
        smallest = sketch.min(axis=1)
        filled[rows, columns] = smallest[rows]
    return filled


def estimated_similarity(slots: np.ndarray, first: np.ndarray, second: np.ndarray,
                         chunk_pairs: int = 200_000) -> np.ndarray:
    """The Jaccard similarity of each pair estimated from signature agreement (chance removed)."""
    chance = 1.0 / 256
    out = np.empty(len(first), dtype=np.float64)
    for begin in range(0, len(first), chunk_pairs):
        a, b = first[begin:begin + chunk_pairs], second[begin:begin + chunk_pairs]
        agreement = (slots[a] == slots[b]).mean(axis=1)
        out[begin:begin + chunk_pairs] = (agreement - chance) / (1 - chance)
    return out


def candidate_pairs(signatures: Signatures, banding: Banding) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (earlier, later) text positions sharing at least one band, sorted."""
    usable = np.flatnonzero(signatures.has_shingles)
    codes = []
    n_texts = np.int64(len(signatures.slots))
    for band in range(banding.n_bands):
        keys = np.zeros(len(usable), dtype=np.uint64)
        for column in range(band * banding.rows_per_band, (band + 1) * banding.rows_per_band):
            keys = mix64(keys ^ signatures.slots[usable, column].astype(np.uint64))
        first, second = _bucket_pairs(keys)
        codes.append(pd.unique(usable[first] * n_texts + usable[second]))
        # Most bands repeat the same pairs: merge when the new ones outnumber the merged ones
        # (amortised linear; memory stays near the number of distinct pairs).
        if sum(map(len, codes[1:])) > max(len(codes[0]), len(usable)):
            codes = [pd.unique(np.concatenate(codes))]
    unique = np.sort(pd.unique(np.concatenate(codes))) if codes else np.zeros(0, dtype=np.int64)
    return unique // n_texts, unique % n_texts


def _bucket_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (earlier, later) of texts with equal keys: all pairs in small buckets, a chain in large."""
    codes, uniques = pd.factorize(keys)
    sizes = np.bincount(codes, minlength=len(uniques))
    shared = np.flatnonzero(sizes[codes] >= 2)
    if not len(shared):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    members = shared[np.argsort(codes[shared], kind="stable")]  # by bucket, then by position
    bucket_sizes = sizes[codes[members]]
    group_start = np.flatnonzero(np.r_[True, codes[members[1:]] != codes[members[:-1]]])
    rank = np.arange(len(members)) - np.repeat(group_start, np.diff(np.r_[group_start, len(members)]))
    small = bucket_sizes <= MAX_BUCKET_SIZE
    # Small buckets: each member with every earlier member of its bucket.
    later = np.repeat(np.flatnonzero(small), rank[small])
    earlier = later - rank[later] + ranks_within(rank[small])
    # Large buckets: each member with the bucket's first member and with its predecessor.
    big = np.flatnonzero(~small & (rank > 0))
    head = big - rank[big]
    pairs_first = np.concatenate([members[earlier], members[head], members[big - 1]])
    pairs_second = np.concatenate([members[later], members[big], members[big]])
    return pairs_first, pairs_second
