"""Nearest neighbours of the encoded rows: exact where cheap, an approximate index where not.

Near-duplicate and near-leakage checks (and anything else that asks "which row is closest")
share one neighbour graph per audit, built through :meth:`~checks.base.AuditData.shared`
over the *distinct* rows of each split (the first row of every group of identical feature
values, as the exact-duplicate checks define them), so a block of exact copies cannot fill
a row's whole neighbour list:

- ``within[split]``: each distinct row's nearest other distinct rows of the same split;
- ``across``: each val row's nearest distinct train row.

Search is exact (faiss ``IndexFlatL2``) while ``n_queries * n_base`` stays under
``EXACT_MAX_PAIRS``, and approximate above it (faiss ``IndexIVFFlat``: k-means cells over a
seeded sample of the base, ``IVF_NPROBE`` cells searched per query). The graph also holds the
typical spacing of the train rows (median distance to the nearest other row), measured from
the exact graph, or on a seeded sample with a wide search when the index is approximate. bench/compare_neighbours.py
holds the comparison behind that choice. Either way memory is linear in the rows (no n x n
matrix), the returned distances are recomputed exactly in float64 from the vectors (the BLAS
shortcut of the flat index loses the digits that separate a near copy from an exact one),
and ties are broken by position, so the same input and seed give the same neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from checks.base import AuditData
from checks.features import encoded_features
from checks.hashing import feature_hashes

# Exact search costs n_queries * n_base distance evaluations, about 1e8 a second here:
# 2.5e8 (16k rows against themselves) is a few seconds; beyond it the index is approximate.
EXACT_MAX_PAIRS = 250_000_000
# IVF settings: about 2 sqrt(n) cells, trained on at most 64 points a cell, 2 cells searched
# per query. A near copy lies in its source's cell or, near a border, in the next one, so
# planted-copy recall stays at 1 while recall@1 of arbitrary rows (whose neighbours are far)
# is lower; bench/compare_neighbours.py measures both.
IVF_POINTS_PER_CELL = 64
IVF_NPROBE = 2
# The typical distance is measured on a seeded sample of this many rows when the index is
# approximate, searching this many cells so that it is exact but for rare misses.
TYPICAL_SAMPLE = 2000
TYPICAL_NPROBE = 64
WITHIN_K = 3
QUERY_BATCH = 65_536


@dataclass(frozen=True)
class Neighbours:
    """The ``k`` nearest base rows of each query, nearest first.

    ``indices`` are positions in the base matrix (-1 where the base has fewer rows);
    ``distances`` the Euclidean distances (``inf`` where -1). ``method`` says how they were
    found, in words for a report's metrics.
    """

    indices: np.ndarray
    distances: np.ndarray
    method: str
    exact: bool


@dataclass(frozen=True)
class TypicalDistance:
    """The median distance from a distinct train row to its nearest other one (zeros left out)."""

    value: float | None
    n_rows: int
    of_rows: int
    method: str

    @property
    def sampled(self) -> bool:
        return self.n_rows < self.of_rows


@dataclass(frozen=True)
class NeighbourGraph:
    """Neighbours of each split's distinct rows, within the split and from val into train.

    ``distinct[split]`` holds the positions (0-based, in the split's frame) of the first row
    of each group of identical feature values; ``within[split]`` indexes into that array for
    both its queries and its results. ``across`` has one query per val row (every row, in
    frame order) and indexes into ``distinct["train"]``. ``typical`` is the scale of the
    train rows' spacing, for thresholds relative to it.
    """

    distinct: dict[str, np.ndarray]
    within: dict[str, Neighbours]
    across: Neighbours | None
    typical: TypicalDistance


def neighbour_graph(data: AuditData) -> NeighbourGraph:
    """The shared neighbour graph of ``data`` (computed on first use, then cached)."""
    return data.shared("neighbour_graph", build_neighbour_graph)


def build_neighbour_graph(data: AuditData) -> NeighbourGraph:
    matrices = encoded_features(data).matrices
    hashes = feature_hashes(data)
    distinct = {split: first_positions(hashes[split].to_numpy()) for split in data.splits}
    vectors = {split: matrices[split][distinct[split]] for split in data.splits}
    n_val = len(matrices["val"]) if "val" in matrices else 0
    within, across, typical = {}, None, None
    for split in data.splits:
        n_queries = len(vectors[split]) + (n_val if split == "train" else 0)
        index = NeighbourIndex(vectors[split], n_queries, random_state=data.random_state)
        within[split] = index.search(None, WITHIN_K)
        if split == "train":
            typical = typical_distance(index, within[split], data.random_state)
            if n_val:
                across = index.search(matrices["val"], 1)
    return NeighbourGraph(distinct=distinct, within=within, across=across, typical=typical)


def typical_distance(index: "NeighbourIndex", within: Neighbours, random_state: int) -> TypicalDistance:
    """Median nearest-other-row distance: from the graph when exact, else a wide search on a sample."""
    n_rows = len(index.base)
    if index.exact or n_rows <= TYPICAL_SAMPLE:
        nearest, used, method = within.distances[:, 0], n_rows, within.method
    else:
        sample = np.sort(np.random.default_rng(random_state).choice(n_rows, TYPICAL_SAMPLE, replace=False))
        wide = index.search(None, 1, rows=sample, nprobe=TYPICAL_NPROBE)
        nearest, used, method = wide.distances[:, 0], TYPICAL_SAMPLE, wide.method
    positive = nearest[np.isfinite(nearest) & (nearest > 0)]
    value = float(np.median(positive)) if len(positive) else None
    return TypicalDistance(value=value, n_rows=used, of_rows=n_rows, method=method)


def first_positions(keys: np.ndarray) -> np.ndarray:
    """Sorted positions of the first occurrence of each key."""
    _, first = np.unique(keys, return_index=True)
    return np.sort(first)


class NeighbourIndex:
    """A faiss index over ``base``: exact when ``n_queries * len(base)`` is small, IVF otherwise.

    ``n_queries`` is how many queries the caller means to make, which decides what is cheap.
    """

    def __init__(self, base: np.ndarray, n_queries: int, *, random_state: int = 0,
                 exact_max_pairs: float | None = None):
        import faiss

        if exact_max_pairs is None:
            exact_max_pairs = EXACT_MAX_PAIRS
        self.base = np.ascontiguousarray(base, dtype=np.float32)
        n_base, dim = self.base.shape
        self.exact = n_queries * n_base <= exact_max_pairs or n_base < 2 * IVF_POINTS_PER_CELL
        self.n_lists = 0
        if n_base == 0 or dim == 0:
            self.index = None
            self.method = "none: no rows or no features"
            return
        if self.exact:
            self.index = faiss.IndexFlatL2(dim)
            self.method = "exact (faiss IndexFlatL2)"
        else:
            self.n_lists = int(np.clip(2 * np.sqrt(n_base), 16, 65_536))
            self.index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, self.n_lists)
            self.index.cp.seed = int(random_state)
            self.index.cp.max_points_per_centroid = IVF_POINTS_PER_CELL
            self.index.cp.min_points_per_centroid = 1  # small bases: no warning printed from C++
            self.index.train(self.base)
            n_trained = min(n_base, self.n_lists * IVF_POINTS_PER_CELL)
            self.method = (f"approximate (faiss IndexIVFFlat: {self.n_lists} cells trained on {n_trained} "
                           f"rows, {{nprobe}} searched per query)")
        self.index.add(self.base)

    def search(self, queries: np.ndarray | None, k: int, *, rows: np.ndarray | None = None,
               nprobe: int = IVF_NPROBE) -> Neighbours:
        """The ``k`` nearest base rows of each query; ``queries=None`` searches the base itself.

        In a self-search each row's own position is left out of its list; ``rows`` limits a
        self-search to those base positions.
        """
        self_search = queries is None
        if self_search:
            own_rows = np.arange(len(self.base)) if rows is None else np.asarray(rows)
            queries = self.base[own_rows]
        else:
            queries = np.ascontiguousarray(queries, dtype=np.float32)
        n_queries = len(queries)
        k_ask = min(k + 1 if self_search else k, len(self.base))
        method = self.method
        if self.index is None or k_ask == 0 or n_queries == 0:
            return Neighbours(np.full((n_queries, k), -1, dtype=np.int64), np.full((n_queries, k), np.inf),
                              method.format(nprobe=0), self.exact)
        if not self.exact:
            self.index.nprobe = min(nprobe, self.n_lists)
            method = method.format(nprobe=self.index.nprobe)
        indices = np.empty((n_queries, k), dtype=np.int64)
        distances = np.empty((n_queries, k), dtype=np.float64)
        for start in range(0, n_queries, QUERY_BATCH):
            stop = min(start + QUERY_BATCH, n_queries)
            _, found = self.index.search(queries[start:stop], k_ask)
            own = own_rows[start:stop] if self_search else None
            indices[start:stop], distances[start:stop] = _refine(self.base, queries[start:stop], found, own, k)
        return Neighbours(indices, distances, method, self.exact)


def search(base: np.ndarray, queries: np.ndarray | None, k: int, *, random_state: int = 0,
           exact_max_pairs: float | None = None) -> Neighbours:
    """The ``k`` nearest rows of ``base`` for each row of ``queries`` (``None``: base against itself).

    Exact when ``len(queries) * len(base) <= exact_max_pairs`` (default ``EXACT_MAX_PAIRS``).
    """
    n_queries = len(base) if queries is None else len(queries)
    index = NeighbourIndex(base, n_queries, random_state=random_state, exact_max_pairs=exact_max_pairs)
    return index.search(queries, k)


def _refine(base: np.ndarray, queries: np.ndarray, found: np.ndarray, own: np.ndarray | None,
            k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact float64 distances for the candidates, own row removed, sorted by (distance, index)."""
    found = found.astype(np.int64)
    if own is not None:
        found = np.where(found == own[:, None], -1, found)
    valid = found >= 0
    safe = np.where(valid, found, 0)
    diff = base[safe].astype(np.float64) - queries[:, None, :].astype(np.float64)
    dist = np.sqrt(np.einsum("qkd,qkd->qk", diff, diff))
    dist[~valid] = np.inf
    found[~valid] = np.iinfo(np.int64).max
    order = np.lexsort((found, dist), axis=-1)
    found = np.take_along_axis(found, order, axis=1)[:, :k]
    dist = np.take_along_axis(dist, order, axis=1)[:, :k]
    found[~np.isfinite(dist)] = -1
    if found.shape[1] < k:
        pad = k - found.shape[1]
        found = np.pad(found, ((0, 0), (0, pad)), constant_values=-1)
        dist = np.pad(dist, ((0, 0), (0, pad)), constant_values=np.inf)
    return found, dist
