"""Near duplicates and near leakage: rows that are almost, but not exactly, copies of another.

Both checks compare rows of the shared encoded feature matrix (checks/features.py) through
the shared neighbour graph (checks/neighbours.py), which holds one row per group of
identical feature values: exact copies are the exact-duplicate and exact-leakage checks'
findings and are never reported again here.

Two rows are near duplicates when their distance is at most a threshold. By default the
threshold is calibrated from the data: ``max_relative_distance`` times the typical distance
between a train row and its nearest other train row (the median over distinct train rows,
zero distances left out), so it follows the scale and the dimension of the features. An
absolute ``max_distance`` overrides it. Every finding states the threshold, where it came
from, and how the neighbours were searched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from checks.base import AuditData, Check, Finding, Severity, fraction, positive_number, register, rows_finding
from checks.features import encoded_features
from checks.hashing import feature_hashes, left_out
from checks.neighbours import NeighbourGraph, TypicalDistance, neighbour_graph
from checks.text.columns import text_columns
from checks.text.table import table_leaks, table_near_text, text_metrics, with_similarity


NEAR_COPIES = ("are near copies", "is a near copy")
NEAR_PARAMETERS = {
    "max_relative_distance": fraction(),
    "max_distance": positive_number(allow_none=True),
    "fail_at_fraction": fraction(),
}


@dataclass(frozen=True)
class Threshold:
    value: float | None
    source: str
    metrics: dict[str, Any]

    @property
    def usable(self) -> bool:
        """Whether rows can be compared: a threshold, and encoded features to measure distances in."""
        return self.value is not None and self.metrics["n_encoded_features"] > 0


def near_threshold(data: AuditData, max_relative_distance: float, max_distance: float | None) -> Threshold:
    """The distance at or below which two rows count as near duplicates, with its provenance."""
    graph = neighbour_graph(data)
    encoded = encoded_features(data)
    return calibrated_threshold(graph.typical, encoded.n_features, [d["column"] for d in encoded.dropped],
                                max_relative_distance, max_distance, lambda _: graph.within["train"].method,
                                left_out(data).columns)


def calibrated_threshold(typical: TypicalDistance, n_encoded_features: int, dropped_columns: list[str],
                         max_relative_distance: float, max_distance: float | None,
                         search: Callable[[float | None], str], left_out_columns: list[str] = ()) -> Threshold:
    """The threshold from the typical distance however measured; ``search`` describes how
    the neighbours within a threshold are found, for the metrics; ``left_out_columns`` are the
    identifier-like columns rows are compared without, which the findings name."""
    if max_distance is not None:
        value, source = float(max_distance), "absolute"
    elif typical.value is not None:
        value, source = float(max_relative_distance * typical.value), "relative"
    else:
        value, source = None, "none"
    metrics: dict[str, Any] = {
        "typical_neighbour_distance": typical.value,
        "max_relative_distance": max_relative_distance,
        "neighbour_search": search(value),
        "n_encoded_features": n_encoded_features,
        "dropped_columns": dropped_columns,
        "columns_left_out": list(left_out_columns),
        "sampled": [],
    }
    if typical.sampled:
        metrics["sampled"].append({"part": "typical_neighbour_distance", "rows": typical.n_rows,
                                   "of_rows": typical.of_rows, "search": typical.method})
    metrics["threshold"] = value
    metrics["threshold_source"] = source
    return Threshold(value, source, metrics)


def describe(threshold: Threshold) -> str:
    if threshold.source == "text":  # checks/text/table.py: texts by similarity, other columns by distance
        metrics = threshold.metrics
        text = f"{metrics['similarity']} >= {metrics['threshold_similarity']:.2f}"
        if "tabular_threshold" in metrics:
            text += f", other columns within distance {metrics['tabular_threshold']:.4g}"
        return text
    if threshold.source == "absolute":
        return f"distance <= {threshold.value:.4g}, set by max_distance"
    typical = threshold.metrics["typical_neighbour_distance"]
    said = (f"distance <= {threshold.value:.4g}, {threshold.metrics['max_relative_distance']:g} x the typical "
            f"nearest-neighbour distance {typical:.4g}")
    left = threshold.metrics.get("columns_left_out")
    if left:
        said += f", without {', '.join(repr(c) for c in left)} (unique per row)"
    return said


def near_pairs_within(graph: NeighbourGraph, split: str, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (in the split) of near-duplicate rows, of the earlier row each repeats, and the distance.

    Rows are visited in file order; a row is flagged when an earlier row that is itself kept
    lies within the threshold (the nearest such row is its ``duplicate_of``). So every flagged
    row is within the threshold of its kept row, and dropping the flagged rows leaves no two
    rows within the threshold among the neighbours searched.
    """
    neighbours = graph.within[split]
    distinct = graph.distinct[split]
    n, k = neighbours.indices.shape
    query = np.repeat(np.arange(n), k)
    other = neighbours.indices.ravel()
    distance = neighbours.distances.ravel()
    close = (other >= 0) & (distance <= threshold)
    if not close.any():
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64)
    later, earlier, dist = keep_first_in_file_order(query[close], other[close], distance[close])
    return distinct[later], distinct[earlier], dist


