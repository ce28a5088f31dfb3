"""Noisy labels: flipped rows found with their original label, clean data left alone, thresholds."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.api import load
from audit.cli import main
from audit.data import Roles, from_frames
from audit.errors import InputError
from checks import AuditData, Severity
from checks.label_noise import LabelIssues
from checks.oof import label_classes, out_of_fold_probabilities

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_label_noise import make_pair, scores  # noqa: E402  (the generator the benchmark measures)

LABEL = "species"
N_ROWS = 3000


def bundle(train: pd.DataFrame, val: pd.DataFrame | None = None, label: str = LABEL) -> AuditData:
    return from_frames(train, val, Roles(label))


def by_split(findings, split):
    return next(f for f in findings if f.metrics["split"] == split)


@pytest.fixture(scope="module")
def noisy():
    train, val, flipped = make_pair(N_ROWS, flip_fraction=0.08, seed=3)
    return bundle(train, val), flipped


@pytest.fixture(scope="module")
def noisy_findings(noisy):
    data, _ = noisy
    return LabelIssues().run(data)


def test_flipped_train_labels_are_found_with_f1_above_0_8_and_the_original_label_suggested(noisy, noisy_findings):
    data, flipped = noisy
    finding = by_split(noisy_findings, "train")
    flagged = np.array([r["row"] for r in finding.rows])
    result = scores(flagged, flipped, N_ROWS)
    assert result["f1"] >= 0.80, result
    assert finding.severity == Severity.FAIL  # about 8% flagged, fails from 5%
    assert finding.metrics["n_rows"] == len(flagged) and finding.metrics["fraction"] == len(flagged) / N_ROWS

    original, _, _ = make_pair(N_ROWS, flip_fraction=0.0, seed=3)  # the same rows before flipping
    hits = [r for r in finding.rows if r["row"] in set(flipped.tolist())]
    assert all(r["given_label"] == data.frames["train"].loc[r["row"], LABEL] for r in finding.rows)
    assert all(r["suggested_label"] != r["given_label"] for r in finding.rows)
    restored = np.mean([r["suggested_label"] == original.loc[r["row"], LABEL] for r in hits])
    assert restored >= 0.9
    qualities = [r["label_quality"] for r in finding.rows]
    assert qualities == sorted(qualities) and all(0 <= q <= 1 for q in qualities)
    assert set(finding.rows[0]) == {"split", "row", "given_label", "suggested_label", "label_quality"}


def test_a_clean_pair_from_the_same_generator_flags_at_most_one_percent_at_info():
    train, val, _ = make_pair(N_ROWS, flip_fraction=0.0, seed=3)
    findings = LabelIssues().run(bundle(train, val))
    for finding in findings:
        assert finding.metrics["fraction"] <= 0.01
        assert finding.severity == Severity.INFO


@pytest.mark.parametrize("offset, severity", [(+1e-9, Severity.INFO), (0.0, Severity.WARN)])
def test_warns_from_the_warning_share_on(noisy, noisy_findings, offset, severity):
    data, _ = noisy
    share = by_split(noisy_findings, "train").metrics["fraction"]
    findings = LabelIssues(warn_at_fraction=share + offset, fail_at_fraction=1.0).run(data)
    assert by_split(findings, "train").severity == severity


@pytest.mark.parametrize("offset, severity", [(+1e-9, Severity.WARN), (0.0, Severity.FAIL), (-1e-9, Severity.FAIL)])
def test_fails_from_the_failure_share_on(noisy, noisy_findings, offset, severity):
    data, _ = noisy
    share = by_split(noisy_findings, "train").metrics["fraction"]
    findings = LabelIssues(warn_at_fraction=0.0, fail_at_fraction=share + offset).run(data)
    assert by_split(findings, "train").severity == severity


def test_probabilities_are_computed_once_and_shared(noisy, noisy_findings):
    data, _ = noisy
    first = out_of_fold_probabilities(data)
    assert out_of_fold_probabilities(data) is first
    assert first.source == {"train": "5-fold cross-validation", "val": "average of the 5 fold models"}
    assert np.allclose(first.pred_probs["train"].sum(axis=1), 1.0)
    metrics = by_split(noisy_findings, "train").metrics
    choice = metrics["model_choice"]
    assert metrics["model"] == choice["model"] == choice["candidates"][0]["model"]
    assert {c["model"] for c in choice["candidates"]} >= {"extra_trees_300", "random_forest_200", "average"}


def test_an_explicit_model_is_used_as_given(noisy):
    data, _ = noisy
    finding = by_split(LabelIssues(model="logistic_regression").run(data), "train")
    assert finding.metrics["model"] == "logistic_regression" and "model_choice" not in finding.metrics
    assert "logistic regression" in finding.message


def test_flipped_val_labels_are_flagged_for_review_and_never_changed():
    train, val, _ = make_pair(N_ROWS, n_val=800, flip_fraction=0.0, seed=4)
    rng = np.random.default_rng(0)
    flipped = np.sort(rng.choice(len(val), 40, replace=False))
    classes = label_classes(val[LABEL])
    val.loc[flipped, LABEL] = [classes[(list(classes).index(v) + 1) % len(classes)] for v in val.loc[flipped, LABEL]]
    val.loc[[1, 2], LABEL] = "unknown-tree"  # never in train: left to unseen_labels
    before = val.copy()
    data = bundle(train, val)
    finding = by_split(LabelIssues().run(data), "val")
    flagged = {r["row"] for r in finding.rows}
    assert all(r["split"] == "val" for r in finding.rows)
    result = scores(np.array(sorted(flagged)), np.setdiff1d(flipped, [1, 2]), len(val))
    assert result["recall"] >= 0.85 and result["precision"] >= 0.9, result
    assert not flagged & {1, 2}
    assert finding.metrics["n_unseen_label_rows"] == 2 and finding.metrics["n_scored_rows"] == len(val) - 2
    assert "never changed" in finding.message
    pd.testing.assert_frame_equal(data.frames["val"], before)


def test_integer_labels_give_the_same_rows_reported_as_integers(noisy, noisy_findings):
    data, _ = noisy
    classes = list(label_classes(data.frames["train"][LABEL]))
    as_int = {name: 10 * (i + 1) for i, name in enumerate(classes)}  # 10, 20... sort like the names
    frames = {split: frame.assign(**{LABEL: frame[LABEL].map(as_int).astype("int64")})
              for split, frame in data.frames.items()}
    findings = LabelIssues().run(bundle(frames["train"], frames["val"]))
    expected = by_split(noisy_findings, "train").rows
    got = by_split(findings, "train").rows
    assert [r["row"] for r in got] == [r["row"] for r in expected]
    assert [(r["given_label"], r["suggested_label"]) for r in got] == [
        (as_int[r["given_label"]], as_int[r["suggested_label"]]) for r in expected]
    assert all(type(r["given_label"]) is int for r in by_split(findings, "train").to_dict()["rows"])


def given_probabilities(labels: pd.Series, wrong_rows: list[int]) -> np.ndarray:
    """Confident probabilities for each given label, except a confident other class at ``wrong_rows``."""
    classes = list(label_classes(labels))
    codes = np.array([classes.index(v) for v in labels])
    codes[wrong_rows] = (codes[wrong_rows] + 1) % len(classes)
    return np.eye(len(classes))[codes] * 0.9 + 0.1 / len(classes)


def test_given_probabilities_replace_the_cross_validation(tmp_path):
    train, val, _ = make_pair(600, flip_fraction=0.0, seed=5)
    wrong = [3, 50, 51, 400]
    path = tmp_path / "probs.npy"
    np.save(path, given_probabilities(train[LABEL], wrong))
    data = load(train, val, Roles(LABEL), pred_probs=path)
    findings = LabelIssues().run(data)
    finding = by_split(findings, "train")
    classes = list(label_classes(train[LABEL]))
    assert [r["row"] for r in finding.rows] == wrong  # equal quality: row order
    assert [r["suggested_label"] for r in finding.rows] == [
        classes[(classes.index(train.loc[r, LABEL]) + 1) % len(classes)] for r in wrong]
    assert finding.metrics["probabilities"]["train"] == "given"
    assert "--pred-probs" in finding.message
    assert by_split(findings, "val").metrics["probabilities"]["val"] == "model fitted on train"


@pytest.mark.parametrize(
    "array, message",
    [
        (np.full((600, 3), 1 / 3), "has shape (600, 3) but train has 600 rows and 4 classes"),
        (np.full((599, 4), 0.25), "has shape (599, 4) but train has 600 rows"),
        (np.full((600, 4), 0.3), "row 0 is not a probability distribution"),
        (np.array([["a"] * 4] * 600), "holds <U1 values"),
    ],
)
def test_bad_given_probabilities_are_input_errors_naming_the_file(tmp_path, array, message):
    train, val, _ = make_pair(600, flip_fraction=0.0, seed=5)
    path = tmp_path / "probs.npy"
    np.save(path, array)
    with pytest.raises(InputError, match="probs.npy: ") as error:
        load(train, val, Roles(LABEL), pred_probs=path)
    assert message in str(error.value)
    if "shape" in message:
        assert "one column per class, in sorted label order: ash, birch, cedar, elm" in str(error.value)


def test_cli_refuses_a_pickled_array_with_exit_code_2(tmp_path, capsys):
    train, val, _ = make_pair(200, flip_fraction=0.0, seed=5)
    train.to_csv(tmp_path / "train.csv", index=False)
    np.save(tmp_path / "probs.npy", np.array([[{}] * 4] * 200, dtype=object), allow_pickle=True)
    code = main(["run", "--no-baseline", "--train", str(tmp_path / "train.csv"), "--label", LABEL, "--checks", "label_issues",
                 "--pred-probs", str(tmp_path / "probs.npy"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "probs.npy: cannot be read without pickle" in capsys.readouterr().err


def test_a_small_class_reduces_the_folds_and_says_so():
    train, val, _ = make_pair(600, flip_fraction=0.0, seed=6)
    rare = train.index[train[LABEL] == "elm"][3:]
    train = train.drop(rare).reset_index(drop=True)  # elm keeps 3 rows
    finding = by_split(LabelIssues().run(bundle(train, val)), "train")
    assert finding.metrics["n_folds"] == 3
    assert any("folds reduced from 5 to 3" in note and "elm" in note for note in finding.metrics["notes"])


def test_a_single_row_class_is_not_judged_and_does_not_cut_the_folds():
    train, val, _ = make_pair(600, flip_fraction=0.0, seed=6)
    train.loc[10, LABEL] = "yew"
    finding = by_split(LabelIssues().run(bundle(train, val)), "train")
    assert finding.metrics["n_folds"] == 5 and finding.metrics["single_row_classes"] == ["yew"]
    assert finding.metrics["n_scored_rows"] == 599
    assert 10 not in {r["row"] for r in finding.rows}


def test_without_an_encodable_feature_the_labels_are_not_checked_and_it_says_why():
    frame = pd.DataFrame({"code": [f"x{i}" for i in range(100)], LABEL: ["ash", "elm"] * 50})
    (finding,) = LabelIssues().run(bundle(frame))
    assert finding.severity == Severity.INFO and finding.rows == []
    assert "not checked" in finding.message and "code: identifier-like" in finding.message


def test_above_max_fit_rows_the_models_fit_on_a_sample_and_score_every_row():
    train, val, flipped = make_pair(2000, flip_fraction=0.08, seed=7)
    finding = by_split(LabelIssues(max_fit_rows=1000).run(bundle(train, val)), "train")
    assert 990 <= finding.metrics["n_fit_rows"] <= 1010
    assert any("seeded stratified sample" in note for note in finding.metrics["notes"])
    assert "on a sample of" in finding.message
    assert finding.metrics["n_scored_rows"] == 2000
    result = scores(np.array([r["row"] for r in finding.rows]), flipped, 2000)
    assert result["f1"] >= 0.75, result


def test_one_class_gives_no_finding():
    frame = pd.DataFrame({"x": np.arange(50.0), LABEL: "ash"})
    assert LabelIssues().run(bundle(frame, frame)) == []


def test_rows_point_at_the_input_rows_of_a_split_cut_from_one_file():
    train, val, flipped = make_pair(1200, flip_fraction=0.08, seed=8)
    # Train rows are the odd data rows of the file, so frame index labels are not 0..n-1.
    train.index = np.arange(1, 2 * len(train), 2)
    val.index = np.arange(0, 2 * len(val), 2)
    data = AuditData(frames={"train": train, "val": val}, label=LABEL)
    finding = by_split(LabelIssues().run(data), "train")
    assert all(r["row"] % 2 == 1 for r in finding.rows)
    result = scores(np.array([(r["row"] - 1) // 2 for r in finding.rows]), flipped, len(train))
    assert result["f1"] >= 0.8, result


def test_digits_demo_planted_flips_are_found():
    from audit.demo import ID_COLUMN, LABEL as DIGIT, make_demo_pair

    pair = make_demo_pair(seed=0)
    data = from_frames(pair.train, pair.val, Roles(DIGIT, id_column=ID_COLUMN))
    finding = by_split(LabelIssues().run(data), "train")
    result = scores(np.array([r["row"] for r in finding.rows]), np.array(pair.planted["flipped_labels"]),
                    len(pair.train))
    assert result["recall"] >= 0.8 and result["precision"] >= 0.85, result
    assert finding.severity == Severity.FAIL
