"""Exact duplicates and conflicting labels: rows whose feature values are identical."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from checks.base import AuditData, Check, Finding, fraction, register, rows_finding
from checks.hashing import LeftOut, feature_hashes, left_out
from checks.text.columns import mark_text_matches


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
        return mark_text_matches(data, findings)

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
        evidence = [{"split": split, "row": int(r), "duplicate_of": int(d)} for r, d in zip(rows, duplicate_of)]
        return groups_finding("exact_duplicates", split, n_rows, evidence, self.fail_at_fraction, ("repeat", "repeats"),
                              "the features of an earlier row ({n_groups} distinct rows repeated).", said)

    def conflicts_within_finding(self, split: str, n_rows: int, rows: Iterable[int], duplicate_of: Iterable[int],
                                 labels: Iterable[Any], said: LeftOut) -> Finding | None:
        """``rows``: every member of a group of identical features holding several labels, with
        the group's first row and its own label; by row."""
        evidence = [{"split": split, "row": int(r), "duplicate_of": int(d), "label": label, "near": False}
                    for r, d, label in zip(rows, duplicate_of, labels)]
        return groups_finding("conflicting_labels", split, n_rows, evidence, self.conflict_fail_at_fraction,
                              ("share", "shares"), "identical features with a row of another label ({n_groups} groups).",
                              said)

    def conflicts_across_finding(self, n_val: int, rows: Iterable[int], train_rows: Iterable[int],
                                 labels: Iterable[Any], other_labels: Iterable[Any], said: LeftOut) -> Finding | None:
        """``rows``: val rows with the exact features of ``train_rows`` labelled ``other_labels``; by row."""
        evidence = [{"split": "val", "row": int(r), "duplicate_of": int(t), "duplicate_split": "train",
                     "label": label, "other_label": other, "near": False}
                    for r, t, label, other in zip(rows, train_rows, labels, other_labels)]
        if not evidence:
            return None
        return rows_finding("conflicting_labels", evidence, n_val, self.conflict_fail_at_fraction, ("have", "has"),
                            f"the exact features of a train row labelled differently.{said.note}",
                            context={"split": "val", "across_splits": True},
                            metrics={"columns_left_out": said.columns})


def groups_finding(code: str, split: str, n_rows: int, evidence: list[dict[str, Any]], fail_at_fraction: float,
                   verb: tuple[str, str], says: str, said: LeftOut) -> Finding | None:
    """A finding on rows of groups of identical features (``duplicate_of`` names each group);
    ``says`` is completed with the number of groups, ``{n_groups}``."""
    if not evidence:
        return None
    n_groups = len({row["duplicate_of"] for row in evidence})
    return rows_finding(code, evidence, n_rows, fail_at_fraction, verb, says.format(n_groups=n_groups) + said.note,
                        context={"split": split}, metrics={"n_groups": n_groups, "columns_left_out": said.columns})


def first_row_of_group(keys: pd.Series) -> pd.Series:
    """For each row, the row number (index label) of the first row with the same key."""
    positions = pd.Series(keys.index.to_numpy(), index=keys.index)
    return positions.groupby(keys.to_numpy(), sort=False).transform("first")
