"""A small CNN trained by stratified cross-validation: label issues' model of pictures without vectors.

When there are neither the user's embeddings nor pretrained weights in the Keras cache, the
out-of-fold models of label issues read cheap colour features; they tell classes apart by
colour, not by what a picture shows (a shape on a busy background). So the baseline's network
(:func:`audit.training.conv.build_cnn`, wider here: ``WIDTHS``) is trained on each fold's
pictures (the ``PICTURE_SIDE`` px RGB copies made when the files were decoded) and scores the
pictures its fold held out; val pictures get the average of the fold models, as the feature
models give them (:mod:`checks.oof`). Its probabilities are one more candidate beside the
feature models, and the usual choice among candidates decides (:mod:`checks.oof_models`).

Time: before TensorFlow is imported, a cost model (:mod:`audit.training.cost`'s figures for
the convolutional network) sizes the plan to ``budget_s``: up to ``MAX_EPOCHS`` epochs at the
requested folds; fewer epochs, then fewer folds (down to ``MIN_FOLDS``), then a stratified
sample of the train pictures (the others scored by the fold models' average). The plan reads
counts only, never the clock, so the same pictures and seed give the same probabilities on
any machine. Below ``MIN_PICTURES`` train pictures no network is trained: from scratch on so
few it learns less than the colour features show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from audit.data import DEFAULT_CNN_BUDGET_S
from audit.progress import Progress, no_progress
from audit.training.conv import PICTURE_SIDE, build_cnn, multiply_adds
from audit.training.cost import BASELINE_EPOCH_S, BASELINE_ROW_S, BUILD_S, IMPORT_S
from checks.base import AuditData
from checks.images.table import NetworkProbabilities
from checks.oof import encode_labels, fold_count, label_classes, stratified_folds, stratified_sample
from checks.oof_models import NETWORK_MODELS

MODEL = NETWORK_MODELS[0]
MIN_PICTURES = 1_000
WIDTHS = (16, 32, 64)
MAX_EPOCHS = 30
TARGET_EPOCHS = 20
MIN_EPOCHS = 6
MIN_FOLDS = 3
MIN_FIT_ROWS = 1_000
BATCH = 64
MIN_BATCH = 16
STEPS_PER_EPOCH = 20  # a small fold takes smaller batches, so that its epochs still take this many steps
LEARNING_RATE = 3e-3
PREDICT_BATCH = 512
CONTRAST_GAIN = 4.0
CHANNELS = 4
# Seconds per multiply-add of a picture's forward pass, for a training step (forward and
# backward passes, batch normalisation, the deterministic kernels, the turned copies): CPU
# seconds of planted folders of 2,300 and 10,000 pictures, so on two idle cores the wall
# time is about half of it and a busy machine still keeps near the budget.
MULTIPLY_ADD_S = 1.5e-10
# A forward pass alone costs about a third of a training step's forward and backward passes.
SCORE_SHARE = 1 / 3
VIEWS = 8  # each picture is scored in its 8 symmetries


@dataclass(frozen=True)
class CnnPlan:
    """How the network is trained: folds, epochs, train pictures fitted, and what the budget cut."""

    folds: int
    epochs: int
    n_fit_rows: int
    estimated_s: float
    cuts: tuple[str, ...] = ()


def estimated_seconds(n_fit_rows: int, n_scored_rows: int, folds: int, epochs: int, n_classes: int) -> float:
    """Seconds on 2 cores of ``folds`` fits of ``epochs`` epochs on all but a fold of
    ``n_fit_rows`` pictures, each fold model also scoring its held-out fold and ``n_scored_rows``.

    The TensorFlow import is always counted, whether or not it happened already: the plan must
    not depend on what ran before in the process, or a second run would train differently."""
    per_row = multiply_adds((PICTURE_SIDE, PICTURE_SIDE, CHANNELS), n_classes, WIDTHS) * MULTIPLY_ADD_S
    fitted = n_fit_rows * (folds - 1) / folds
    epoch_s = BASELINE_EPOCH_S + fitted * (BASELINE_ROW_S + per_row)
    scored = (n_fit_rows / folds + n_scored_rows) * per_row * SCORE_SHARE * VIEWS
    return IMPORT_S + folds * (BUILD_S + epochs * epoch_s + scored)


def plan_training(n_train: int, n_other: int, folds: int, n_classes: int, budget_s: float) -> CnnPlan | None:
    """The largest plan within ``budget_s``: the requested folds while they allow ``TARGET_EPOCHS``
    epochs, else fewer folds (each model then fits more pictures an epoch and more epochs fit),
    then fewer epochs and a sample of the train pictures; None
    when even ``MIN_EPOCHS`` epochs at ``MIN_FOLDS`` folds on ``MIN_FIT_ROWS`` pictures is over it.

    ``n_other`` counts the pictures scored but never fitted (val).
    """
    def cost(rows: int, k: int, epochs: int) -> float:
        return estimated_seconds(rows, n_other + n_train - rows, k, epochs, n_classes)

    def most_epochs(rows: int, k: int) -> int:
        return max((e for e in range(1, MAX_EPOCHS + 1) if cost(rows, k, e) <= budget_s), default=0)

    cuts = []
    fewest = min(folds, MIN_FOLDS)
    for k in range(folds, fewest - 1, -1):
        epochs = most_epochs(n_train, k)
        if epochs >= TARGET_EPOCHS or (k == fewest and epochs >= MIN_EPOCHS):
            cuts += [f"{epochs} epochs instead of {MAX_EPOCHS}"] * (epochs < MAX_EPOCHS)
            cuts += [f"{k} folds instead of {folds}"] * (k < folds)
            return CnnPlan(k, epochs, n_train, round(cost(n_train, k, epochs), 1), tuple(cuts))
    k, rows = fewest, n_train
    while rows > MIN_FIT_ROWS and most_epochs(rows, k) < MIN_EPOCHS:
        rows = max(MIN_FIT_ROWS, int(rows * 0.8))
    epochs = most_epochs(rows, k)
    if epochs < MIN_EPOCHS:
        return None
    cuts += [f"{epochs} epochs instead of {MAX_EPOCHS}"] * (epochs < MAX_EPOCHS)
    cuts += [f"{k} folds instead of {folds}"] * (k < folds)
    cuts.append(f"fitted on a stratified sample of {rows} of {n_train} train pictures, the others scored by the "
                f"fold models' average")
    return CnnPlan(k, epochs, rows, round(cost(rows, k, epochs), 1), tuple(cuts))


def attach_small_cnn(data: AuditData, budget_s: float = DEFAULT_CNN_BUDGET_S, progress: Progress = no_progress,
                     min_pictures: int = MIN_PICTURES) -> AuditData:
    """``data`` whose pictures train a small CNN for label issues when its out-of-fold models ask."""
    def network(audited: AuditData, n_folds: int) -> NetworkProbabilities:
        return small_cnn_probabilities(audited, n_folds, budget_s, progress, min_pictures)

    data.images = replace(data.images, network=network)
    return data


def described(plan: CnnPlan | None = None) -> str:
    """What the network reads, as a finding says it after "small cnn on"."""
    text = (f"{PICTURE_SIDE}x{PICTURE_SIDE} px RGB copies of the pictures with a local-contrast channel, turned "
            f"and flipped at random ({'-'.join(map(str, WIDTHS))} filters")
    return text + (f", {plan.folds} folds x {plan.epochs} epochs)" if plan is not None else ")")


def small_cnn_probabilities(data: AuditData, n_folds: int, budget_s: float, progress: Progress = no_progress,
                            min_pictures: int = MIN_PICTURES) -> NetworkProbabilities:
    """The network's out-of-fold probabilities of train and fold-averaged ones of val, or why none."""
    tables = data.images.tables
    classes = label_classes(data.labels("train"))
    labels = {split: encode_labels(data.labels(split), classes) for split in data.splits}
    positions = {split: frame_positions(data, split) for split in data.splits}
    pixels = {split: tables[split].pixels[positions[split]] for split in data.splits}
    n_train = len(labels["train"])
    if n_train < min_pictures:
        return NetworkProbabilities(MODEL, described(), skipped=f"train has {n_train} pictures, fewer than the "
                                                                  f"{min_pictures} a network needs to learn from scratch")
    folds, notes = fold_count(labels["train"], classes, n_folds)
    n_other = sum(len(tables[s]) for s in data.splits if s != "train")
    plan = plan_training(n_train, n_other, folds, len(classes), budget_s)
    if plan is None:
        return NetworkProbabilities(MODEL, described(), skipped=f"even {MIN_EPOCHS} epochs of {MIN_FOLDS} folds on "
                                                                  f"{MIN_FIT_ROWS} pictures would take longer than "
                                                                  f"its {budget_s:g} s budget")
    progress(f"label issues: training a small CNN on {described(plan)} (estimate {plan.estimated_s:.0f} s)")
    probs = cross_validated(pixels, labels, classes, plan, data.random_state,
                            tables["train"].pixel_hash[positions["train"]])
    return NetworkProbabilities(MODEL, described(plan), probs, plan.folds,
                                notes=(*notes, f"estimated {plan.estimated_s:g} s of a {budget_s:g} s budget",
                                       *plan.cuts))


