"""Exact Jaccard similarities of pairs of shingle sets, vectorised over the pairs.

Each set's hashes are replaced by dense ranks (one ``np.unique`` over the sets involved), so
that ``pair << 32 | rank`` orders every pair's second set globally: the first set's elements
are then looked up with one ``np.searchsorted`` per chunk of pairs, with no Python loop over
pairs and no sort of the pairs' elements.
"""

from __future__ import annotations

import numpy as np
from checks.text.shingles import Shingles, ShingleSpec, Texts, ranks_within, shingle_sets, take_texts

CHUNK_PAIRS = 100_000


def jaccard_of_pairs(sets: Shingles, first: np.ndarray, second: np.ndarray, chunk_pairs: int = CHUNK_PAIRS) -> np.ndarray:
    """|A & B| / |A | B| for each pair of set positions (1.0 for two empty sets)."""
    first, second = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
    _, dense = np.unique(sets.hashes, return_inverse=True)
    dense = dense.astype(np.uint64)
    sizes = sets.sizes
    similarity = np.empty(len(first), dtype=np.float64)
    for begin in range(0, len(first), chunk_pairs):
        a, b = first[begin:begin + chunk_pairs], second[begin:begin + chunk_pairs]
        pair = np.arange(len(a), dtype=np.uint64)
        a_keys = (np.repeat(pair, sizes[a]) << np.uint64(32)) | dense[_members(sets.offsets, a, sizes)]
        b_keys = (np.repeat(pair, sizes[b]) << np.uint64(32)) | dense[_members(sets.offsets, b, sizes)]
        found = np.searchsorted(b_keys, a_keys)
        hit = found < len(b_keys)
        hit[hit] = b_keys[found[hit]] == a_keys[hit]
        shared = np.bincount((a_keys[hit] >> np.uint64(32)).astype(np.int64), minlength=len(a))
        union = sizes[a] + sizes[b] - shared
        similarity[begin:begin + len(a)] = np.where(union > 0, shared / np.maximum(union, 1), 1.0)
    return similarity


def _members(offsets: np.ndarray, sets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Positions in the hash array of the members of each listed set, set after set."""
    counts = sizes[sets]
    return np.repeat(offsets[sets], counts) + ranks_within(counts)


def similarities_of_texts(texts: Texts, first: np.ndarray, second: np.ndarray, spec: ShingleSpec) -> np.ndarray:
    """Jaccard similarities of pairs of positions into ``texts`` (token texts); only the texts
    that occur in a pair are shingled."""
    involved, local = np.unique(np.concatenate([first, second]).astype(np.int64), return_inverse=True)
    sets = shingle_sets(take_texts(texts, involved), spec)
    return jaccard_of_pairs(sets, local[:len(first)], local[len(first):])
