"""Out-of-fold predicted probabilities: what a model that never saw a row thinks its label is.

Several checks judge labels against a model; they share one set of probabilities, computed
once per audit through :meth:`AuditData.shared`:

- train rows get out-of-fold probabilities from stratified K-fold cross-validation (or the
  user's own, from ``AuditData.pred_probs``);
- val rows get the average of the K fold models' probabilities. No fold model was fitted on
  a val row, so these are out-of-sample too; they come from models that learned the classes
  from train, which is what validation measures; and they cost no extra fit. (Cross-validating
  val on its own would judge val labels by a model of a few hundred rows, and pooling val into
  the folds would let val rows vote on the boundaries they are judged by.)
- above ``max_fit_rows`` train rows, the folds run on a seeded stratified sample and every
  other train row is scored like a val row, by the average of the fold models.

Classes are the distinct train labels in sorted order (text order for text labels, so
``"10"`` sorts before ``"2"``); probability column ``k`` belongs to ``classes[k]``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from checks.base import AuditData, Parameter
from checks.features import model_inputs
from checks.hashing import feature_hashes

MODELS = ("logistic_regression", "hist_gradient_boosting", "random_forest", "extra_trees", "knn")
DEFAULT_MODEL = "extra_trees"
DEFAULT_MAX_FIT_ROWS = 200_000


def model_choice() -> Parameter:
    return Parameter(f"one of {', '.join(map(repr, MODELS))}", lambda v: v in MODELS)


def min_int(low: int) -> Parameter:
    return Parameter(f"an int >= {low}", lambda v: isinstance(v, (int, np.integer))
                     and not isinstance(v, bool) and v >= low)


@dataclass(frozen=True)
class OutOfFold:
    """Probabilities per split, with the class order and how they were obtained.

    ``labels[split]`` holds each row's class index into ``classes``, or -1 for a val label
    that never occurs in train (no model can have an opinion about it).
    """

    classes: np.ndarray
    labels: dict[str, np.ndarray]
    pred_probs: dict[str, np.ndarray]
    source: dict[str, str]
    model: str
    n_folds: int | None
    n_fit_rows: int
    notes: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The facts a finding's metrics should carry about where the probabilities came from."""
        return {"model": self.model, "n_folds": self.n_folds, "n_fit_rows": self.n_fit_rows,
                "probabilities": dict(self.source), "notes": list(self.notes)}


def out_of_fold_probabilities(data: AuditData, model: str = DEFAULT_MODEL, n_folds: int = 5,
                              max_fit_rows: int = DEFAULT_MAX_FIT_ROWS) -> OutOfFold:
    """The shared probabilities for these settings, computed on first use."""
    key = f"out_of_fold:{model}:{n_folds}:{max_fit_rows}"
    return data.shared(key, lambda d: compute_out_of_fold(d, model, n_folds, max_fit_rows))


def label_classes(labels: pd.Series) -> np.ndarray:
    """The distinct labels, sorted; mixed types sort by type name, then by text."""
    unique = list(pd.unique(labels))
    try:
        ordered = sorted(unique)
    except TypeError:
        ordered = sorted(unique, key=lambda v: (type(v).__name__, str(v)))
    classes = np.empty(len(ordered), dtype=object)
    classes[:] = ordered
    return classes


def encode_labels(labels: pd.Series, classes: np.ndarray) -> np.ndarray:
    """Class index of each label; -1 where the label is not one of ``classes``."""
    return pd.Index(classes, dtype=object).get_indexer(labels.astype(object)).astype(np.int64)


def make_model(name: str, random_state: int):
    """A fast scikit-learn classifier with calibrated-enough probabilities for cleanlab."""
    if name == "logistic_regression":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1.0, max_iter=500)
    if name == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=100, early_stopping=True, random_state=random_state)
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=50, min_samples_leaf=5, n_jobs=-1, random_state=random_state)
    if name == "extra_trees":
        from sklearn.ensemble import ExtraTreesClassifier

        # Measured in bench/bench_label_noise.py: best label-issue F1 and fewest false
        # positives of the five, and the fastest of the tree ensembles.
        return ExtraTreesClassifier(n_estimators=50, min_samples_leaf=5, n_jobs=-1, random_state=random_state)
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=15, weights="distance", n_jobs=-1)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def fit_model(name: str, random_state: int, x: np.ndarray, y: np.ndarray):
    """Fit on all cores, then predict on one.

    Each tree is seeded on its own, so a parallel fit gives the same forest; a parallel
    ``predict_proba`` adds the trees' votes in thread order, which can change the last bits
    of a probability and so, at a threshold, a flagged row.
    """
    fitted = make_model(name, random_state).fit(x, y)
    if "n_jobs" in fitted.get_params():
        fitted.set_params(n_jobs=1)
    return fitted


