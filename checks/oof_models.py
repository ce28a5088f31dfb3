"""The models behind out-of-fold probabilities, and the choice among them for each data set.

No one model gives the best probabilities on every data set: extra trees on clustered
classes, logistic regression on classes that differ by a linear shift. So by default
(``model="auto"``) a few candidates are cross-validated on a seeded stratified sample of
train (at most ``SELECTION_ROWS`` rows, with the folds label_issues uses) and the one
whose out-of-fold predictions disagree least with the given labels wins; the out-of-fold
log loss breaks a tie. Candidates: extra trees (300 trees, ``min_samples_leaf=2``, half
the features a split), a random forest, histogram gradient boosting, logistic regression,
and the average of their probabilities.

Why disagreement rather than log loss: on a planted pair of bench/hard_cases.py with 8 %
flipped labels among strongly overlapping classes (``class_sep=1.5``), the lowest
out-of-fold log loss went to gradient boosting (0.631 against 0.651 for extra trees), whose
sharp probabilities near class boundaries make clean boundary rows look mislabelled
(label-issue F1 0.69 against 0.77), while extra trees had the fewest disagreements. Both
numbers are reported for every candidate.

Time: a rough cost model (seconds per fitted and per scored row on 2 cores) estimates each
candidate's fits before they run, so the choice does not depend on the machine's speed or load. Candidates whose selection would exceed ``SELECTION_BUDGET_S`` are
skipped, most expensive first, and a winner whose fits on all the fitted rows would
exceed ``FIT_BUDGET_S`` keeps fewer trees, then fewer fitted rows (the others are scored
by the fold models' average, as above ``max_fit_rows``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

EXPLICIT = ("logistic_regression", "hist_gradient_boosting", "random_forest", "extra_trees", "knn")
CANDIDATES = ("extra_trees_300", "random_forest_200", "hist_gradient_boosting", "logistic_regression")
AVERAGE = "average"
AUTO = "auto"
MODELS = (AUTO, *EXPLICIT, *CANDIDATES[:2], AVERAGE)
DEFAULT_MODEL = AUTO

SELECTION_ROWS = 5_000
SELECTION_BUDGET_S = 40.0
FIT_BUDGET_S = 45.0
MIN_TREES = 50
MIN_FIT_ROWS = 5_000
# Among candidates within two standard errors of the fewest disagreements, the earliest of
# these wins: smoother probabilities flagged fewer clean rows on every planted pair.
PREFERENCE = ("extra_trees_300", "random_forest_200", AVERAGE, "hist_gradient_boosting", "logistic_regression")
# A network trained outside the checks on the pictures competes too, ranked after the average:
# behind the forests, whose probabilities are smoother, so it wins when it is clearly better.
NETWORK_MODELS = ("small_cnn",)
TIE_STANDARD_ERRORS = 2.0

# Seconds per row on 2 cores for 20 features and 3 classes: (per fitted row, per scored row
# and model). Forests scale with their trees, boosting and logistic regression with the classes.
COST = {
    "extra_trees_300": (2.0e-4, 2.5e-5),
    "random_forest_200": (2.8e-4, 1.7e-5),
    "hist_gradient_boosting": (4.0e-5, 5.0e-6),
    "logistic_regression": (1.0e-5, 5.0e-7),
    "extra_trees": (2.0e-5, 4.0e-6),
    "random_forest": (6.0e-5, 4.0e-6),
    "knn": (1.0e-6, 2.0e-4),
}
TREES = {"extra_trees_300": 300, "random_forest_200": 200}


def make_model(name: str, random_state: int, n_estimators: int | None = None):
    """A scikit-learn classifier with probabilities cleanlab can use; ``n_estimators`` overrides a forest's trees."""
    if name == AVERAGE:
        return Averaged(tuple(make_model(member, random_state, n_estimators) for member in CANDIDATES))
    if name == "logistic_regression":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1.0, max_iter=500)
    if name == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=100, early_stopping=True, random_state=random_state)
    if name in ("random_forest", "random_forest_200"):
        from sklearn.ensemble import RandomForestClassifier

        trees, leaf = (50, 5) if name == "random_forest" else (n_estimators or 200, 2)
        return RandomForestClassifier(n_estimators=trees, min_samples_leaf=leaf, n_jobs=-1, random_state=random_state)
    if name == "extra_trees":
        from sklearn.ensemble import ExtraTreesClassifier

        return ExtraTreesClassifier(n_estimators=50, min_samples_leaf=5, n_jobs=-1, random_state=random_state)
    if name == "extra_trees_300":
        from sklearn.ensemble import ExtraTreesClassifier

        # Half the features a split found the flipped labels of every planted pair at least
        # as well as the square root (bench/bench_hard.py).
        return ExtraTreesClassifier(n_estimators=n_estimators or 300, min_samples_leaf=2, max_features=0.5,
                                    n_jobs=-1, random_state=random_state)
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=15, weights="distance", n_jobs=-1)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


