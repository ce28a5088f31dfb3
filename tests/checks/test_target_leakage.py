"""target_leakage: a planted leak column is flagged, ordinary informative features are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.data import Roles, from_frames
from audit.runner import run_one
from checks import CheckParameterError, Severity
from checks.target_leakage import TargetLeakage, bin_column, cross_validated_balanced_accuracy, rescale

LABEL = "label"


def informative(n: int = 3000, n_features: int = 20, seed: int = 0) -> pd.DataFrame:
    """20 features that each carry some label signal (a class-dependent mean), none decisive."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    shifts = rng.normal(0, 0.4, (3, n_features))
    frame = pd.DataFrame(rng.standard_normal((n, n_features)) + shifts[y],
                         columns=[f"f{j:02d}" for j in range(n_features)])
    frame["colour"] = np.array(["red", "green", "blue", "grey"])[(y + rng.integers(0, 3, n)) % 4]
    frame[LABEL] = np.array(["low", "mid", "high"])[y]
    return frame


def label_codes(frame: pd.DataFrame) -> np.ndarray:
    return frame[LABEL].map({"low": 0, "mid": 1, "high": 2}).to_numpy()


def with_leak(frame: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """A column equal to the label code plus 2% noise (2% of rows get a random value)."""
    rng = np.random.default_rng(seed)
    leak = label_codes(frame).astype(float)
    noisy = rng.random(len(frame)) < 0.02
    leak[noisy] = rng.uniform(0, 2, noisy.sum())
    out = frame.copy()
    out.insert(3, "outcome_code", leak)
    return out


def run(frame: pd.DataFrame, roles: Roles = Roles(LABEL), **params):
    result = run_one(from_frames(frame, None, roles), TargetLeakage(**params))
    assert result.status == "ran", result.detail
    return result.findings


def test_a_column_equal_to_the_label_plus_two_percent_noise_fails_and_nothing_else_is_flagged():
    (finding,) = run(with_leak(informative()))
    assert finding.code == "target_leakage" and finding.severity == Severity.FAIL
    assert [c["column"] for c in finding.columns] == ["outcome_code"]
    flagged = finding.columns[0]
    assert flagged["kind"] == "predictor" and flagged["score"] > 0.95
    assert flagged["reason"].startswith("alone predicts the label")
    assert flagged["reference_score"] < 0.3
    assert set(finding.metrics["scores"]) == {f"f{j:02d}" for j in range(20)} | {"colour", "outcome_code"}
    assert finding.metrics["sampled"] == []


def test_twenty_ordinary_informative_features_are_not_flagged():
    frame = informative()
    assert run(frame) == []
    # They do carry signal: the scores are above chance, far below a leak.
    scores = [rescale(cross_validated_balanced_accuracy(*bin_column(frame[c])[:2], label_codes(frame), 3,
                                                        np.arange(len(frame)) % 5, 5), 3)
              for c in frame.columns[:20]]
    assert 0.05 < np.median(scores) < 0.4


def test_min_score_just_below_at_and_above_the_leak_score():
    frame = with_leak(informative())
    (finding,) = run(frame)
    score = finding.columns[0]["score"]
    assert run(frame, min_score=score)[0].columns[0]["column"] == "outcome_code"
    assert run(frame, min_score=np.nextafter(score, 0))[0].columns[0]["column"] == "outcome_code"
    assert run(frame, min_score=np.nextafter(score, 1)) == []


def test_min_margin_over_every_other_column_is_required():
    frame = with_leak(informative())
    (finding,) = run(frame)
    margin = finding.columns[0]["score"] - finding.columns[0]["best_other_score"]
    assert len(run(frame, min_margin=margin * (1 - 1e-9))) == 1
    assert run(frame, min_margin=margin * (1 + 1e-9)) == []


def test_an_id_column_numbered_by_class_is_flagged_and_a_random_one_is_not():
    frame = informative(n=2000)
    frame = frame.iloc[np.argsort(label_codes(frame), kind="stable")].reset_index(drop=True)
    frame["file"] = [f"{label}/img_{i:05d}.png" for i, label in enumerate(frame[LABEL])]
    frame["random_key"] = np.random.default_rng(3).permutation(len(frame)) * 7 + 1000
    frame = frame.sample(frac=1, random_state=0).reset_index(drop=True)
    (finding,) = run(frame)
    assert [c["column"] for c in finding.columns] == ["file"]
    assert finding.columns[0]["id_like"] == "unique" and finding.columns[0]["kind"] == "predictor"


def test_an_identifier_with_some_label_signal_warns():
    frame = informative(n=2000, seed=4)
    rng = np.random.default_rng(4)
    # Rows were numbered in an order that drifts with the class: label signal, not a giveaway.
    order_key = label_codes(frame) + rng.normal(0, 2.0, len(frame))
    frame["row_number"] = np.argsort(np.argsort(order_key))
    (finding,) = run(frame)
    (flagged,) = finding.columns
    assert finding.severity == Severity.WARN
    assert flagged["column"] == "row_number" and flagged["kind"] == "identifier" and flagged["id_like"] == "unique"
    assert 0.1 <= flagged["score"] < 0.9
    assert flagged["reason"].startswith("identifier-like (unique per row)")
    # Just above its score it is not flagged; at its score it is.
    assert run(frame, id_min_score=np.nextafter(flagged["score"], 1)) == []
    assert len(run(frame, id_min_score=flagged["score"])) == 1


def test_a_monotonic_column_in_a_file_sorted_by_class_is_flagged_as_identifier_like():
    frame = informative(n=2000, seed=5)
    rng = np.random.default_rng(5)
    order = np.argsort(label_codes(frame) + rng.normal(0, 2.0, len(frame)), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    frame["recorded_at"] = np.cumsum(rng.integers(0, 3, len(frame))).astype(float)  # ties: not unique
    (finding,) = run(frame)
    (flagged,) = finding.columns
    assert flagged["column"] == "recorded_at" and flagged["id_like"] == "monotonic"
    assert flagged["reason"].startswith("identifier-like (monotonic in file order)")


def test_declared_id_group_and_ignored_columns_are_not_features_and_not_scored():
    frame = with_leak(informative(n=1000))
    frame["row_id"] = [f"{label}-{i}" for i, label in enumerate(frame[LABEL])]
    assert run(frame, Roles(LABEL, id_column="row_id", ignored=("outcome_code",))) == []
    # Left among the features, the same id is flagged: a forgotten --id-column is caught.
    (finding,) = run(frame.drop(columns="outcome_code"))
    assert [c["column"] for c in finding.columns] == ["row_id"]


def test_n_folds_below_two_is_refused_by_name():
    with pytest.raises(CheckParameterError, match="'n_folds' parameter of the 'target_leakage' check must be an int >= 2"):
        TargetLeakage(n_folds=1).validate_params()


def test_scores_are_deterministic_for_a_seed():
    frame = with_leak(informative(n=1000))
    first = run(frame)[0].metrics["scores"]
    assert run(frame)[0].metrics["scores"] == first
