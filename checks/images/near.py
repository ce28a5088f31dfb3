"""Near copies of pictures within a split and from val into train, and near copies labelled differently.

Candidates come from two indexes, never from all pairs: the shared vector index
(:mod:`checks.neighbours`, over each picture's small grey and colour copies, see
:mod:`checks.encoders.image`) and a binary one, pictures whose 64-bit difference hashes agree
on one of four 16-bit bands. A candidate pair is then verified in the finer space: it is a
near copy when the distance of the two small copies is at most ``max_relative_distance``
times the typical distance between a train picture and its nearest other one. A 64-bit hash
alone pairs many different pictures of one texture; the verification does not.

Exact copies (identical decoded pixels) are the exact checks' findings and are not repeated.
Flat pictures (one colour, no shape to compare) are left to ``blank_images``: any two of them
would otherwise be near copies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.base import AuditData, Check, Finding, fraction, register
from checks.features import encoded_features, pair_distances
from checks.hashing import feature_hashes
from checks.near_duplicates import NearDuplicates, NearLeakage, Threshold, calibrated_threshold, keep_first_in_file_order
from checks.neighbours import neighbour_graph

BANDS = 4
BAND_BITS = 16
# A band value shared by more pictures than this says little (flat pictures all share one).
MAX_BUCKET = 64


def band_pairs(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i < j) of pictures whose hashes agree on at least one band."""
    pairs = []
    for band in range(BANDS):
        keys = (hashes >> np.uint64(band * BAND_BITS)) & np.uint64((1 << BAND_BITS) - 1)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        for start, end in zip(starts, ends):
            if 1 < end - start <= MAX_BUCKET:
                members = order[start:end]
                a, b = np.triu_indices(len(members), 1)
                pairs.append(np.stack([members[a], members[b]], axis=1))
    if not pairs:
        empty = np.array([], dtype=np.int64)
        return empty, empty
    unique = np.unique(np.sort(np.concatenate(pairs), axis=1), axis=0)
    return unique[:, 0], unique[:, 1]