def compute_out_of_fold(data: AuditData, model: str, n_folds: int, max_fit_rows: int) -> OutOfFold:
    classes = label_classes(data.labels("train"))
    labels = {split: encode_labels(data.labels(split), classes) for split in data.splits}
    features = dict(model_inputs(data).matrices)
    notes: list[str] = []
    n_classes = len(classes)
    # Folds, samples and fits see train in the order of its content, not of the file, so
    # re-sorting a file flags the same rows (accepted findings rely on it).
    order = content_order(data, labels["train"])
    features["train"] = features["train"][order]
    y = labels["train"][order]

    fit_rows = np.arange(len(y))
    if len(y) > max_fit_rows:
        fit_rows = stratified_sample(y, max_fit_rows, n_folds, data.random_state)
        notes.append(sampled_note(len(y), len(fit_rows)))

    if data.pred_probs is not None:
        probs = {"train": np.asarray(data.pred_probs, dtype=np.float64)}  # in file order already
        source = {"train": "given"}
        if "val" in data.splits and features["train"].shape[1]:
            fitted = fit_model(model, data.random_state, features["train"][fit_rows], y[fit_rows])
            probs["val"] = expand(fitted.predict_proba(features["val"]), fitted.classes_, n_classes)
            source["val"] = "model fitted on train"
        return OutOfFold(classes, labels, probs, source, model, None, len(fit_rows), notes)

    folds, reduced = fold_count(y[fit_rows], classes, n_folds)
    notes += reduced
    probs = {split: np.zeros((len(labels[split]), n_classes)) for split in data.splits}
    held_out = np.setdiff1d(np.arange(len(y)), fit_rows)
    for fold_train, fold_test in stratified_folds(y[fit_rows], folds, data.random_state):
        fitted = fit_model(model, data.random_state, features["train"][fit_rows[fold_train]],
                           y[fit_rows[fold_train]])
        probs["train"][fit_rows[fold_test]] = expand(
            fitted.predict_proba(features["train"][fit_rows[fold_test]]), fitted.classes_, n_classes)
        if len(held_out):
            probs["train"][held_out] += expand(fitted.predict_proba(features["train"][held_out]),
                                               fitted.classes_, n_classes) / folds
        if "val" in data.splits:
            probs["val"] += expand(fitted.predict_proba(features["val"]), fitted.classes_, n_classes) / folds
    probs["train"][order] = probs["train"].copy()
    return OutOfFold(classes, labels, probs, fold_sources(folds, data.splits), model, folds, len(fit_rows), notes)


def sampled_note(n_train: int, n_fit: int) -> str:
    return (f"train has {n_train} rows: the models were fitted on a seeded stratified sample of "
            f"{n_fit} rows and the other rows scored by the fold models' average")


def fold_count(y: np.ndarray, classes: np.ndarray, n_folds: int) -> tuple[int, list[str]]:
    """The folds the fitted rows' classes allow, at most ``n_folds``, and a note when fewer.

    A single-row class cannot be held out and seen at once, whatever the folds; it is not
    scored (see LabelIssues), so it does not cut the folds for every other class.
    """
    counts = np.bincount(y, minlength=len(classes))
    repeated = counts[counts >= 2]
    folds = max(2, min(n_folds, int(repeated.min()) if len(repeated) else 2))
    if folds == n_folds:
        return folds, []
    small = [str(c) for c, n in zip(classes, counts) if 2 <= n < n_folds]
    return folds, [f"folds reduced from {n_folds} to {folds}: class(es) {', '.join(small[:5])} have fewer "
                   f"than {n_folds} rows"]


def stratified_folds(y: np.ndarray, folds: int, random_state: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit positions, held-out positions) of each fold, stratified by class and seeded."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    with warnings.catch_warnings():  # single-row classes, already accounted for
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        return list(splitter.split(np.zeros(len(y)), y))


def fold_sources(folds: int, splits: list[str]) -> dict[str, str]:
    """Where each split's probabilities come from, for the finding's metrics."""
    source = {"train": f"{folds}-fold cross-validation"}
    if "val" in splits:
        source["val"] = f"average of the {folds} fold models"
    return source


def content_order(data: AuditData, labels: np.ndarray) -> np.ndarray:
    """Train row positions sorted by feature content and label (ties keep file order)."""
    hashes = feature_hashes(data)["train"].to_numpy()
    return np.lexsort((labels, hashes))


def expand(probs: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Put a model's probability columns (for the classes its fold saw) into all classes' columns."""
    full = np.zeros((len(probs), n_classes))
    full[:, np.asarray(seen, dtype=np.int64)] = probs
    return full


def stratified_sample(y: np.ndarray, n_rows: int, min_per_class: int, random_state: int) -> np.ndarray:
    """About ``n_rows`` row positions, the same share of every class (at least
    ``min_per_class`` rows of each, or all of a smaller class), sorted."""
    rng = np.random.default_rng(random_state)
    share = n_rows / len(y)
    chosen = []
    for k in np.unique(y):
        members = np.flatnonzero(y == k)
        take = min(len(members), max(min_per_class, math.floor(len(members) * share)))
        chosen.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(chosen))
