"""Class imbalance, label shift and unseen labels: thresholds just below, at and above."""

from __future__ import annotations

import pandas as pd
import pytest

from checks import AuditData, Severity
from checks.class_balance import ClassBalance


def bundle(train_counts: dict, val_counts: dict | None = None) -> AuditData:
    def frame(counts):
        labels = [label for label, n in counts.items() for _ in range(n)]
        return pd.DataFrame({"x": range(len(labels)), "y": labels})

    frames = {"train": frame(train_counts)}
    if val_counts:
        frames["val"] = frame(val_counts)
    return AuditData(frames=frames, label="y")


def imbalance(findings, split="train"):
    return next(f for f in findings if f.code == "class_imbalance" and f.metrics["split"] == split)


@pytest.mark.parametrize(
    "counts, severity",
    [
        ({"a": 99, "b": 10}, Severity.INFO),     # ratio 9.9: just below the warning line
        ({"a": 100, "b": 10}, Severity.WARN),    # ratio 10: at it
        ({"a": 990, "b": 10}, Severity.WARN),    # ratio 99, minority 1.0%: below failing
        ({"a": 1000, "b": 10}, Severity.FAIL),   # ratio 100: at the failure line
        ({"a": 20, "b": 9}, Severity.FAIL),      # 9 rows: fewer than min_class_count
        ({"a": 20, "b": 10}, Severity.INFO),     # 10 rows: exactly min_class_count
    ],
)
def test_imbalance_ratio_and_minority_size_set_the_severity(counts, severity):
    finding = imbalance(ClassBalance().run(bundle(counts)))
    assert finding.severity == severity
    assert finding.metrics["imbalance_ratio"] == pytest.approx(max(counts.values()) / min(counts.values()))
    assert finding.metrics["class_counts"] == {k: v for k, v in counts.items()}


def test_a_class_under_the_minimum_share_warns_even_at_a_low_ratio():
    counts = {**{f"c{i}": 100 for i in range(99)}, "rare": 11}  # 11 / 9911 < 1%, ratio 9.1
    finding = imbalance(ClassBalance().run(bundle(counts)))
    assert finding.severity == Severity.WARN
    assert finding.metrics["classes_below_min_fraction"] == ["rare"]


def test_label_shift_warns_only_above_the_distance():
    findings = ClassBalance().run(bundle({"a": 500, "b": 500}, {"a": 600, "b": 400}))
    shift = next(f for f in findings if f.code == "label_shift")
    assert shift.metrics["total_variation_distance"] == pytest.approx(0.1)
    assert shift.severity == Severity.INFO
    shifted = next(f for f in ClassBalance().run(bundle({"a": 500, "b": 500}, {"a": 610, "b": 390}))
                   if f.code == "label_shift")
    assert shifted.severity == Severity.WARN and shifted.metrics["p_value"] < 1e-6


def test_a_shift_a_random_split_of_few_rows_makes_by_chance_is_info():
    """150 train and 50 val rows of four classes: a 0.2 distance is within chance (p about 0.03)."""
    findings = ClassBalance().run(bundle({"a": 45, "b": 39, "c": 33, "d": 33}, {"a": 5, "b": 13, "c": 15, "d": 17}))
    shift = next(f for f in findings if f.code == "label_shift")
    assert shift.metrics["total_variation_distance"] == pytest.approx(0.2)
    assert 0.01 < shift.metrics["p_value"] < 0.05
    assert shift.severity == Severity.INFO and "by chance" in shift.message
    # The same shares over ten times the rows are beyond chance.
    tenfold = ClassBalance().run(bundle({"a": 450, "b": 390, "c": 330, "d": 330}, {"a": 50, "b": 130, "c": 150, "d": 170}))
    assert next(f for f in tenfold if f.code == "label_shift").severity == Severity.WARN


def test_a_class_with_few_rows_fails_in_train_but_is_info_in_a_small_val_split():
    findings = ClassBalance().run(bundle({"a": 45, "b": 9}, {"a": 15, "b": 5}))
    assert imbalance(findings).severity == Severity.FAIL
    val = imbalance(findings, "val")
    assert val.severity == Severity.INFO and val.metrics["classes_below_min_count"] == ["b"]
    assert "val loss is noisy" in val.message


def test_unseen_labels_lists_every_val_row_with_a_label_train_lacks():
    findings = ClassBalance().run(bundle({"a": 5, "b": 5}, {"a": 2, "zebra": 3}))
    unseen = next(f for f in findings if f.code == "unseen_labels")
    assert unseen.severity == Severity.FAIL
    assert [(r["row"], r["label"]) for r in unseen.rows] == [(2, "zebra"), (3, "zebra"), (4, "zebra")]
