"""Class imbalance as a tested cause: the same network with and without class weights, and on a
balanced resample, judged on the minority classes' val loss and the balanced accuracy.

Planted: three classes from one scikit-learn generator, 90/7/3 % of the rows (the classes 36x
apart) or even shares. Real Keras on the imbalanced case; the rule's edges on numbers
built by hand; the trigger (a warn-level finding) through the real class_balance check.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from audit.training.diagnose import DiagnoseSettings, diagnose
from audit.training.diagnose.data_causes import data_cause, imbalance_flagged
from audit.training.diagnose.experiments import summarise
from audit.training.diagnose.imbalance import judge_imbalance
from audit.training.diagnose.packed import minority_classes, resampled_counts
from audit.training.diagnose.plan import RESAMPLED, UNWEIGHTED, WEIGHTED, BaseSetup, build_variants
from audit.training.diagnose.results import INCONCLUSIVE, LIKELY, UNLIKELY, Experiment
from audit.next_step import imbalance_effect
from tests.conftest import audit_checks

SETUP = BaseSetup(patience=5, epochs=15, batch_size=32, n_features=10, n_classes=3, classes=("a", "b", "c"),
                  widths=(128,), dropout=0.5, prior_val_loss=0.4, class_weight={0: 0.37, 1: 4.6, 2: 13.3},
                  balanced_weight={0: 0.37, 1: 4.6, 2: 13.3}, minority_classes=(1, 2))


def planted(imbalanced: bool, n_train: int = 450, n_val: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    x, y = make_classification(n_samples=n_train + n_val, n_features=10, n_informative=5, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, weights=[0.9, 0.07, 0.03] if imbalanced else None,
                               flip_y=0, random_state=0)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(10)])
    frame["y"] = np.array(["a", "b", "c"])[y]
    return frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train:].reset_index(drop=True)


@pytest.fixture(scope="module")
def imbalanced_diagnosis():
    train, val = planted(imbalanced=True)
    report = audit_checks(train, val, label="y", checks=["class_balance"], baseline={"enabled": False, "epochs": 15})
    return diagnose(report, DiagnoseSettings(budget_s=300))


@pytest.mark.slow
def test_class_weights_that_lift_the_minority_classes_make_imbalance_likely(imbalanced_diagnosis) -> None:
    result = imbalanced_diagnosis
    row = next(cause for cause in result.causes if cause.cause == "imbalance")
    assert row.verdict == LIKELY, row.reason
    # the base weights classes this far apart, so the arm to beat is the one without weights
    assert {UNWEIGHTED, RESAMPLED} <= set(result.experiments) and WEIGHTED not in result.experiments
    judged = row.numbers["judged"]
    weights = judged[WEIGHTED]
    assert weights["minority_loss"] == "helps" and weights["balanced_accuracy"] == "helps"
    drop, gain = weights["minority_loss_drop"], weights["balanced_accuracy_gain"]
    assert drop.mean > 0.2 and drop.mean > 2 * drop.std and gain.mean > 0.05 and gain.mean > 2 * gain.std
    assert row.numbers["minority_classes"] == ["b", "c"]
    assert "no class weights: minority val loss" in row.effect and "balanced accuracy" in row.reason
    assert row.numbers["remedy_arm"] == WEIGHTED and "class_weight = {0: " in row.snippet
    assert row.remedy_variant is None  # the base is the weighted arm: no variant of its own
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    unweighted = document["experiments"][UNWEIGHTED]
    assert unweighted["config"]["class_weighting"] == "none" and "best_minority_loss" in unweighted["summary"]
    ast.parse(row.snippet)
    _resample_snippet_runs_as_pasted()  # keras is loaded by now


def _resample_snippet_runs_as_pasted() -> None:
    import keras

    from audit.training.diagnose.snippets import snippet

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 10)).astype("float32"), np.repeat([0, 1, 2], [48, 8, 4])
    namespace = {"keras": keras, "np": np, "x_train": x, "y_train": y, "x_val": x[:10], "y_val": y[:10]}
    exec(re.sub(r"epochs=\d+", "epochs=1", snippet(SETUP, resample=True)), namespace)  # noqa: S102
    assert np.bincount(namespace["y_train"]).tolist() == [20, 20, 20]


def test_a_balanced_set_does_not_run_the_class_weight_experiment() -> None:
    for imbalanced, expected in ((False, []), (True, ["class_imbalance"])):
        train, val = planted(imbalanced)
        findings = [f for _, f in audit_checks(train, val, label="y", checks=["class_balance"]).all_findings]
        assert [f.code for f in imbalance_flagged(findings)] == expected
    names = [v.name for v in build_variants((128,), 0.5)]
    assert not any(name.startswith("imbalance") for name in names)
    assert [v.name for v in build_variants((128,), 0.5, imbalance=True)][-2:] == [WEIGHTED, RESAMPLED]
    row = data_cause("imbalance", [], None, None, SETUP)
    assert row.verdict == UNLIKELY and "found nothing" in row.reason


def test_resampling_draws_every_class_to_an_equal_share() -> None:
    y = np.repeat([0, 1, 2], [90, 7, 3])
    counts = resampled_counts(y, np.random.default_rng(0))
    assert [counts[y == c].sum() for c in range(3)] == [33, 33, 33]
    assert minority_classes(y).tolist() == [1, 2] and minority_classes(np.array([0, 1, 1, 0])).tolist() == [0, 1]


def _arm(name: str, minority_loss: list[float], balanced_accuracy: list[float]) -> Experiment:
    per_seed = tuple({"seed": k, "best_minority_loss": loss, "best_balanced_accuracy": accuracy}
                     for k, (loss, accuracy) in enumerate(zip(minority_loss, balanced_accuracy)))
    return Experiment("base" if name == "base" else "imbalance", name, {}, per_seed, summarise(per_seed), {}, {})


def test_the_rule_needs_a_gain_beyond_the_seed_spread_on_the_minority_classes() -> None:
    def judged(weighted: list[float], accuracy: list[float]):
        experiments = {"base": _arm("base", weighted, accuracy),
                       UNWEIGHTED: _arm(UNWEIGHTED, [1.0, 1.1, 0.9], [0.60, 0.62, 0.58]),
                       RESAMPLED: _arm(RESAMPLED, [1.0, 1.1, 0.9], [0.60, 0.62, 0.58])}
        return judge_imbalance("class_imbalance (train): 36x [warn]", "flagged", {}, SETUP, experiments)

    halved = judged([0.5, 0.6, 0.4], [0.60, 0.62, 0.58])
    assert halved.verdict == LIKELY and halved.numbers["remedy_arm"] == WEIGHTED
    # the base weights the classes (SETUP): keep doing so, measured but nothing new to try first
    assert imbalance_effect(halved) == ("balanced class weights lowered the minority classes' val loss by 50%", None)
    assert halved.remedy.startswith("keep the balanced class weights")
    unweighted_base = {"base": _arm("base", [1.0, 1.1, 0.9], [0.60, 0.62, 0.58]),
                       WEIGHTED: _arm(WEIGHTED, [0.5, 0.6, 0.4], [0.60, 0.62, 0.58]),
                       RESAMPLED: _arm(RESAMPLED, [1.0, 1.1, 0.9], [0.60, 0.62, 0.58])}
    row = judge_imbalance("label_shift [warn]", "flagged", {}, replace(SETUP, class_weight=None), unweighted_base)
    assert row.verdict == LIKELY and row.remedy_variant == WEIGHTED and row.remedy.startswith("pass balanced")
    assert imbalance_effect(row)[1] == pytest.approx(0.5)  # a remedy to try, ranked by what it measured
    assert judged([1.0, 1.1, 0.9], [0.70, 0.72, 0.68]).verdict == LIKELY  # balanced accuracy up 10 points
    assert judged([1.0, 1.1, 0.9], [0.61, 0.63, 0.59]).verdict == UNLIKELY  # 1 point: under the 2 a gain takes
    spread_out = judged([0.3, 1.6, 0.5], [0.60, 0.62, 0.58])  # 0.2 lower on average, within the seeds' spread
    assert spread_out.verdict == INCONCLUSIVE and "seed std" in spread_out.reason
    worse_accuracy = judged([0.5, 0.6, 0.4], [0.50, 0.52, 0.48])  # lower loss bought with accuracy
    assert worse_accuracy.verdict != LIKELY