def keep_first_in_file_order(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From pairs of rows (``a``, ``b``) at distance ``d``: the rows flagged, each with the
    earlier kept row it nearly repeats and their distance, by row.

    Rows are visited in order; a row is flagged when an earlier row that is itself kept is
    paired with it (the nearest such row, ties to the earlier one).
    """
    edges = pd.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b), "d": d}).drop_duplicates(["a", "b"])
    edges = edges.sort_values(["b", "d", "a"], kind="stable")
    flagged: dict[int, tuple[int, float]] = {}
    for a_i, b_i, d_i in edges.itertuples(index=False):
        if b_i not in flagged and a_i not in flagged:
            flagged[b_i] = (a_i, d_i)
    later = np.array(sorted(flagged), dtype=np.int64)
    earlier = np.array([flagged[row][0] for row in later], dtype=np.int64)
    dist = np.array([flagged[row][1] for row in later], dtype=np.float64)
    return later, earlier, dist


def not_compared(code: str, split: str | None, threshold: Threshold) -> Finding:
    """An info finding when nothing could be compared, so the absence of findings is not silent."""
    if threshold.metrics["n_encoded_features"] == 0:
        reason = "no feature column could be encoded (see dropped_columns)"
    else:
        reason = "train has fewer than two distinct rows at a non-zero distance to calibrate the threshold"
    where = f"{split}: " if split else ""
    return Finding(code=code, severity=Severity.INFO,
                   message=f"{where}near copies were not looked for: {reason}.",
                   metrics={**({"split": split} if split else {}), "n_rows": 0, **threshold.metrics})


@register
class NearDuplicates(Check):
    """Rows of one split that are almost copies of an earlier row, and near copies labelled differently.

    What it detects:
        ``near_duplicates``: within each split, rows whose encoded features (numeric columns
        scaled by their train IQR, small categoricals one-hot, see checks/features.py) lie
        within a small distance of an earlier row, without being identical to it (exact
        copies are ``exact_duplicates``). Each row names the earlier row it nearly repeats
        (``duplicate_of``) and the ``distance``. The threshold is ``max_relative_distance``
        times the typical nearest-neighbour distance in train, or ``max_distance``; the
        metrics state which and its value.
        ``conflicting_labels`` (with ``near: true`` on each row): groups of near copies whose
        labels differ, within a split (every member), and val rows that are near copies of a
        train row labelled differently (``duplicate_split: train``).
        A table with free-text columns is compared by its texts instead (checks/text/table.py):
        Jaccard similarity of word bigrams at least 1 - ``max_distance`` (0.64 by default),
        the other columns near too; each row also carries the ``similarity``.

    Why it matters:
        Re-saved, re-scaled or lightly edited copies weigh some examples more than others and
        are memorised like exact ones, but slip past a byte-for-byte comparison. Near copies
        with different labels mean at least one label is noise.

    How to fix:
        Drop the flagged rows (each keeps the row named in ``duplicate_of``); review the labels
        of conflicting groups. If the flagged rows are legitimately distinct, lower
        ``max_relative_distance`` or set ``max_distance``.

    Parameters:
        max_relative_distance: the threshold as a fraction of the typical (median) distance
            between a train row and its nearest other train row.
        max_distance: an absolute distance in the encoded feature space; overrides
            ``max_relative_distance`` when set.
        fail_at_fraction: share of a split's rows that are near duplicates at or above which
            the finding fails (any near duplicate warns).
        conflict_fail_at_fraction: share of a split's rows in conflicting near-copy groups at
            or above which conflicting labels fail (any conflict warns).
    """

    name = "near_duplicates"
    needs = frozenset({"vectors"})
    codes = ("near_duplicates", "conflicting_labels")
    parameters = {**NEAR_PARAMETERS, "conflict_fail_at_fraction": fraction()}

    def __init__(self, max_relative_distance=0.05, max_distance=None, fail_at_fraction=0.05,
                 conflict_fail_at_fraction=0.01):
        self.max_relative_distance = max_relative_distance
        self.max_distance = max_distance
        self.fail_at_fraction = fail_at_fraction
        self.conflict_fail_at_fraction = conflict_fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        if text_columns(data):
            return self.run_on_text(data)
        threshold = near_threshold(data, self.max_relative_distance, self.max_distance)
        if not threshold.usable:
            return [not_compared("near_duplicates", None, threshold)]
        graph = neighbour_graph(data)
        findings = []
        for split in data.splits:
            rows, kept, dist = near_pairs_within(graph, split, threshold.value)
            index = data.frames[split].index
            rows, kept = index[rows].to_numpy(), index[kept].to_numpy()
            if len(rows):
                findings.append(self.near_duplicates_finding(split, len(index), rows, kept, dist, threshold,
                                                             len(graph.distinct[split])))
            conflict = self.conflicts_within_finding(split, len(index), data.labels(split), rows, kept, dist,
                                                     threshold)
            if conflict is not None:
                findings.append(conflict)
        if graph.across is not None:
            val_rows, train_rows, dist = near_leaks(data, graph, threshold.value)
            conflict = self.conflicts_across_finding(len(data.frames["val"]), val_rows, train_rows, dist,
                                                     data.labels("val").loc[val_rows].to_numpy(),
                                                     data.labels("train").loc[train_rows].to_numpy(), threshold)
            if conflict is not None:
                findings.append(conflict)
        return findings

    def run_on_text(self, data: AuditData) -> list[Finding]:
        """Near copies of a table with free text: by text similarity, near in the other columns too."""
        near = table_near_text(data, self.max_distance, self.max_relative_distance)
        threshold = Threshold(near.max_distance, "text", text_metrics(data, near, self.max_relative_distance))
        findings = []
        for split in data.splits:
            copies, n_rows = near.duplicates(split), len(data.frames[split])
            distance = 1.0 - copies.similarity
            if len(copies):
                findings.append(self.near_duplicates_finding(split, n_rows, copies.rows, copies.partners, distance,
                                                             threshold, len(np.unique(near.splits[split].codes))))
            conflict = self.conflicts_within_finding(split, n_rows, data.labels(split), copies.rows,
                                                     copies.partners, distance, threshold)
            if conflict is not None:
                findings.append(conflict)
        if "val" in data.splits:
            leaks = table_leaks(data, near, self.max_relative_distance)
            conflict = self.conflicts_across_finding(len(data.frames["val"]), leaks.rows, leaks.partners,
                                                     1.0 - leaks.similarity,
                                                     data.labels("val").loc[leaks.rows].to_numpy(),
                                                     data.labels("train").loc[leaks.partners].to_numpy(), threshold)
            if conflict is not None:
                findings.append(conflict)
        return with_similarity(findings)

    # The findings from flagged rows alone, so every engine reports them alike.

    def near_duplicates_finding(self, split: str, n_rows: int, rows: np.ndarray, kept: np.ndarray, dist: np.ndarray,
                                threshold: Threshold, n_distinct: int) -> Finding:
        """``rows`` nearly repeat the kept rows ``kept`` at ``dist``, by row; the split has
        ``n_distinct`` distinct rows."""
        n_groups = int(pd.unique(kept).size)
        return rows_finding(
            "near_duplicates",
            [{"split": split, "row": int(r), "duplicate_of": int(k), "distance": float(d)}
             for r, k, d in zip(rows, kept, dist)],
            n_rows, self.fail_at_fraction, NEAR_COPIES,
            f"of an earlier row ({describe(threshold)}; {n_groups} rows nearly repeated; exact copies not counted).",
            context={"split": split},
            metrics={"n_groups": n_groups, "n_distinct_rows": n_distinct, "max_distance_found": float(dist.max()),
                     **threshold.metrics},
        )

    def conflicts_within_finding(self, split: str, n_rows: int, labels: pd.Series, rows: np.ndarray,
                                 kept: np.ndarray, dist: np.ndarray, threshold: Threshold) -> Finding | None:
        """Groups of near copies (``rows`` and their ``kept`` rows) whose ``labels`` (indexed by
        row, holding at least those rows) differ: every member, by row."""
        if not len(rows):
            return None
        members = pd.DataFrame({
            "row": np.concatenate([kept, rows]),
            "duplicate_of": np.concatenate([kept, kept]),
            "distance": np.concatenate([np.zeros(len(kept)), dist]),
        }).drop_duplicates("row")
        members["label"] = labels.loc[members["row"]].to_numpy()
        n_labels = members.groupby("duplicate_of", sort=False)["label"].transform("nunique")
        conflicting = members[n_labels.to_numpy() > 1].sort_values("row", kind="stable")
        if conflicting.empty:
            return None
        n_groups = int(conflicting["duplicate_of"].nunique())
        return rows_finding(
            "conflicting_labels",
            [{"split": split, "row": int(r), "duplicate_of": int(k), "distance": float(d), "label": label, "near": True}
             for r, k, d, label in conflicting[["row", "duplicate_of", "distance", "label"]].itertuples(index=False)],
            n_rows, self.conflict_fail_at_fraction, NEAR_COPIES,
            f"of a row with another label ({n_groups} groups; {describe(threshold)}).",
            context={"split": split, "near": True}, metrics={"n_groups": n_groups, **threshold.metrics},
        )

    def conflicts_across_finding(self, n_val: int, val_rows: np.ndarray, train_rows: np.ndarray, dist: np.ndarray,
                                 val_labels: np.ndarray, train_labels: np.ndarray,
                                 threshold: Threshold) -> Finding | None:
        """Val rows near copies of a train row (each with its labels), flagged where the labels differ."""
        differ = np.asarray(val_labels != train_labels, dtype=bool)
        if not differ.any():
            return None
        return rows_finding(
            "conflicting_labels",
            [{"split": "val", "row": int(r), "duplicate_of": int(t), "duplicate_split": "train", "distance": float(d),
              "label": label, "other_label": other, "near": True}
             for r, t, d, label, other in zip(np.asarray(val_rows)[differ], np.asarray(train_rows)[differ],
                                              np.asarray(dist)[differ], np.asarray(val_labels)[differ],
                                              np.asarray(train_labels)[differ])],
            n_val, self.conflict_fail_at_fraction, NEAR_COPIES,
            f"of a train row labelled differently ({describe(threshold)}).",
            context={"split": "val", "across_splits": True, "near": True}, metrics=threshold.metrics,
        )


def near_leaks(data: AuditData, graph: NeighbourGraph, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Val row labels, the train row label each nearly copies, and the distance; exact leaks left out."""
    hashes = feature_hashes(data)
    exact = np.isin(hashes["val"].to_numpy(), hashes["train"].to_numpy())
    nearest = graph.across.indices[:, 0]
    distance = graph.across.distances[:, 0]
    leaked = (nearest >= 0) & (distance <= threshold) & ~exact
    val_rows = data.frames["val"].index.to_numpy()[leaked]
    train_rows = data.frames["train"].index.to_numpy()[graph.distinct["train"][nearest[leaked]]]
    return val_rows, train_rows, distance[leaked]


@register
class NearLeakage(Check):
    """Validation rows that are almost copies of a training row.

    What it detects:
        ``near_leakage``: val rows whose nearest train row (in the encoded feature space of
        checks/features.py) lies within the near-duplicate threshold without being identical
        (identical rows are ``exact_leakage``), each with that ``train_row`` and the
        ``distance``. The label is not compared. The threshold is ``max_relative_distance``
        times the typical nearest-neighbour distance in train, or ``max_distance``; the
        metrics state which and its value. A table with free-text columns is compared by its
        texts, as ``near_duplicates`` does, each row with its ``similarity``.

    Why it matters:
        A val row that is a lightly changed copy of a train row grades the model on something
        it has memorised: validation loss looks better than it will be on new data.

    How to fix:
        Remove the flagged rows from val (or their ``train_row`` from train); de-duplicate
        before splitting, or split by the entity the copies come from.

    Parameters:
        max_relative_distance: the threshold as a fraction of the typical (median) distance
            between a train row and its nearest other train row.
        max_distance: an absolute distance in the encoded feature space; overrides
            ``max_relative_distance`` when set.
        fail_at_fraction: share of val rows near-leaked at or above which the finding fails
            (any near leak warns).
    """

    name = "near_leakage"
    needs = frozenset({"val", "vectors"})
    codes = ("near_leakage",)
    parameters = NEAR_PARAMETERS

    def __init__(self, max_relative_distance=0.05, max_distance=None, fail_at_fraction=0.01):
        self.max_relative_distance = max_relative_distance
        self.max_distance = max_distance
        self.fail_at_fraction = fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        if text_columns(data):
            near = table_near_text(data, self.max_distance, self.max_relative_distance)
            leaks = table_leaks(data, near, self.max_relative_distance)
            threshold = Threshold(near.max_distance, "text", text_metrics(data, near, self.max_relative_distance))
            return with_similarity(self.finding(len(data.frames["val"]), leaks.rows, leaks.partners,
                                                1.0 - leaks.similarity, threshold))
        threshold = near_threshold(data, self.max_relative_distance, self.max_distance)
        if not threshold.usable:
            return [not_compared("near_leakage", "val", threshold)]
        graph = neighbour_graph(data)
        val_rows, train_rows, dist = near_leaks(data, graph, threshold.value)
        searched = replace(threshold, metrics={**threshold.metrics, "neighbour_search": graph.across.method})
        return self.finding(len(data.frames["val"]), val_rows, train_rows, dist, searched)

    def finding(self, n_val: int, val_rows: np.ndarray, train_rows: np.ndarray, dist: np.ndarray,
                threshold: Threshold) -> list[Finding]:
        """``val_rows`` nearly copy ``train_rows`` at ``dist``, by row."""
        if not len(val_rows):
            return []
        return [rows_finding(
            "near_leakage",
            [{"split": "val", "row": int(r), "train_row": int(t), "distance": float(d)}
             for r, t, d in zip(val_rows, train_rows, dist)],
            n_val, self.fail_at_fraction, NEAR_COPIES,
            f"of a train row ({describe(threshold)}; exact copies not counted).", noun="val row",
            metrics={"max_distance_found": float(np.max(dist)), **threshold.metrics},
        )]
