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
seeded sample of the base, ``nprobe`` cells searched per query). bench/compare_neighbours.py
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

# Exact search costs n_queries * n_base distance evaluations; 2.5e9 (50k rows against
# themselves) takes a few seconds on two cores.
EXACT_MAX_PAIRS = 2_500_000_000
# IVF settings: about sqrt(n) cells, trained on at most 64 points a cell, 8 cells searched.
# A near copy lies in its source's cell or the next one, so planted-copy recall stays at 1
# even where recall@1 of arbitrary rows (whose neighbours are far) is lower.
IVF_POINTS_PER_CELL = 64
IVF_NPROBE = 8
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
class NeighbourGraph:
    """Neighbours of each split's distinct rows, within the split and from val into train.

    ``distinct[split]`` holds the positions (0-based, in the split's frame) of the first row
    of each group of identical feature values; ``within[split]`` indexes into that array for
    both its queries and its results. ``across`` has one query per val row (every row, in
    frame order) and indexes into ``distinct["train"]``.
    """

    distinct: dict[str, np.ndarray]
    within: dict[str, Neighbours]
    across: Neighbours | None


def neighbour_graph(data: AuditData) -> NeighbourGraph:
    """The shared neighbour graph of ``data`` (computed on first use, then cached)."""
    return data.shared("neighbour_graph", build_neighbour_graph)


def build_neighbour_graph(data: AuditData) -> NeighbourGraph:
    matrices = encoded_features(data).matrices
    hashes = feature_hashes(data)
    distinct = {split: first_positions(hashes[split].to_numpy()) for split in data.splits}
    vectors = {split: matrices[split][distinct[split]] for split in data.splits}
    within = {split: search(vectors[split], None, WITHIN_K, random_state=data.random_state)
              for split in data.splits}
    across = None
    if "val" in data.frames:
        across = search(vectors["train"], matrices["val"], 1, random_state=data.random_state)
    return NeighbourGraph(distinct=distinct, within=within, across=across)


def first_positions(keys: np.ndarray) -> np.ndarray:
    """Sorted positions of the first occurrence of each key."""
    _, first = np.unique(keys, return_index=True)
    return np.sort(first)


def search(base: np.ndarray, queries: np.ndarray | None, k: int, *, random_state: int = 0,
           exact_max_pairs: float | None = None) -> Neighbours:
    """The ``k`` nearest rows of ``base`` for each row of ``queries``.

    With ``queries=None`` the base is searched against itself and each row's own position is
    left out of its list. Exact when ``len(queries) * len(base) <= exact_max_pairs``
    (default ``EXACT_MAX_PAIRS``).
    """
    import faiss

    if exact_max_pairs is None:
        exact_max_pairs = EXACT_MAX_PAIRS
    base = np.ascontiguousarray(base, dtype=np.float32)
    self_search = queries is None
    queries = base if self_search else np.ascontiguousarray(queries, dtype=np.float32)
    n_base, dim = base.shape
    n_queries = len(queries)
    k_ask = min(k + 1 if self_search else k, n_base)
    if n_queries == 0 or n_base == 0 or k_ask == 0 or dim == 0:
        empty = np.full((n_queries, k), -1, dtype=np.int64)
        return Neighbours(empty, np.full((n_queries, k), np.inf), "none: no rows or no features", True)

    exact = n_queries * n_base <= exact_max_pairs
    if exact:
        index = faiss.IndexFlatL2(dim)
        method = "exact (faiss IndexFlatL2)"
    else:
        n_lists = int(np.clip(np.sqrt(n_base), 16, 65_536))
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, n_lists)
        index.cp.seed = int(random_state)
        index.cp.max_points_per_centroid = IVF_POINTS_PER_CELL
        index.cp.min_points_per_centroid = 1  # small bases: no warning printed from C++
        index.train(base)
        index.nprobe = min(IVF_NPROBE, n_lists)
        n_trained = min(n_base, n_lists * IVF_POINTS_PER_CELL)
        method = (f"approximate (faiss IndexIVFFlat: {n_lists} cells trained on {n_trained} rows, "
                  f"{index.nprobe} searched per query)")
    index.add(base)

    indices = np.empty((n_queries, k), dtype=np.int64)
    distances = np.empty((n_queries, k), dtype=np.float64)
    for start in range(0, n_queries, QUERY_BATCH):
        stop = min(start + QUERY_BATCH, n_queries)
        _, found = index.search(queries[start:stop], k_ask)
        own = np.arange(start, stop) if self_search else None
        indices[start:stop], distances[start:stop] = _refine(base, queries[start:stop], found, own, k)
    return Neighbours(indices, distances, method, exact)


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