def frame_positions(data: AuditData, split: str) -> np.ndarray:
    """The position in ``split``'s picture table of each row of its frame, in row order."""
    table = data.images.tables[split]
    return pd.Series(np.arange(len(table)), index=table.rows).loc[data.frames[split].index].to_numpy()


def cross_validated(pixels: dict[str, np.ndarray], labels: dict[str, np.ndarray], classes: np.ndarray,
                    plan: CnnPlan, random_state: int, content_key: np.ndarray) -> dict[str, np.ndarray]:
    """Train's out-of-fold probabilities (the fold average for train pictures not fitted) and
    the other splits' fold averages.

    Folds are cut in the order of the pictures' content (pixel hash, then label), so listing
    the files in another order trains the same models. Each fold model scores everything it
    did not see at once (one traced function a fold).
    """
    from audit.training.runtime import load_keras

    keras = load_keras()
    y = labels["train"]
    order = np.lexsort((y, content_key))
    images, y_ordered = network_inputs(pixels["train"][order]), y[order]
    fit_rows = np.arange(len(y))
    if plan.n_fit_rows < len(y):
        fit_rows = stratified_sample(y_ordered, plan.n_fit_rows, plan.folds, random_state)
    unfitted = np.setdiff1d(np.arange(len(y)), fit_rows)
    others = [split for split in pixels if split != "train"]
    scored_always = np.concatenate([images[unfitted], *(network_inputs(pixels[s]) for s in others)])
    averaged = np.zeros((len(scored_always), len(classes)))
    train = np.zeros((len(y), len(classes)))
    for fold, (fit, held) in enumerate(stratified_folds(y_ordered[fit_rows], plan.folds, random_state)):
        model = fitted_model(keras, images[fit_rows[fit]], y_ordered[fit_rows[fit]], len(classes), plan.epochs,
                             random_state + fold)
        scores = predicted(model, np.concatenate([images[fit_rows[held]], scored_always]))
        train[fit_rows[held]] = scores[:len(held)]
        averaged += scores[len(held):] / plan.folds
        keras.backend.clear_session()
    train[unfitted] = averaged[:len(unfitted)]
    result = {"train": np.empty_like(train)}
    result["train"][order] = train
    start = len(unfitted)
    for split in others:
        result[split] = averaged[start:start + len(pixels[split])]
        start += len(pixels[split])
    return result


