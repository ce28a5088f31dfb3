"""Baseline Keras model on the raw and on the fixed data: is the data or the model to blame?

The same small network (:mod:`audit.training.networks`) is trained on the raw split pair
(raw train -> raw val) and on the fixed pair (fixed train -> fixed val), with the same
seeds, each run's inputs encoded on its own training split (:mod:`audit.training.encoding`).
Every model, raw or fixed, is also scored at every epoch on the clean *reference* set
(fixed val minus val label issues), and :mod:`audit.training.verdict` compares the two
runs on it. Runs report mean, sample standard deviation and min/max over seeds, per epoch
for the curves and for every per-seed number (:mod:`audit.training.curves`).

When the fixed splits equal the raw ones, the fixed run reuses the raw results: with
deterministic ops and fixed threads it would be identical bit for bit. TensorFlow is
imported lazily (about 3 s and 0.7 GB) through :mod:`audit.training.runtime`, the only
module that knows the backend.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from audit.training import runtime
from audit.training.conv import describe
from audit.training.curves import CurveBand, climb_from_lowest, curve_numbers, usable_epochs
from audit.training.encoding import Encoded, classes_of, encode_run, json_label, prior_loss
from audit.training.fitting import batch_size_for, deferred_interrupt, never, train_run
from audit.training.inputs import BaselineSettings, BaselineSplit, check_settings, check_split, same_split
from audit.training.networks import model_builder
from audit.training.numbers import Spread, difference, relative
from audit.training.results import BaselineResult, Comparison, PriorLoss, RunSummary
from audit.training.verdict import compare, val_inflation, verdict
from audit.training.watch import plan_training

log = logging.getLogger(__name__)

CURVES = (
    "train_loss",
    "train_accuracy",
    "train_inference_loss",
    "train_inference_accuracy",
    "val_loss",
    "val_accuracy",
    "reference_loss",
    "reference_accuracy",
)
SEED_NUMBERS = (
    "epochs_run",
    "best_epoch",
    "best_val_loss",
    "val_accuracy_at_best",
    "stall_epoch",
    "climb_after_stall",
    "end_gap",
    "best_gap",
    "train_loss_end",
    "keras_train_loss_end",
    "val_loss_end",
    "reference_loss_at_best",
    "reference_accuracy_at_best",
    "reference_loss_end",
    "reference_climb",
    "reference_end_gap",
    "early_stop_epoch",
    "early_stop_restored_epoch",
)


@dataclass(frozen=True)
class VariantRun:
    """One more run trained like the fixed run, compared with the raw run."""

    run: RunSummary
    comparison: Comparison
    val_inflation_relative: float | None


def run_baseline(
    raw_train: BaselineSplit,
    raw_val: BaselineSplit,
    fixed_train: BaselineSplit,
    fixed_val: BaselineSplit,
    reference: BaselineSplit,
    settings: BaselineSettings = BaselineSettings(),
) -> BaselineResult:
    """Train the baseline on raw and fixed data and say whether the data is to blame.

    Raises ValueError for unusable input.
    """
    started = time.perf_counter()
    check_settings(settings)
    splits = {
        "raw_train": raw_train,
        "raw_val": raw_val,
        "fixed_train": fixed_train,
        "fixed_val": fixed_val,
        "reference": reference,
    }
    for name, split in splits.items():
        check_split(name, split)
    classes = classes_of([split.labels for split in splits.values()])
    reuse = same_split(raw_train, fixed_train) and same_split(raw_val, fixed_val)
    encoded = {"raw": encode_run("raw", raw_train, raw_val, reference, classes)}
    encoded["fixed"] = encoded["raw"] if reuse else encode_run("fixed", fixed_train, fixed_val, reference, classes)
    plan_training(fits=1 if reuse else 2, epochs=settings.epochs)

    with deferred_interrupt() as interrupted:
        keras = runtime.load_keras()
        build = model_builder(keras, settings, len(classes))
        batch_size = batch_size_for(len(raw_train.labels), settings)
        runs = _train_both(keras, encoded, build, settings, batch_size, reuse, started, classes, interrupted)
    comparison = compare(runs["raw"], runs["fixed"])
    judged = verdict(comparison)
    log.info("baseline verdict %s: %s", judged.code, judged.text)
    return BaselineResult(
        settings=settings,
        classes=tuple(json_label(c) for c in classes),
        batch_size=batch_size,
        raw=runs["raw"],
        fixed=runs["fixed"],
        comparison=comparison,
        verdict=judged,
        environment=runtime.environment(),
        duration_s=round(time.perf_counter() - started, 3),
        network=_network(encoded["raw"], settings),
    )


def _network(encoded: Encoded, settings: BaselineSettings) -> dict | None:
    """The built-in network on pictures, as the report states it (its input size above all); None for
    rows of numbers, whose network the settings name, and for a model file."""
    shape = tuple(int(n) for n in encoded.x_train.shape[1:])
    return describe(shape) if len(shape) == 3 and settings.model_file is None else None


def run_variant(raw: RunSummary, raw_train: BaselineSplit, raw_val: BaselineSplit, train: BaselineSplit,
                val: BaselineSplit, reference: BaselineSplit,
                settings: BaselineSettings = BaselineSettings()) -> VariantRun:
    """Train one more run the way :func:`run_baseline` trains its fixed run, and compare it with raw.

    ``raw`` is the raw run of :func:`run_baseline`, trained on ``raw_train``/``raw_val`` with
    the same ``settings`` and scored on the same ``reference``. The variant gets the raw
    run's classes, batch size, seeds and number of epochs, so its numbers compare with raw's
    exactly as the fixed run's do; its comparison reads "fixed" as this variant. Raises
    ValueError for unusable input.
    """
    started = time.perf_counter()
    check_settings(settings)
    for name, split in (("variant_train", train), ("variant_val", val), ("reference", reference)):
        check_split(name, split)
    classes = classes_of([raw_train.labels, raw_val.labels, train.labels, val.labels, reference.labels])
    encoded = encode_run("variant", train, val, reference, classes)
    ran = raw.summary["epochs_run"].max
    epochs = int(ran) if raw.stopped_by_time_budget and ran else settings.epochs
    with deferred_interrupt() as interrupted:
        keras = runtime.load_keras()
        build = model_builder(keras, settings, len(classes))
        curves, _ = train_run(keras, encoded, build, settings, epochs,
                              batch_size_for(len(raw_train.labels), settings), None, interrupted)
    run = _run_summary(encoded, curves, time.perf_counter() - started, settings, classes)
    comparison = compare(raw, run)
    inflation = val_inflation(run)
    return VariantRun(run, comparison, relative(inflation.mean, comparison.reference_loss.fixed))


def _train_both(
    keras: Any,
    encoded: dict[str, Encoded],
    build: Callable[[tuple[int, ...]], Any],
    settings: BaselineSettings,
    batch_size: int,
    reuse: bool,
    started: float,
    classes: list,
    interrupted: Callable[[], bool] = never,
) -> dict[str, RunSummary]:
    """Train raw, then fixed, and summarise each run.

    With a time budget, raw may use the first half of it; fixed then trains for no more
    epochs than raw got, so the two stay comparable. Identical splits reuse raw.
    """
    budget = settings.time_budget_s
    epochs = settings.epochs
    runs: dict[str, RunSummary] = {}
    for name, share in (("raw", 0.5), ("fixed", 1.0)):
        if name == "fixed" and reuse:
            runs["fixed"] = replace(runs["raw"], reused_raw=True)
            break
        if interrupted():
            break  # deferred_interrupt raises KeyboardInterrupt
        fit_started = time.perf_counter()
        deadline = None if budget is None else started + share * budget
        curves, out_of_time = train_run(keras, encoded[name], build, settings, epochs, batch_size, deadline,
                                        interrupted)
        if out_of_time:
            epochs = len(curves[0]["train_loss"])
            log.warning("baseline %s run stopped by the time budget after %d epochs", name, epochs)
        summary = _run_summary(encoded[name], curves, time.perf_counter() - fit_started, settings, classes)
        runs[name] = replace(summary, stopped_by_time_budget=out_of_time)
    return runs


def _run_summary(data: Encoded, curves: list[dict], duration: float, settings: BaselineSettings,
                 classes: list) -> RunSummary:
    """One run (raw, fixed or a variant): sizes, curves, per-seed numbers and their spread."""
    per_seed = tuple({"seed": k, **_seed_summary(c, settings.patience)} for k, c in enumerate(curves))
    return RunSummary(
        train_rows=len(data.y_train),
        val_rows=len(data.y_val),
        reference_rows=len(data.y_ref),
        n_inputs=int(np.prod(data.x_train.shape[1:])),
        class_weight=None if data.class_weight is None else {
            str(json_label(classes[code])): weight for code, weight in data.class_weight.items()
        },
        curves={name: CurveBand.of([c[name] for c in curves]) for name in CURVES},
        per_seed=per_seed,
        summary={name: Spread.of([s[name] for s in per_seed]) for name in SEED_NUMBERS},
        dummy=PriorLoss(prior_loss(data.y_train, data.y_val, len(classes)),
                        prior_loss(data.y_train, data.y_ref, len(classes))),
        duration_s=round(duration, 3),
    )


def _seed_summary(curves: dict, patience: int) -> dict:
    """The numbers the verdict reads, for one seed.

    The train loss is the inference-mode one (dropout off, no class weights), comparable
    with the val loss; Keras' own figure is kept as ``keras_train_loss_end``.
    """
    n = usable_epochs(curves["train_inference_loss"], curves["val_loss"])
    if n == 0:
        return dict.fromkeys(SEED_NUMBERS)
    train, val = curves["train_inference_loss"][:n], curves["val_loss"][:n]
    numbers = curve_numbers(train, val, patience)
    best = numbers["best_epoch"] - 1
    return {
        **numbers,
        "keras_train_loss_end": curves["train_loss"][n - 1],
        "val_accuracy_at_best": curves["val_accuracy"][best],
        "climb_after_stall": val[-1] - val[best],
        "reference_loss_at_best": curves["reference_loss"][best],
        "reference_accuracy_at_best": curves["reference_accuracy"][best],
        "reference_loss_end": curves["reference_loss"][n - 1],
        "reference_climb": climb_from_lowest(curves["reference_loss"][:n]),
        "reference_end_gap": difference(curves["reference_loss"][n - 1], train[-1]),
    }
