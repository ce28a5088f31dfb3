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
from checks.images.table import NetworkProbabilities
from checks.oof_models import (
    AUTO,
    AVERAGE,
    DEFAULT_MODEL,
    MODELS,
    SELECTION_ROWS,
    ModelChoice,
    affordable_candidates,
    estimated_seconds,
    fit_model,
    rank_candidates,
    sized_to_budget,
)

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
    choice: ModelChoice | None = None
    network: NetworkProbabilities | None = None
    """The pictures' network, a candidate beside the feature models (or why none was trained)."""

    def describe(self) -> dict[str, Any]:
        """The facts a finding's metrics should carry about where the probabilities came from."""
        described = {"model": self.model, "n_folds": self.n_folds, "n_fit_rows": self.n_fit_rows,
                     "probabilities": dict(self.source), "notes": list(self.notes)}
        if self.choice is not None:
            described["model_choice"] = self.choice.to_dict()
        if self.network is not None:
            described["network"] = self.network.to_dict()
        return described

    @property
    def network_won(self) -> bool:
        return self.network is not None and self.model == self.network.model


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


def compute_out_of_fold(data: AuditData, model: str, n_folds: int, max_fit_rows: int) -> OutOfFold:
    classes = label_classes(data.labels("train"))
    labels = {split: encode_labels(data.labels(split), classes) for split in data.splits}
    features = dict(model_inputs(data).matrices)
    notes: list[str] = []
    n_classes = len(classes)
    # Folds, samples and fits see train in the order of its content, not of the file, so
    # re-sorting a file flags the same rows (accepted findings rely on it).
    order = content_order(features["train"], labels["train"])
    features["train"] = features["train"][order]
    y = labels["train"][order]

    fit_rows = np.arange(len(y))
    if len(y) > max_fit_rows:
        fit_rows = stratified_sample(y, max_fit_rows, n_folds, data.random_state)
        notes.append(sampled_note(len(y), len(fit_rows)))

    if data.pred_probs is not None:
        probs = {"train": np.asarray(data.pred_probs, dtype=np.float64)}  # in file order already
        source = {"train": "given"}
        name = model if model != AUTO else "extra_trees"
        if "val" in data.splits and features["train"].shape[1]:
            fitted = fit_model(name, data.random_state, features["train"][fit_rows], y[fit_rows])
            probs["val"] = expand(fitted.predict_proba(features["val"]), fitted.classes_, n_classes)
            source["val"] = "model fitted on train"
        return OutOfFold(classes, labels, probs, source, name, None, len(fit_rows), notes)

    folds, reduced = fold_count(y[fit_rows], classes, n_folds)
    notes += reduced
    scored = {"val": features["val"]} if "val" in data.splits else {}
    choice, network = None, None
    if model == AUTO:
        network = picture_network(data, n_folds)
        given = {} if network is None or network.skipped else {
            network.model: {"train": network.pred_probs["train"][order], **{s: network.pred_probs[s] for s in scored}}}
        choice, reused = choose_model(features["train"], y, fit_rows, scored, folds, n_classes, data.random_state,
                                      given)
        model = choice.model
        if reused is not None:
            probs = {"train": reused["train"][np.argsort(order)], **{s: reused[s] for s in scored}}
            won = model in given
            if won:
                folds, fit_rows = network.n_folds, np.arange(len(y))
            return OutOfFold(classes, labels, probs, fold_sources(folds, data.splits), model, folds, len(fit_rows),
                             list(network.notes) if won else notes, choice, network)
        if choice.n_fit_rows < len(fit_rows):
            fit_rows = fit_rows[stratified_sample(y[fit_rows], choice.n_fit_rows, folds, data.random_state)]
            notes.append(sampled_note(len(y), len(fit_rows)) + " (to keep the chosen model within its time budget)")
    held_out = np.setdiff1d(np.arange(len(y)), fit_rows)
    trees = choice.n_estimators if choice is not None else None
    oof, averaged = cross_validated(model, features["train"][fit_rows], y[fit_rows], folds, n_classes,
                                    data.random_state, {"held_out": features["train"][held_out], **scored}, trees)
    probs = {"train": np.zeros((len(y), n_classes)), **{s: averaged[s] for s in scored}}
    probs["train"][fit_rows] = oof
    probs["train"][held_out] = averaged["held_out"]
    probs["train"][order] = probs["train"].copy()
    return OutOfFold(classes, labels, probs, fold_sources(folds, data.splits), model, folds, len(fit_rows), notes,
                     choice, network)


def picture_network(data: AuditData, n_folds: int) -> NetworkProbabilities | None:
    """The pictures' network probabilities (trained on first use), when the loader offers a network."""
    if data.images is None or data.images.network is None:
        return None
    network = data.images.network
    return data.shared(f"picture_network:{n_folds}", lambda d: network(d, n_folds))