@register
class ImageNearCopies(Check):
    """Pictures that are resized, re-encoded, slightly cropped or brightened copies of another.

    What it detects:
        ``near_duplicates``: within each split, pictures that nearly copy an earlier one
        (``duplicate_of``, with the ``distance``); ``near_leakage``: val pictures that nearly
        copy a train picture (``train_row``); ``conflicting_labels`` (``near: true``): near
        copies filed under different classes. Candidates come from a vector index and a
        banded perceptual hash, then are verified: the distance between 16x16 grey copies (at
        unit spread) and 4x4 colour grids must be at most ``max_relative_distance`` times the
        typical nearest-picture distance in train. The metrics state the threshold.

    Why it matters:
        A network memorises a picture it sees twice as readily as one it sees once; a val
        picture that is a copy of a train picture measures memory, not generalisation; a copy
        filed under two classes is a label error.

    How to fix:
        Drop the flagged copies (each keeps the picture it copies); move val copies out of
        val; put a picture filed under two classes into one.

    Parameters:
        max_relative_distance: the threshold as a fraction of the typical distance between a
            train picture and its nearest other one.
        fail_at_fraction: share of a split's pictures that are near copies at or above which
            near_duplicates fails (any warns).
        leak_fail_at_fraction: the same for near_leakage, as a share of val.
        conflict_fail_at_fraction: the same for conflicting_labels.
    """

    name = "image_near_copies"
    needs = frozenset({"images"})
    codes = ("near_duplicates", "near_leakage", "conflicting_labels")
    parameters = {"max_relative_distance": fraction(), "fail_at_fraction": fraction(),
                  "leak_fail_at_fraction": fraction(), "conflict_fail_at_fraction": fraction()}

    def __init__(self, max_relative_distance=0.4, fail_at_fraction=0.05, leak_fail_at_fraction=0.01,
                 conflict_fail_at_fraction=0.01):
        self.max_relative_distance = max_relative_distance
        self.fail_at_fraction = fail_at_fraction
        self.leak_fail_at_fraction = leak_fail_at_fraction
        self.conflict_fail_at_fraction = conflict_fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        graph = neighbour_graph(data)
        encoded = encoded_features(data)
        threshold = calibrated_threshold(
            graph.typical, encoded.n_features, [d["column"] for d in encoded.dropped], self.max_relative_distance,
            None, lambda _: f"{graph.within['train'].method} and a {BANDS}-band difference hash, verified exactly")
        if threshold.value is None:
            return []
        same = NearDuplicates(self.max_relative_distance, None, self.fail_at_fraction, self.conflict_fail_at_fraction)
        findings = []
        for split in data.splits:
            rows, kept, dist = self.within(data, split, graph, threshold.value)
            index = data.frames[split].index
            if len(rows):
                findings.append(same.near_duplicates_finding(split, len(index), rows, kept, dist, threshold,
                                                             len(graph.distinct[split])))
            conflict = same.conflicts_within_finding(split, len(index), data.labels(split), rows, kept, dist, threshold)
            if conflict is not None:
                findings.append(conflict)
        if "val" in data.splits:
            findings += self.across(data, graph, threshold, same)
        return findings

    def within(self, data: AuditData, split: str, graph, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row numbers of near copies in ``split``, of the earlier picture each keeps, and the distance."""
        distinct = graph.distinct[split]
        matrix = encoded_features(data).matrices[split][distinct]
        neighbours = graph.within[split]
        k = neighbours.indices.shape[1]
        banded_a, banded_b = band_pairs(self.dhash(data, split)[distinct])
        a = np.concatenate([np.repeat(np.arange(len(distinct)), k), banded_a])
        b = np.concatenate([neighbours.indices.ravel(), banded_b])
        flat = self.flat(data, split)[distinct]
        valid = b >= 0
        a, b = a[valid], b[valid]
        valid = ~flat[a] & ~flat[b]
        a, b = a[valid], b[valid]
        d = pair_distances(matrix, a, matrix, b)
        close = d <= threshold
        later, earlier, dist = keep_first_in_file_order(a[close], b[close], d[close])
        index = data.frames[split].index.to_numpy()
        return index[distinct[later]], index[distinct[earlier]], dist

    def across(self, data: AuditData, graph, threshold: Threshold, same: NearDuplicates) -> list[Finding]:
        """Val pictures that nearly copy a train picture (exact copies left out)."""
        hashes = feature_hashes(data)
        matrices = encoded_features(data).matrices
        train_distinct = graph.distinct["train"]
        n_val = len(matrices["val"])
        # Candidates: the vector index's nearest train picture, and every train picture sharing a band.
        both = np.concatenate([self.dhash(data, "train")[train_distinct], self.dhash(data, "val")])
        a, b = band_pairs(both)
        n_train = len(train_distinct)
        crossing = (a < n_train) & (b >= n_train)
        val_pos = np.concatenate([np.arange(n_val), b[crossing] - n_train])
        train_pos = np.concatenate([graph.across.indices[:, 0], a[crossing]])
        valid = train_pos >= 0
        val_pos, train_pos = val_pos[valid], train_pos[valid]
        valid = ~self.flat(data, "val")[val_pos] & ~self.flat(data, "train")[train_distinct[train_pos]]
        val_pos, train_pos = val_pos[valid], train_pos[valid]
        d = pair_distances(matrices["val"], val_pos, matrices["train"], train_distinct[train_pos])
        exact = np.isin(hashes["val"].to_numpy(), hashes["train"].to_numpy())
        keep = (d <= threshold.value) & ~exact[val_pos]
        pairs = pd.DataFrame({"val": val_pos[keep], "train": train_pos[keep], "d": d[keep]})
        pairs = pairs.sort_values(["val", "d", "train"], kind="stable").drop_duplicates("val")
        val_rows = data.frames["val"].index.to_numpy()[pairs["val"].to_numpy()]
        train_rows = data.frames["train"].index.to_numpy()[train_distinct[pairs["train"].to_numpy()]]
        dist = pairs["d"].to_numpy()
        findings = NearLeakage(self.max_relative_distance, None, self.leak_fail_at_fraction).finding(
            n_val, val_rows, train_rows, dist, threshold)
        conflict = same.conflicts_across_finding(n_val, val_rows, train_rows, dist,
                                                 data.labels("val").loc[val_rows].to_numpy(),
                                                 data.labels("train").loc[train_rows].to_numpy(), threshold)
        return findings + ([conflict] if conflict is not None else [])

    @staticmethod
    def flat(data: AuditData, split: str) -> np.ndarray:
        """Pictures of one flat colour: their grey copy at unit spread is all zeros."""
        return ~data.images.tables[split].shape.any(axis=1)

    @staticmethod
    def dhash(data: AuditData, split: str) -> np.ndarray:
        return data.images.tables[split].dhash
