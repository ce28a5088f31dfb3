"""Exact duplicates and conflicting labels: rows whose feature values are identical."""

from __future__ import annotations

import pandas as pd

from checks.base import AuditData, Check, Finding, Severity, fraction, register
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
        n_flagged = int(repeated.sum())
        if not n_flagged:
            return None
        share = n_flagged / len(hashes)
        n_groups = int(pd.unique(first[repeated]).size)
        return Finding(
            code="exact_duplicates",
            severity=Severity.FAIL if share >= self.fail_at_fraction else Severity.WARN,
            message=(
                f"{split}: {n_flagged} rows ({share:.2%}) repeat the features of an earlier row "
                f"({n_groups} distinct rows repeated).{said.note}"
            ),
            metrics={"split": split, "n_rows": n_flagged, "fraction": share, "n_groups": n_groups,
                     "columns_left_out": said.columns},
            rows=[
                {"split": split, "row": int(r), "duplicate_of": int(d)}
                for r, d in zip(first.index[repeated], first.to_numpy()[repeated])
            ],
        )

    def _conflicts_within(self, split: str, hashes: pd.Series, labels: pd.Series, said: LeftOut) -> Finding | None:
        n_labels = labels.groupby(hashes.to_numpy(), sort=False).transform("nunique")
        in_conflict = n_labels.to_numpy() > 1
        if not in_conflict.any():
            return None
        first = first_row_of_group(hashes)
        rows = first.index[in_conflict]
        share = len(rows) / len(hashes)
        return Finding(
            code="conflicting_labels",
            severity=Severity.FAIL if share >= self.conflict_fail_at_fraction else Severity.WARN,
            message=(
                f"{split}: {len(rows)} rows ({share:.2%}) share identical features with a row of "
                f"another label ({int(pd.unique(first[in_conflict]).size)} groups).{said.note}"
            ),
            metrics={"split": split, "n_rows": len(rows), "fraction": share,
                     "n_groups": int(pd.unique(first[in_conflict]).size), "columns_left_out": said.columns},
            rows=[
                {"split": split, "row": int(r), "duplicate_of": int(d), "label": label, "near": False}
                for r, d, label in zip(rows, first.to_numpy()[in_conflict], labels.to_numpy()[in_conflict])
            ],
        )

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
        if pairs.empty:
            return None
        share = len(pairs) / len(val)
        return Finding(
            code="conflicting_labels",
            severity=Severity.FAIL if share >= self.conflict_fail_at_fraction else Severity.WARN,
            message=(
                f"val: {len(pairs)} rows ({share:.2%}) have the exact features of a train row "
                f"labelled differently.{said.note}"
            ),
            metrics={"split": "val", "across_splits": True, "n_rows": len(pairs), "fraction": share,
                     "columns_left_out": said.columns},
            rows=[
                {"split": "val", "row": int(r), "duplicate_of": int(t), "duplicate_split": "train",
                 "label": label, "other_label": other, "near": False}
                for r, t, label, other in pairs[["row", "train_row", "label", "train_label"]].itertuples(index=False)
            ],
        )


def first_row_of_group(keys: pd.Series) -> pd.Series:
    """For each row, the row number (index label) of the first row with the same key."""
    positions = pd.Series(keys.index.to_numpy(), index=keys.index)
    return positions.groupby(keys.to_numpy(), sort=False).transform("first")
