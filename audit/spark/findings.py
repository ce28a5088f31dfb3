"""Findings from aggregates: what the pandas checks report, built from counts and flagged rows.

The pandas checks compute their numbers from whole Series; Spark computes the same numbers
as jobs and brings back only totals and the flagged rows. Where a check's finding depends on
nothing but label counts (``class_imbalance``, ``label_shift``), the check's own method is
called with :class:`CountedLabels`, which answers ``value_counts`` from counts, so message,
metrics and severity are the check's code, not a copy. The row findings below take the
check instance for its thresholds and reuse :func:`checks.leakage.leak_severity`; each must
stay equal to its pandas twin field for field (code, severity, message, metrics, rows in row
order), which ``tests/spark/test_parity.py`` asserts. They are the shape a shared
"finding from aggregates" helper in ``checks/`` would take, called by both engines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from checks.base import Finding, Severity, row_evidence
from checks.duplicates import Duplicates
from checks.leakage import ExactLeakage, GroupLeakage, TemporalLeakage, leak_severity


class CountedLabels:
    """Stands in for a label Series where only ``value_counts`` is asked for.

    ``counts`` is ordered by each class's first row, as pandas' hash table sees the classes,
    so ties in ``value_counts`` (a stable sort by count) come out in pandas' order.
    """

    def __init__(self, counts: Sequence[tuple[Any, int]]):
        self._counts = pd.Series([n for _, n in counts], index=pd.Index([k for k, _ in counts], dtype=object),
                                 dtype="int64")

    def value_counts(self, normalize: bool = False) -> pd.Series:
        result = self._counts.sort_values(ascending=False, kind="stable")
        return result / result.sum() if normalize else result

    def __len__(self) -> int:
        return int(self._counts.sum())


def plain(value: Any) -> Any:
    """Spark's Python values as pandas gives them: datetimes become Timestamps."""
    if isinstance(value, (dt.datetime, dt.date)) and not isinstance(value, pd.Timestamp):
        return pd.Timestamp(value)
    return value


def unseen_labels(n_val: int, rows: Sequence[tuple[int, Any]]) -> Finding | None:
    if not rows:
        return None
    labels = [label for _, label in rows]
    classes = sorted(map(str, pd.unique(pd.Series(labels, dtype=object))))
    return Finding(
        code="unseen_labels",
        severity=Severity.FAIL,
        message=(
            f"{len(rows)} val rows ({len(rows) / n_val:.2%}) carry {len(classes)} label(s) "
            f"that never occur in train: {', '.join(classes[:5])}{' ...' if len(classes) > 5 else ''}."
        ),
        metrics={"n_rows": len(rows), "fraction": len(rows) / n_val, "labels": classes},
        rows=row_evidence("val", [r for r, _ in rows], label=labels),
    )


def exact_duplicates(check: Duplicates, split: str, n_rows: int, rows: Sequence[tuple[int, int]]) -> Finding | None:
    """``rows``: (row, duplicate_of) of every row repeating an earlier one, by row."""
    if not rows:
        return None
    share = len(rows) / n_rows
    n_groups = len({first for _, first in rows})
    return Finding(
        code="exact_duplicates",
        severity=Severity.FAIL if share >= check.fail_at_fraction else Severity.WARN,
        message=(
            f"{split}: {len(rows)} rows ({share:.2%}) repeat the features of an earlier row "
            f"({n_groups} distinct rows repeated)."
        ),
        metrics={"split": split, "n_rows": len(rows), "fraction": share, "n_groups": n_groups},
        rows=[{"split": split, "row": int(r), "duplicate_of": int(d)} for r, d in rows],
    )


def conflicts_within(check: Duplicates, split: str, n_rows: int,
                     rows: Sequence[tuple[int, int, Any]]) -> Finding | None:
    """``rows``: (row, first row of its group, label) of every member of a conflicting group."""
    if not rows:
        return None
    share = len(rows) / n_rows
    n_groups = len({first for _, first, _ in rows})
    return Finding(
        code="conflicting_labels",
        severity=Severity.FAIL if share >= check.conflict_fail_at_fraction else Severity.WARN,
        message=(
            f"{split}: {len(rows)} rows ({share:.2%}) share identical features with a row of "
            f"another label ({n_groups} groups)."
        ),
        metrics={"split": split, "n_rows": len(rows), "fraction": share, "n_groups": n_groups},
        rows=[{"split": split, "row": int(r), "duplicate_of": int(d), "label": label, "near": False}
              for r, d, label in rows],
    )


def conflicts_across(check: Duplicates, n_val: int, rows: Sequence[tuple[int, int, Any, Any]]) -> Finding | None:
    """``rows``: (val row, train row, val label, train label), one a val row, by val row."""
    if not rows:
        return None
    share = len(rows) / n_val
    return Finding(
        code="conflicting_labels",
        severity=Severity.FAIL if share >= check.conflict_fail_at_fraction else Severity.WARN,
        message=(
            f"val: {len(rows)} rows ({share:.2%}) have the exact features of a train row "
            f"labelled differently."
        ),
        metrics={"split": "val", "across_splits": True, "n_rows": len(rows), "fraction": share},
        rows=[{"split": "val", "row": int(r), "duplicate_of": int(t), "duplicate_split": "train",
               "label": label, "other_label": other, "near": False}
              for r, t, label, other in rows],
    )


def exact_leakage(check: ExactLeakage, n_val: int, rows: Sequence[tuple[int, int]]) -> list[Finding]:
    if not rows:
        return []
    share = len(rows) / n_val
    return [Finding(
        code="exact_leakage",
        severity=leak_severity(share, check.fail_at_fraction),
        message=f"{len(rows)} val rows ({share:.2%}) have exactly the features of a train row.",
        metrics={"n_rows": len(rows), "fraction": share},
        rows=[{"split": "val", "row": int(r), "train_row": int(t)} for r, t in rows],
    )]


def group_leakage(check: GroupLeakage, group_column: str, n_val: int, rows: Sequence[tuple[int, Any]]) -> list[Finding]:
    if not rows:
        return []
    shared_ids = sorted(map(str, pd.unique(pd.Series([g for _, g in rows], dtype=object))))
    share = len(rows) / n_val
    return [Finding(
        code="group_leakage",
        severity=leak_severity(share, check.fail_at_fraction),
        message=(
            f"{len(rows)} val rows ({share:.2%}) belong to {len(shared_ids)} "
            f"{group_column!s} value(s) that also occur in train."
        ),
        metrics={"n_rows": len(rows), "fraction": share, "n_groups": len(shared_ids), "group_ids": shared_ids},
        rows=[{"split": "val", "row": int(r), "group": g} for r, g in rows],
    )]


def temporal_leakage(check: TemporalLeakage, n_val: int, cutoff: Any, val_earliest: Any,
                     rows: Sequence[tuple[int, Any]]) -> list[Finding]:
    if not rows:
        return []
    cutoff, val_earliest = plain(cutoff), plain(val_earliest)
    share = len(rows) / n_val
    return [Finding(
        code="temporal_leakage",
        severity=leak_severity(share, check.fail_at_fraction),
        message=(
            f"{len(rows)} val rows ({share:.2%}) are dated at or before the latest train row "
            f"({cutoff!s})."
        ),
        metrics={"n_rows": len(rows), "fraction": share, "train_latest": cutoff, "val_earliest": val_earliest},
        rows=[{"split": "val", "row": int(r), "time": plain(t)} for r, t in rows],
    )]