class Averaged:
    """The average of several classifiers' probabilities (a plain class, so Spark can broadcast it)."""

    def __init__(self, members: tuple):
        self.members = members
        self.classes_ = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> Averaged:
        for member in self.members:
            member.fit(x, y)
        self.classes_ = self.members[0].classes_
        return self

    def get_params(self) -> dict[str, Any]:
        return {}

    def single_threaded(self) -> None:
        for member in self.members:
            if "n_jobs" in member.get_params():
                member.set_params(n_jobs=1)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.mean([member.predict_proba(x) for member in self.members], axis=0)


def fit_model(name: str, random_state: int, x: np.ndarray, y: np.ndarray, n_estimators: int | None = None):
    """Fit on all cores, then predict on one.

    Each tree is seeded on its own, so a parallel fit gives the same forest; a parallel
    ``predict_proba`` adds the trees' votes in thread order, which can change the last bits
    of a probability and so, at a threshold, a flagged row. A fold whose train rows hold one
    class (tiny splits) gets a model that predicts that class, as a forest would; a linear
    model refuses to fit it.
    """
    if len(np.unique(y)) < 2:
        from sklearn.dummy import DummyClassifier

        return DummyClassifier(strategy="prior").fit(x, y)
    fitted = make_model(name, random_state, n_estimators).fit(x, y)
    if isinstance(fitted, Averaged):
        fitted.single_threaded()
    elif "n_jobs" in fitted.get_params():
        fitted.set_params(n_jobs=1)
    return fitted


def estimated_seconds(name: str, n_fit_rows: int, n_scored_rows: int, n_features: int, n_classes: int,
                      n_folds: int, n_estimators: int | None = None) -> float:
    """Seconds of ``n_folds`` fits on ``n_fit_rows`` rows (each on all but a fold) and of
    scoring ``n_scored_rows`` rows with every fold model, on 2 cores."""
    if name == AVERAGE:
        return sum(estimated_seconds(member, n_fit_rows, n_scored_rows, n_features, n_classes, n_folds, n_estimators)
                   for member in CANDIDATES)
    per_fit, per_score = COST[name]
    scale = max(n_features, 1) / 20
    if name in TREES:
        trees = (n_estimators or TREES[name]) / TREES[name]
        per_fit, per_score = per_fit * trees * scale, per_score * trees
    elif name in ("hist_gradient_boosting", "logistic_regression"):
        per_fit, per_score = per_fit * scale * n_classes / 3, per_score * scale * n_classes / 3
    fitted = n_fit_rows * (n_folds - 1) / n_folds
    return n_folds * (fitted * per_fit + n_scored_rows * per_score)


def preference(models: Iterable[str]) -> tuple[str, ...]:
    """``PREFERENCE`` with the network candidates among ``models`` after the average."""
    networks = tuple(m for m in NETWORK_MODELS if m in models)
    at = PREFERENCE.index(AVERAGE) + 1
    return PREFERENCE[:at] + networks + PREFERENCE[at:]


def criterion(models: Iterable[str] = ()) -> str:
    return ("fewest out-of-fold disagreements with the labels; within two standard errors of the fewest, "
            "the first of " + ", ".join(preference(models)))



@dataclass(frozen=True)
class CandidateScore:
    """One candidate's out-of-fold predictions on the selection sample: how often they disagree
    with the given labels, and their log loss."""

    model: str
    error_rate: float
    log_loss: float
    estimated_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "error_rate": self.error_rate, "log_loss": self.log_loss,
                "estimated_s": self.estimated_s}


