"""Near copies in a table with free text, and which exact copies were equal as written.

Near duplicates and near leakage of a table with text columns are found in the texts
(checks/text/near.py: MinHash candidates verified by the Jaccard similarity of word
bigrams, several text columns compared as one text). A table with other columns asks a
near copy to be near in every kind: a text pair is kept only when the two rows' other
columns are also within the tabular near-duplicate threshold in the encoded feature space
(checks/features.py): within ``max_relative_distance`` times the typical distance between a
distinct combination of their values and the nearest other one (for categories alone: the
same values).
``max_distance`` is then 1 - Jaccard similarity, for the text; the tabular part keeps its
calibrated threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from checks.base import AuditData, Finding
from checks.features import encoded_features, pair_distances
from checks.text.columns import normalised_texts, raw_texts, text_columns
from checks.text.near import NearText, NearTextCopies, TextPairs, near_text


TYPICAL_SAMPLE = 20_000


@dataclass(frozen=True)
class TabularPart:
    """The other columns' side of a near copy: the distance within which two rows are near there."""

    threshold: float | None
    typical_distance: float | None
    n_encoded_features: int
    dropped_columns: list[str]


def tabular_part(data: AuditData, max_relative_distance: float) -> TabularPart:
    """``max_relative_distance`` times the median distance from a distinct train row of the other
    columns' encoded space to its nearest other one (on a seeded sample of distinct rows); no
    threshold when those columns hold a single distinct row (every pair is near there)."""
    encoded = encoded_features(data)
    dropped = [d["column"] for d in encoded.dropped]
    if not encoded.n_features:
        return TabularPart(None, None, 0, dropped)
    distinct = np.unique(encoded.matrices["train"], axis=0).astype(np.float64)
    if len(distinct) < 2:
        return TabularPart(None, None, encoded.n_features, dropped)
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(data.random_state)
    queries = distinct if len(distinct) <= TYPICAL_SAMPLE else distinct[rng.choice(len(distinct), TYPICAL_SAMPLE,
                                                                                  replace=False)]
    nearest = NearestNeighbors(n_neighbors=2).fit(distinct).kneighbors(queries)[0][:, 1]
    typical = float(np.median(nearest))
    return TabularPart(max_relative_distance * typical, typical, encoded.n_features, dropped)


def table_near_text(data: AuditData, max_distance: float | None, max_relative_distance: float) -> NearText:
    """Near text pairs of ``data``, kept where the other columns are near too; computed once per setting."""
    key = f"near_text:{max_distance}:{max_relative_distance}"
    return data.shared(key, lambda d: _near_in_every_kind(d, max_distance, max_relative_distance))


def _near_in_every_kind(data: AuditData, max_distance: float | None, max_relative_distance: float) -> NearText:
    near = near_text(raw_texts(data), max_distance, seed=data.random_state, normalised=normalised_texts(data))
    tabular = tabular_part(data, max_relative_distance)
    if tabular.threshold is None or not len(near.pairs):
        return near
    pairs = near.pairs
    distance = np.empty(len(pairs))
    for split_a in data.splits:
        for split_b in data.splits:
            where = (pairs.first_split == split_a) & (pairs.second_split == split_b)
            if where.any():
                distance[where] = tabular_distances(data, split_a, pairs.first_row[where], split_b,
                                                    pairs.second_row[where])
    keep = distance <= tabular.threshold
    kept = TextPairs(pairs.first_split[keep], pairs.first_row[keep], pairs.second_split[keep],
                     pairs.second_row[keep], pairs.similarity[keep])
    return replace(near, pairs=kept)


def tabular_distances(data: AuditData, split_a: str, rows_a: np.ndarray, split_b: str, rows_b: np.ndarray) -> np.ndarray:
    """The distance between each pair of rows (row numbers) in the other columns' encoded space."""
    matrices = encoded_features(data).matrices
    return pair_distances(matrices[split_a], data.frames[split_a].index.get_indexer(rows_a),
                          matrices[split_b], data.frames[split_b].index.get_indexer(rows_b))


def table_leaks(data: AuditData, near: NearText, max_relative_distance: float) -> NearTextCopies:
    """Val rows near a train row in the text and in every other column.

    :meth:`NearText.leaks` flags every val row holding a leaking text; in a table with other
    columns each of those rows must also be near its train row there.
    """
    leaks = near.leaks()
    tabular = tabular_part(data, max_relative_distance)
    if tabular.threshold is None or not len(leaks):
        return leaks
    keep = tabular_distances(data, "val", leaks.rows, "train", leaks.partners) <= tabular.threshold
    return NearTextCopies(leaks.rows[keep], leaks.partners[keep], leaks.similarity[keep])


def text_metrics(data: AuditData, near: NearText, max_relative_distance: float) -> dict[str, Any]:
    """How near copies of a table with text were found, as the near findings' metrics state it."""
    tabular = tabular_part(data, max_relative_distance)
    metrics = {**near.describe(), "text_columns": text_columns(data), "n_encoded_features": tabular.n_encoded_features,
               "dropped_columns": tabular.dropped_columns, "threshold": near.max_distance,
               "threshold_similarity": near.threshold, "threshold_source": "text"}
    if tabular.threshold is not None:
        metrics.update(tabular_threshold=tabular.threshold, typical_neighbour_distance=tabular.typical_distance,
                       max_relative_distance=max_relative_distance)
    return metrics


def with_similarity(findings: list[Finding]) -> list[Finding]:
    """Near findings whose evidence also carries the text ``similarity`` (1 - distance)."""
    return [replace(f, rows=[{**row, "similarity": round(1.0 - row["distance"], 6)} if "distance" in row else row
                             for row in f.rows]) for f in findings]
