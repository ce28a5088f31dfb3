"""Exact duplicates and conflicting labels: rows whose feature values are identical."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from checks.base import AuditData, Check, Finding, Severity, agree, counted, fraction, register
from checks.hashing import LeftOut, feature_hashes, left_out


@register
class Duplicates(Check):
    """Rows of one split with identical feature values, and identical rows labelled differently.

    What it detects:
        ``exact_duplicates``: within each split, rows whose feature values (the label, id,
        group, time and ignored columns left out; ``1`` equal to ``1.0``) repeat an earlier
        row; each flagged row names the first occurrence it repeats (``duplicate_of``).
        ``conflicting_labels``: rows with identical features but different labels, within a
        split (every member of such a group) and across splits (val rows whose features occur
        in train under another label, with that ``train_row``).

    Why it matters:
        Duplicates weigh some examples more than others and let a network memorise them, so
        training loss keeps falling while validation loss does not. Identical inputs with
        different labels cannot both be right: at least one label is noise, and no model can
        fit both.

    How to fix:
        Drop the repeats and keep the first occurrence; for conflicting groups, review the
        labels, keep the majority label or drop the group.

    Parameters:
        fail_at_fraction: share of a split's rows that are duplicates at or above which the
            finding fails (any duplicate warns).
        conflict_fail_at_fraction: share of a split's rows in conflicting groups at or above
            which conflicting labels fail (any conflict warns).
    """

    name = "duplicates"
    codes = ("exact_duplicates", "conflicting_labels")
    parameters = {"fail_at_fraction": fraction(), "conflict_fail_at_fraction": fraction()}

    def __init__(self, fail_at_fraction=0.05, conflict_fail_at_fraction=0.01):
        self.fail_at_fraction = fail_at_fraction
        self.conflict_fail_at_fraction = conflict_fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        hashes = feature_hashes(data)
        said = left_out(data)
        findings = []
        for split in data.splits:
            labels = data.labels(split)
            findings += [
                f for f in (
                    self._duplicates(split, hashes[split], said),
                    self._conflicts_within(split, hashes[split], labels, said),
                ) if f is not None
            ]
        if "val" in data.frames:
            across = self._conflicts_across(hashes, data.labels("train"), data.labels("val"), said)
            if across is not None:
                findings.append(across)
        return findings

    def _duplicates(self, split: str, hashes: pd.Series, said: LeftOut) -> Finding | None:
        first = first_row_of_group(hashes)
        repeated = first.index.to_numpy() != first.to_numpy()
        return self.duplicates_finding(split, len(hashes), first.index[repeated], first.to_numpy()[repeated], said)

    def _conflicts_within(self, split: str, hashes: pd.Series, labels: pd.Series, said: LeftOut) -> Finding | None:
        n_labels = labels.groupby(hashes.to_numpy(), sort=False).transform("nunique")
        in_conflict = n_labels.to_numpy() > 1
        first = first_row_of_group(hashes)
        return self.conflicts_within_finding(split, len(hashes), first.index[in_conflict],
                                             first.to_numpy()[in_conflict], labels.to_numpy()[in_conflict], said)

    def _conflicts_across(self, hashes: dict[str, pd.Series], train_labels: pd.Series,
                          val_labels: pd.Series, said: LeftOut) -> Finding | None:
        train = pd.DataFrame({"hash": hashes["train"].to_numpy(), "train_label": train_labels.to_numpy(),
                              "train_row": hashes["train"].index.to_numpy()})
        train = train.drop_duplicates(["hash", "train_label"], keep="first")
        val = pd.DataFrame({"hash": hashes["val"].to_numpy(), "label": val_labels.to_numpy(),
                            "row": hashes["val"].index.to_numpy()})
        pairs = val.merge(train, on="hash", how="inner", sort=False)
        pairs = pairs[pairs["label"] != pairs["train_label"]]
        pairs = pairs.sort_values(["row", "train_row"], kind="stable").drop_duplicates("row")
        return self.conflicts_across_finding(len(val), pairs["row"], pairs["train_row"], pairs["label"],
                                             pairs["train_label"], said)

    # The findings from flagged rows alone, so every engine reports them alike.

    def duplicates_finding(self, split: str, n_rows: int, rows: Iterable[int], duplicate_of: Iterable[int],
                           said: LeftOut) -> Finding | None:
        """``rows`` repeat an earlier row, ``duplicate_of`` (the group's first row); by row."""
        rows, duplicate_of = [int(r) for r in rows], [int(d) for d in duplicate_of]
        if not rows:
            return None
        share = len(rows) / n_rows
        n_groups = len(set(duplicate_of))
        return Finding(
            code="exact_duplicates",
            severity=Severity.FAIL if share >= self.fail_at_fraction else Severity.WARN,
            message=(
                f"{split}: {counted(len(rows))} ({share:.2%}) {agree(len(rows), 'repeat', 'repeats')} the features of an earlier row "
                f"({n_groups} distinct rows repeated).{said.note}"
            ),
            metrics={"split": split, "n_rows": len(rows), "fraction": share, "n_groups": n_groups,
                     "columns_left_out": said.columns},
            rows=[{"split": split, "row": r, "duplicate_of": d} for r, d in zip(rows, duplicate_of)],
        )

    def conflicts_within_finding(self, split: str, n_rows: int, rows: Iterable[int], duplicate_of: Iterable[int],
                                 labels: Iterable[Any], said: LeftOut) -> Finding | None:
        """``rows``: every member of a group of identical features holding several labels, with
        the group's first row and its own label; by row."""
        rows, duplicate_of, labels = [int(r) for r in rows], [int(d) for d in duplicate_of], list(labels)
        if not rows:
            return None
        share = len(rows) / n_rows
        n_groups = len(set(duplicate_of))
        return Finding(
            code="conflicting_labels",
            severity=Severity.FAIL if share >= self.conflict_fail_at_fraction else Severity.WARN,
            message=(
                f"{split}: {counted(len(rows))} ({share:.2%}) {agree(len(rows), 'share', 'shares')} identical features with a row of "
                f"another label ({n_groups} groups).{said.note}"
            ),
            metrics={"split": split, "n_rows": len(rows), "fraction": share, "n_groups": n_groups,
                     "columns_left_out": said.columns},
            rows=[{"split": split, "row": r, "duplicate_of": d, "label": label, "near": False}
                  for r, d, label in zip(rows, duplicate_of, labels)],
        )

    def conflicts_across_finding(self, n_val: int, rows: Iterable[int], train_rows: Iterable[int],
                                 labels: Iterable[Any], other_labels: Iterable[Any], said: LeftOut) -> Finding | None:
        """``rows``: val rows with the exact features of ``train_rows`` labelled ``other_labels``; by row."""
        rows, train_rows = [int(r) for r in rows], [int(t) for t in train_rows]
        if not rows:
            return None
        share = len(rows) / n_val
        return Finding(
            code="conflicting_labels",
            severity=Severity.FAIL if share >= self.conflict_fail_at_fraction else Severity.WARN,
            message=(
                f"val: {counted(len(rows))} ({share:.2%}) {agree(len(rows), 'have', 'has')} the exact features of a train row "
                f"labelled differently.{said.note}"
            ),
            metrics={"split": "val", "across_splits": True, "n_rows": len(rows), "fraction": share,
                     "columns_left_out": said.columns},
            rows=[{"split": "val", "row": r, "duplicate_of": t, "duplicate_split": "train",
                   "label": label, "other_label": other, "near": False}
                  for r, t, label, other in zip(rows, train_rows, labels, other_labels)],
        )


def first_row_of_group(keys: pd.Series) -> pd.Series:
    """For each row, the row number (index label) of the first row with the same key."""
    positions = pd.Series(keys.index.to_numpy(), index=keys.index)
    return positions.groupby(keys.to_numpy(), sort=False).transform("first")
