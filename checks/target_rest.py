"""The rest of the data, as a yardstick for target leakage: how well all the other feature
columns together predict the label.

A column that copies the label scores high alone; so does an honest, strong feature. What
tells them apart is the rest of the data: the honest feature is one of several that carry
the label (petal length and petal width, all the other pixels), so the other columns
together predict the label as well or better; a disguised label carries what no other
column does. The yardstick is measured like the one-column scores (cross-validated,
balanced accuracy rescaled so that chance is 0 and perfect is 1) with extra trees on the
other columns' encoding (:mod:`checks.features`, fitted on train alone), on a seeded
stratified sample of at most ``MAX_ROWS`` train rows, and each held-out row predicted as
the class its probability most exceeds that class's share (the rule that maximises
balanced accuracy, as the one-column bins do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from checks.base import AuditData

MAX_ROWS = 20_000
N_TREES = 100


@dataclass(frozen=True)
class RestScore:
    """All the other feature columns' cross-validated score together, and what it was measured on."""

    score: float
    balanced_accuracy: float
    n_rows: int
    n_columns: int

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "balanced_accuracy": self.balanced_accuracy, "n_rows": self.n_rows,
                "n_columns": self.n_columns, "model": f"extra trees ({N_TREES} trees)"}


def rest_score(data: AuditData, column: str, y: np.ndarray, n_folds: int) -> RestScore:
    """The score of every feature column of ``data``'s train split but ``column`` (``y``: its class codes)."""
    from checks.features import encode_features

    frame = data.frames["train"]
    others = [c for c in data.feature_columns if str(c) != str(column)]
    rows = sample_rows(y, MAX_ROWS, data.random_state)
    n_classes = int(y.max()) + 1
    if not others:
        return RestScore(0.0, 1 / n_classes, len(rows), 0)
    part = frame.iloc[rows][[*others, data.label]]
    # Encoded on the sampled train rows alone, so every engine sees the same matrix.
    sampled = AuditData(frames={"train": part}, label=data.label, random_state=data.random_state)
    x = encode_features(sampled).matrices["train"]
    if x.shape[1] == 0:
        return RestScore(0.0, 1 / n_classes, len(rows), len(others))
    balanced = cross_validated(x, y[rows], n_classes, n_folds, data.random_state)
    chance = 1 / n_classes
    return RestScore(float((balanced - chance) / (1 - chance)), balanced, len(rows), len(others))


def sample_rows(y: np.ndarray, n_rows: int, random_state: int) -> np.ndarray:
    """Positions of a seeded sample of about ``n_rows`` rows, each class in its share (all rows if fewer)."""
    if len(y) <= n_rows:
        return np.arange(len(y))
    rng = np.random.default_rng(random_state)
    share = n_rows / len(y)
    chosen = [rng.choice(np.flatnonzero(y == k), max(1, int(np.sum(y == k) * share)), replace=False)
              for k in np.unique(y)]
    return np.sort(np.concatenate(chosen))


def cross_validated(x: np.ndarray, y: np.ndarray, n_classes: int, n_folds: int, random_state: int) -> float:
    """Balanced accuracy of held-out predictions, each row predicted by a model of the other folds."""
    from sklearn.ensemble import ExtraTreesClassifier

    folds = np.random.default_rng(random_state).permutation(len(y)) % n_folds
    prior = np.maximum(np.bincount(y, minlength=n_classes) / len(y), 1e-12)
    predicted = np.zeros(len(y), dtype=np.int64)
    for fold in range(n_folds):
        held_out = folds == fold
        if not held_out.any() or len(np.unique(y[~held_out])) < 2:
            continue
        model = ExtraTreesClassifier(n_estimators=N_TREES, min_samples_leaf=3, max_features=0.5, n_jobs=-1,
                                     random_state=random_state).fit(x[~held_out], y[~held_out])
        model.set_params(n_jobs=1)
        probs = np.zeros((int(held_out.sum()), n_classes))
        probs[:, model.classes_] = model.predict_proba(x[held_out])
        predicted[held_out] = np.argmax(probs / prior, axis=1)
    sizes = np.bincount(y, minlength=n_classes)
    correct = np.bincount(y[predicted == y], minlength=n_classes)
    present = sizes > 0
    return float(np.mean(correct[present] / sizes[present]))