def batch_size(n_rows: int) -> int:
    """``BATCH``, or the power of two (at least ``MIN_BATCH``) that gives ``STEPS_PER_EPOCH`` steps an epoch."""
    return max(MIN_BATCH, min(BATCH, 2 ** int(math.log2(max(n_rows // STEPS_PER_EPOCH, 1)))))


def predicted(model, inputs: np.ndarray) -> np.ndarray:
    """The model's probabilities averaged over the pictures' 8 symmetries (each a forward pass:
    a fraction of training's cost), steadier than one view's."""
    views = [model.predict(dihedral(inputs, np.full(len(inputs), code)), batch_size=PREDICT_BATCH, verbose=0)
             for code in range(VIEWS)]
    return np.mean(np.asarray(views, dtype=np.float64), axis=0)


def network_inputs(pixels: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] and a fourth channel of local contrast: each pixel's standard deviation
    over its 3x3 neighbourhood (mean over colours, times ``CONTRAST_GAIN``).

    The contrast channel shows outlines and flat regions whatever their colours: a shape
    filled with one colour stands out of a busy background, which a small network trained on
    a few thousand pictures does not learn from the colours alone.
    """
    from scipy.ndimage import uniform_filter

    rgb = pixels.astype(np.float32) / np.float32(255)
    mean = uniform_filter(rgb, size=(1, 3, 3, 1), mode="nearest")
    square = uniform_filter(rgb * rgb, size=(1, 3, 3, 1), mode="nearest")
    contrast = np.sqrt(np.clip(square - mean * mean, 0, None)).mean(axis=3, keepdims=True)
    return np.concatenate([rgb, contrast * np.float32(CONTRAST_GAIN)], axis=3)


def dihedral(pictures: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each picture turned by one of the square's 8 symmetries (code bit 0: flip rows, 1: flip
    columns, 2: transpose): a shape's class does not change with them."""
    out = np.empty_like(pictures)
    for code in range(8):
        chosen = np.flatnonzero(codes == code)
        part = pictures[chosen]
        if code & 1:
            part = part[:, ::-1]
        if code & 2:
            part = part[:, :, ::-1]
        if code & 4:
            part = part.transpose(0, 2, 1, 3)
        out[chosen] = part
    return out


def fitted_model(keras, inputs: np.ndarray, y: np.ndarray, n_classes: int, epochs: int, seed: int):
    """The network fitted with Adam on a cosine-decayed rate, each epoch on pictures turned by
    seeded random symmetries."""
    from audit.training.runtime import seed_everything

    seed_everything(seed)
    rng = np.random.default_rng(seed)
    model = build_cnn(keras, inputs.shape[1:], n_classes, widths=WIDTHS)
    batch = batch_size(len(y))
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, epochs * math.ceil(len(y) / batch))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy")
    for _ in range(epochs):
        turned = dihedral(inputs, rng.integers(0, 8, size=len(y)))
        model.fit(turned, y, batch_size=batch, epochs=1, shuffle=True, verbose=0)
    return model