@dataclass(frozen=True)
class ModelChoice:
    """Which model made the probabilities, why, and how it was sized to the time budget."""

    model: str
    n_rows: int
    candidates: tuple[CandidateScore, ...]
    skipped: tuple[str, ...] = ()
    n_estimators: int | None = None
    n_fit_rows: int | None = None

    @property
    def reason(self) -> str:
        if len(self.candidates) < 2:
            return f"{self.model.replace('_', ' ')} (the only candidate within the time budget)"
        winner = next(c for c in self.candidates if c.model == self.model)
        return (f"{self.model.replace('_', ' ')}, chosen among {len(self.candidates)} candidates on {self.n_rows} rows: "
                f"its out-of-fold predictions disagree with {winner.error_rate:.1%} of the labels "
                f"(log loss {winner.log_loss:.3f})")

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "criterion": criterion(c.model for c in self.candidates), "n_rows": self.n_rows,
                "candidates": [c.to_dict() for c in self.candidates], "skipped": list(self.skipped),
                "n_estimators": self.n_estimators, "n_fit_rows": self.n_fit_rows, "reason": self.reason}


def rank_candidates(y: np.ndarray, probabilities: dict[str, np.ndarray], estimates: dict[str, float]
                    ) -> tuple[CandidateScore, ...]:
    """Each candidate's error rate and log loss on ``y``, the winner first.

    The winner is the first candidate in ``PREFERENCE`` whose error rate is within
    ``TIE_STANDARD_ERRORS`` standard errors of the lowest (the standard error of a paired
    difference of error rates, from the rows on which the two disagree); the others follow
    by error rate, then log loss.
    """
    wrong = {name: probs.argmax(axis=1) != y for name, probs in probabilities.items()}
    scores = {}
    for name, probs in probabilities.items():
        given = np.clip(probs[np.arange(len(y)), y], 1e-12, 1.0)
        scores[name] = CandidateScore(name, float(np.mean(wrong[name])), float(-np.mean(np.log(given))),
                                      round(estimates[name], 1))
    fewest = min(scores.values(), key=lambda s: (s.error_rate, s.log_loss)).model

    def tied(name: str) -> bool:
        discordant = int(np.sum(wrong[name] != wrong[fewest]))
        return scores[name].error_rate - scores[fewest].error_rate <= TIE_STANDARD_ERRORS * np.sqrt(discordant) / len(y)

    winner = next(name for name in preference(scores) if name in scores and tied(name))
    rest = sorted((s for s in scores.values() if s.model != winner), key=lambda s: (s.error_rate, s.log_loss, s.model))
    return (scores[winner], *rest)


def affordable_candidates(n_rows: int, n_features: int, n_classes: int, n_folds: int) -> tuple[list[str], list[str]]:
    """The candidates whose selection fits ``SELECTION_BUDGET_S`` (dearest dropped first), and those dropped."""
    estimates = {name: estimated_seconds(name, n_rows, 0, n_features, n_classes, n_folds) for name in CANDIDATES}
    kept = list(CANDIDATES)
    dropped = []
    while len(kept) > 1 and sum(estimates[name] for name in kept) > SELECTION_BUDGET_S:
        dearest = max(kept, key=lambda name: estimates[name])
        kept.remove(dearest)
        dropped.append(dearest)
    return kept, dropped


def sized_to_budget(name: str, n_fit_rows: int, n_scored_rows: int, n_features: int, n_classes: int,
                    n_folds: int) -> tuple[int | None, int]:
    """(trees, fitted rows) for the winner's fits on every fitted row within ``FIT_BUDGET_S``:
    forests first lose trees (down to ``MIN_TREES``), then the fits lose rows (down to
    ``MIN_FIT_ROWS``); rows no longer fitted are scored instead."""
    forest = name in TREES or name == AVERAGE
    trees = TREES.get(name, 300) if forest else None

    def cost(t: int | None, rows: int) -> float:
        return estimated_seconds(name, rows, n_scored_rows + n_fit_rows - rows, n_features, n_classes, n_folds, t)

    if cost(trees, n_fit_rows) <= FIT_BUDGET_S:
        return None, n_fit_rows
    if forest:
        while trees > MIN_TREES and cost(trees, n_fit_rows) > FIT_BUDGET_S:
            trees = max(MIN_TREES, int(trees * 0.8))
    rows = n_fit_rows
    while rows > MIN_FIT_ROWS and cost(trees, rows) > FIT_BUDGET_S:
        rows = max(MIN_FIT_ROWS, int(rows * 0.8))
    return trees, rows