def cross_validated(model: str, x: np.ndarray, y: np.ndarray, folds: int, n_classes: int, random_state: int,
                    scored: dict[str, np.ndarray], n_estimators: int | None = None
                    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Out-of-fold probabilities of ``x``'s rows, and each of ``scored``'s matrices scored by
    the average of the fold models (none of which saw them).

    Gradient boosting's OpenMP threads and the BLAS threads of logistic regression are held to
    one: on a shared machine their busy-waiting threads made them many times slower than their
    cost estimates, and one thread gives the same model.
    """
    from threadpoolctl import threadpool_limits

    oof = np.zeros((len(y), n_classes))
    averaged = {name: np.zeros((len(m), n_classes)) for name, m in scored.items()}
    with threadpool_limits(limits=1):
        _fill_folds(model, x, y, folds, n_classes, random_state, scored, n_estimators, oof, averaged)
    return oof, averaged


def _fill_folds(model: str, x: np.ndarray, y: np.ndarray, folds: int, n_classes: int, random_state: int,
                scored: dict[str, np.ndarray], n_estimators: int | None, oof: np.ndarray,
                averaged: dict[str, np.ndarray]) -> None:
    for fold_train, fold_test in stratified_folds(y, folds, random_state):
        fitted = fit_model(model, random_state, x[fold_train], y[fold_train], n_estimators)
        oof[fold_test] = expand(fitted.predict_proba(x[fold_test]), fitted.classes_, n_classes)
        for name, matrix in scored.items():
            if len(matrix):
                averaged[name] += expand(fitted.predict_proba(matrix), fitted.classes_, n_classes) / folds


def choose_model(x: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, scored: dict[str, np.ndarray], folds: int,
                 n_classes: int, random_state: int, given: dict[str, dict[str, np.ndarray]] | None = None
                 ) -> tuple[ModelChoice, dict[str, np.ndarray] | None]:
    """The candidate whose out-of-fold predictions disagree least with the labels (see
    :mod:`checks.oof_models`), sized to the time budget.

    The candidates are cross-validated on a stratified sample of the fitted rows of at most
    ``SELECTION_ROWS`` rows. When that sample is every train row, the winner's probabilities
    (train out of fold, ``scored`` by its fold models' average) are returned too, so nothing
    is fitted twice; otherwise None, and the caller fits the winner on the fitted rows.
    ``given`` holds candidates computed elsewhere (the pictures' network): each name's
    probabilities of every train row (out of fold, in ``x``'s order) and of ``scored``'s rows;
    they are judged on the same sample and, when one wins, returned whole.
    """
    every_row = len(fit_rows) == len(y) <= SELECTION_ROWS
    sample = fit_rows if every_row else fit_rows[
        stratified_sample(y[fit_rows], min(SELECTION_ROWS, len(fit_rows)), folds, random_state)]
    names, skipped = affordable_candidates(len(sample), x.shape[1], n_classes, folds)
    if "hist_gradient_boosting" in names and not enough_to_stop_early(y[sample], folds, n_classes):
        skipped.append("hist_gradient_boosting")
        names = [n for n in names if n != "hist_gradient_boosting"]
    outputs = {name: cross_validated(name, x[sample], y[sample], folds, n_classes, random_state,
                                     scored if every_row else {}) for name in names}
    if len(names) > 1:
        outputs[AVERAGE] = (np.mean([o for o, _ in outputs.values()], axis=0),
                            {s: np.mean([a[s] for _, a in outputs.values()], axis=0) for s in scored} if every_row
                            else {})
    estimates = {name: estimated_seconds(name, len(sample), 0, x.shape[1], n_classes, folds)
                 for name in [*names, *([AVERAGE] if len(names) > 1 else [])]}
    estimates[AVERAGE] = sum(estimates[n] for n in names) if len(names) > 1 else 0.0
    for name, probs in (given or {}).items():
        outputs[name] = (probs["train"][sample], {s: probs[s] for s in scored})
        estimates[name] = 0.0  # already computed: choosing it costs nothing more
    ranked = rank_candidates(y[sample], {name: o for name, (o, _) in outputs.items()}, estimates)
    winner = ranked[0].model
    if winner in (given or {}):
        return ModelChoice(winner, len(sample), ranked, tuple(skipped)), given[winner]
    if every_row:
        oof, averaged = outputs[winner]
        return ModelChoice(winner, len(sample), ranked, tuple(skipped)), {"train": oof, **averaged}
    n_scored = len(y) - len(fit_rows) + sum(len(m) for m in scored.values())
    trees, rows = sized_to_budget(winner, len(fit_rows), n_scored, x.shape[1], n_classes, folds)
    return ModelChoice(winner, len(sample), ranked, tuple(skipped), trees, rows), None


def enough_to_stop_early(y: np.ndarray, folds: int, n_classes: int) -> bool:
    """Whether every fold's fit has rows enough for boosting's early stopping, which holds out
    a stratified tenth of the fit: two rows of each class at least, a held-out row per class,
    and a largest class of ``10 * folds`` rows."""
    counts = np.bincount(y, minlength=n_classes)
    present = counts[counts > 0]
    fit_rows = len(y) * (folds - 1) / folds
    return bool(present.min() >= 2 * folds and 0.1 * fit_rows >= n_classes and present.max() >= 10 * folds)


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


def content_order(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Row positions sorted by a hash of each row's encoded features, then by label (ties keep the given order).

    The hash reads the model's own inputs, which every engine encodes alike, so every engine
    orders the rows, and so cuts the folds, the same way.
    """
    values = np.asarray(features, dtype=np.float32) + np.float32(0.0)  # rows x features; -0.0 as 0.0
    values[np.isnan(values)] = np.nan  # one NaN
    key = np.zeros(len(values), dtype=np.uint64)
    for column in range(values.shape[1]):
        key = key * np.uint64(1_000_003) + pd.util.hash_array(np.ascontiguousarray(values[:, column]).view(np.uint32))
    return np.lexsort((labels, key))


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
