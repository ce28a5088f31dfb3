"""Class balance: how the labels are distributed in each split and between the splits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from checks.base import (
    AuditData,
    Check,
    Finding,
    Severity,
    agree,
    counted,
    fraction,
    positive_int,
    positive_number,
    register,
    row_evidence,
    rows_finding,
)
from checks.label_variants import split_variants_finding


@register
class ClassBalance(Check):
    """Class imbalance in each split, label shift between splits, and labels val has but train lacks.

    What it detects:
        ``class_imbalance``: per split, the class counts, the imbalance ratio (largest class
        over smallest), the minority class's share and the normalised entropy of the labels.
        ``label_shift``: the total variation distance between the train and val label
        distributions (half the sum of absolute differences of class shares; 0 = identical,
        1 = disjoint), with the p-value of a chi-square test of the two splits' label counts:
        a random split of a small data set moves the shares by chance, so a shift warns only
        when it is both large and beyond chance. ``unseen_labels``: val rows whose label never occurs in train.
        ``label_variants`` (fail): per split, labels written several ways that differ only
        in case or surrounding spaces (``cat``, ``cat ``, ``Cat``), each spelling quoted with
        its row count; the rows of the less common spellings are the evidence.

    Why it matters:
        A model trained on a 100:1 split learns the majority class and its validation loss
        stops improving early (with a single class in train there is nothing to learn at all); a shifted validation split measures a different problem than
        the one trained on; a label the model never saw can only be predicted wrong.

    How to fix:
        Collect more minority rows, resample, or pass class weights to the loss. Split train
        and val stratified by label. Drop or relabel val rows whose class is absent from train,
        or add examples of that class to train. Write each class one way.

    Parameters:
        warn_at_ratio: imbalance ratio (largest/smallest class) at or above which a split warns.
        fail_at_ratio: imbalance ratio at or above which a split fails.
        min_class_fraction: a class with a smaller share of its split's rows warns.
        min_class_count: a train class with fewer rows than this fails; in val it is info (a
            small val split holds few rows of every class, and their loss is noisy).
        max_shift_distance: total variation distance above which label shift warns.
        shift_p_value: label shift warns only when the chi-square test's p-value is below this.
    """

    name = "class_balance"
    codes = ("class_imbalance", "label_shift", "unseen_labels", "label_variants")
    parameters = {
        "warn_at_ratio": positive_number(),
        "fail_at_ratio": positive_number(),
        "min_class_fraction": fraction(),
        "min_class_count": positive_int(),
        "max_shift_distance": fraction(),
        "shift_p_value": fraction(),
    }

    def __init__(self, warn_at_ratio=10.0, fail_at_ratio=100.0, min_class_fraction=0.01,
                 min_class_count=10, max_shift_distance=0.1, shift_p_value=0.01):
        self.warn_at_ratio = warn_at_ratio
        self.fail_at_ratio = fail_at_ratio
        self.min_class_fraction = min_class_fraction
        self.min_class_count = min_class_count
        self.max_shift_distance = max_shift_distance
        self.shift_p_value = shift_p_value

    def run(self, data: AuditData) -> list[Finding]:
        findings = [self.imbalance_finding(split, data.labels(split).value_counts()) for split in data.splits]
        findings += [f for f in (split_variants_finding(split, data.labels(split)) for split in data.splits) if f]
        if "val" in data.frames:
            findings.append(self.shift_finding(data.labels("train").value_counts(), data.labels("val").value_counts()))
            unseen = self._unseen(data.labels("train"), data.labels("val"))
            if unseen is not None:
                findings.append(unseen)
        return findings

    # The findings from label counts and flagged rows alone, so every engine reports them alike.
    # Counts are a Series (label -> rows) by count or in order of each label's first row.

    def imbalance_finding(self, split: str, label_counts: pd.Series) -> Finding:
        """The class balance of one split with these label counts."""
        counts = class_counts(label_counts)
        n_rows = int(counts.sum())
        largest, smallest = int(counts.iloc[0]), int(counts.iloc[-1])
        ratio = largest / smallest
        shares = counts / n_rows
        entropy = float(-(shares * np.log(shares)).sum() / np.log(len(counts))) if len(counts) > 1 else 0.0
        rare = counts[shares < self.min_class_fraction]
        tiny = counts[counts < self.min_class_count]
        # One class in train leaves nothing to learn; in val, nothing to tell classes apart by.
        single = len(counts) == 1
        if ratio >= self.fail_at_ratio or (split == "train" and (len(tiny) or single)):
            severity = Severity.FAIL
        elif ratio >= self.warn_at_ratio or len(rare) or single:
            severity = Severity.WARN
        else:
            severity = Severity.INFO
        minority = counts.index[-1]
        if single:
            message = (
                f"{split}: every row has the same label ({minority!s}, {n_rows} rows); a classifier needs "
                f"at least two classes: check --label, or add rows of the other classes."
            )
        else:
            message = (
                f"{split}: {len(counts)} classes; the largest class ({counts.index[0]!s}, {largest} rows) "
                f"is {ratio:.1f}x the smallest ({minority!s}, {smallest} rows, "
                f"{smallest / n_rows:.2%} of rows)."
            )
        if len(tiny):
            message += f" {len(tiny)} class(es) have fewer than {self.min_class_count} rows."
            if split != "train":
                message += " Their val loss is noisy: a larger val split measures them better."
        return Finding(
            code="class_imbalance",
            severity=severity,
            message=message,
            metrics={
                "split": split,
                "n_rows": n_rows,
                "n_classes": len(counts),
                "class_counts": {str(k): int(v) for k, v in counts.items()},
                "imbalance_ratio": ratio,
                "minority_class": str(minority),
                "minority_fraction": smallest / n_rows,
                "normalized_entropy": entropy,
                "classes_below_min_fraction": [str(k) for k in rare.index],
                "classes_below_min_count": [str(k) for k in tiny.index],
            },
        )

    def shift_finding(self, train_counts: pd.Series, val_counts: pd.Series) -> Finding:
        """The label shift between splits with these label counts."""
        train_share, val_share = shares(train_counts), shares(val_counts)
        both = train_share.index.union(val_share.index)
        difference = val_share.reindex(both, fill_value=0) - train_share.reindex(both, fill_value=0)
        distance = float(difference.abs().sum() / 2)
        moved = difference.abs().sort_values(ascending=False, kind="stable")
        top = moved.index[0]
        p_value = chance_of_shift(train_counts, val_counts)
        large, beyond_chance = distance > self.max_shift_distance, p_value < self.shift_p_value
        severity = Severity.WARN if large and beyond_chance else Severity.INFO
        chance = ("" if beyond_chance or not large else
                  f"; a random split moves the shares this much by chance (chi-square p = {p_value:.2g})")
        return Finding(
            code="label_shift",
            severity=severity,
            message=(
                f"The label distributions of train and val differ by a total variation distance "
                f"of {distance:.3f} (warns above {self.max_shift_distance}); class {top!s} moved most, "
                f"from {train_share.get(top, 0):.1%} of train to {val_share.get(top, 0):.1%} of val{chance}."
            ),
            metrics={
                "total_variation_distance": distance,
                "p_value": p_value,
                "train_fractions": {str(k): float(v) for k, v in train_share.items()},
                "val_fractions": {str(k): float(v) for k, v in val_share.items()},
            },
        )

    @staticmethod
    def _unseen(train: pd.Series, val: pd.Series) -> Finding | None:
        flagged = val[~val.isin(pd.unique(train))]
        return ClassBalance.unseen_finding(len(val), flagged.index, flagged.to_numpy())

    @staticmethod
    def unseen_finding(n_val: int, rows: Iterable[int], labels: Iterable[Any]) -> Finding | None:
        """``rows``: val rows whose ``labels`` never occur in train; by row."""
        rows, labels = list(rows), list(labels)
        if not rows:
            return None
        classes = sorted(map(str, pd.unique(pd.Series(labels, dtype=object))))
        listed = f"{', '.join(classes[:5])}{' ...' if len(classes) > 5 else ''}"
        # A label the model never saw can only be predicted wrong: any such row fails.
        return rows_finding("unseen_labels", row_evidence("val", rows, label=labels), n_val, 0.0, ("carry", "carries"),
                            f"{counted(len(classes), 'label')} that never {agree(len(classes), 'occur', 'occurs')} "
                            f"in train: {listed}.", noun="val row", metrics={"labels": classes})


def chance_of_shift(train_counts: pd.Series, val_counts: pd.Series) -> float:
    """The p-value of a chi-square test that train and val draw their labels from one distribution."""
    from scipy.stats import chi2_contingency

    table = pd.concat([train_counts, val_counts], axis=1).fillna(0).to_numpy(dtype=float)
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2:
        return 1.0
    return float(chi2_contingency(table.T).pvalue)


def class_counts(label_counts: pd.Series) -> pd.Series:
    """Counts per class, largest first, ties broken by the class's text for determinism."""
    order = sorted(label_counts.index, key=lambda k: (-label_counts[k], str(k)))
    return label_counts.reindex(order)


def shares(label_counts: pd.Series) -> pd.Series:
    """Each class's share of the rows, largest first, ties in the order given (as ``value_counts``)."""
    ordered = label_counts.sort_values(ascending=False, kind="stable")
    return ordered / ordered.sum()
