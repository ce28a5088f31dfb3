"""Augmentation, the remedy tried for pictures only: the baseline's CNN with and without
RandomFlip, RandomRotation, RandomZoom and RandomContrast in front of it.

Both networks train on the fixed train pictures from ``seeds`` initialisations each, all
copies side by side in one stacked model (as the baseline's seeds train: one fit, one data
pipeline, the same batches), scored on the fixed val pictures at every epoch end in
inference mode, where the augmentation layers pass pictures through unchanged. The effect is
the per-seed difference plain minus augmented of the best and of the end val loss, judged
as the model knobs are (:func:`audit.training.diagnose.model_causes.change`): likely when
augmentation helps on the best val loss, or on the end val loss without hurting the best;
unlikely when every effect is small, hurts or noise; inconclusive otherwise.

Its share of the diagnosis budget is ``AUGMENT_SHARE``; to fit it, epochs go first (down to
``MIN_EPOCHS``), then seeds (down to ``MIN_SEEDS``), then train pictures (a stratified sample,
down to ``MIN_SAMPLE_ROWS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.training.conv import AUGMENTATION, build_cnn, picture_shape
from audit.training.cost import conv_seconds
from audit.training.diagnose.experiments import COMPARED, paired, seed_numbers, summarise
from audit.training.diagnose.model_causes import change, effect_threshold
from audit.training.diagnose.plan import MIN_EPOCHS, MIN_SAMPLE_ROWS, MIN_SEEDS, PLAN_SHARE
from audit.training.diagnose.results import INCONCLUSIVE, LIKELY, UNLIKELY, Cause
from audit.training.diagnose.snippets import conv_snippet
from audit.training.encoding import Encoded, class_weight
from audit.training.inputs import BaselineSettings
from audit.training.numbers import epoch_pm, fmt, pm
from audit.training.verdict import SPREAD_FACTOR

AUGMENT_SHARE = 0.4
LAYERS_TEXT = ", ".join(f"{name}({argument})" for name, argument in AUGMENTATION)
EXPERIMENT = f"the baseline's CNN with and without {LAYERS_TEXT} in front, same seeds and batches"
QUIET = ("small", "hurts", "noise")


@dataclass(frozen=True)
class AugmentationPlan:
    """What the augmentation experiment's share of the budget allows, and what it cut."""

    seeds: int
    epochs: int
    train_rows: int
    estimated_s: float
    cuts: tuple[str, ...]


def plan_augmentation(n_train: int, seeds: int, epochs: int, budget_s: float,
                      keras_loaded: bool = False) -> AugmentationPlan | None:
    """The largest plan whose estimate fits ``budget_s`` (its share already taken); None if none does."""
    target = PLAN_SHARE * budget_s

    def cost(s: int, e: int, rows: int) -> float:
        return conv_seconds(rows, picture_shape(), BaselineSettings(seeds=s, epochs=e), runs=1, copies=2 * s,
                            keras_loaded=keras_loaded)

    cuts = []
    fitted = epochs
    while fitted > MIN_EPOCHS and cost(seeds, fitted, n_train) > target:
        fitted -= 1
    if fitted < epochs:
        cuts.append(f"epochs {epochs} -> {fitted}")
    if cost(seeds, fitted, n_train) > target and seeds > MIN_SEEDS:
        cuts.append(f"seeds {seeds} -> {MIN_SEEDS}")
        seeds = MIN_SEEDS
    rows = n_train
    while rows > MIN_SAMPLE_ROWS and cost(seeds, fitted, rows) > target:
        rows = max(MIN_SAMPLE_ROWS, int(rows * 0.9))
    if rows < n_train:
        cuts.append(f"train pictures {n_train} -> a stratified sample of {rows}")
    estimate = cost(seeds, fitted, rows)
    if estimate > target:
        return None
    return AugmentationPlan(seeds, fitted, rows, estimate, tuple(cuts))


def run_augmentation(keras: Any, data: Encoded, plan: AugmentationPlan, n_classes: int, batch_size: int,
                     patience: int, random_state: int, deadline: float | None) -> Cause:
    """Train plain and augmented copies side by side on ``data`` (pictures) and judge augmentation."""
    from audit.training.fitting import train_run

    augmented = iter([False] * plan.seeds + [True] * plan.seeds)

    def build(input_shape: tuple[int, ...]) -> Any:
        return build_cnn(keras, input_shape, n_classes, augment=next(augmented))

    settings = BaselineSettings(seeds=2 * plan.seeds, epochs=plan.epochs, patience=patience,
                                random_state=random_state)
    curves, out_of_time = train_run(keras, data, build, settings, plan.epochs, batch_size, deadline)
    per_seed = [{"seed": k % plan.seeds, **seed_numbers(np.array(c["train_inference_loss"], dtype="float64"),
                                                        np.array(c["val_loss"], dtype="float64"),
                                                        np.array(c["val_accuracy"], dtype="float64"), patience)}
                for k, c in enumerate(curves)]
    return judge(per_seed[:plan.seeds], per_seed[plan.seeds:], plan, len(data.y_train), n_classes, batch_size,
                 patience, out_of_time)


def judge(plain: list[dict], augmented: list[dict], plan: AugmentationPlan, n_train: int, n_classes: int,
          batch_size: int, patience: int, out_of_time: bool = False) -> Cause:
    """The verdict on augmentation from the per-seed numbers of the plain and the augmented copies."""
    base, other = summarise(plain), summarise(augmented)
    effects = {metric: paired(plain, augmented, metric) for metric in COMPARED}
    best_scale, end_scale = base["best_val_loss"].mean, base["val_loss_end"].mean
    on_best = change(effects["best_val_loss"], best_scale)
    on_end = change(effects["val_loss_end"], end_scale)
    effect = (f"plain: best {pm(base['best_val_loss'])}, end {pm(base['val_loss_end'])}, gap {pm(base['end_gap'])}, "
              f"stall {epoch_pm(base['stall_epoch'])}; augmented: best {pm(other['best_val_loss'])}, end "
              f"{pm(other['val_loss_end'])}, gap {pm(other['end_gap'])}, stall {epoch_pm(other['stall_epoch'])}; "
              f"{plan.seeds} seeds x {plan.epochs} epochs on {n_train} train pictures")
    if out_of_time:
        ran = max((seed.get("epochs_run") or 0 for seed in plain), default=0)
        effect += f"; the time budget stopped training after {ran} epochs"
    numbers = {"judged": {"best_val_loss": on_best, "val_loss_end": on_end},
               "effect": {metric: spread.to_dict() for metric, spread in effects.items()},
               "threshold_best": effect_threshold(best_scale), "threshold_end": effect_threshold(end_scale),
               "seeds": plan.seeds, "epochs": plan.epochs, "train_pictures": n_train, "cuts": list(plan.cuts),
               "estimated_s": round(plan.estimated_s, 1),
               "stopped_by_deadline": out_of_time}
    d_best, d_end = effects["best_val_loss"], effects["val_loss_end"]
    if on_best == "helps" or (on_end == "helps" and on_best != "hurts"):
        reason = (f"augmentation lowers the best val loss by {pm(d_best)} and the end val loss by {pm(d_end)} "
                  f"(plain minus augmented over {d_best.n} seeds; it takes at least "
                  f"{fmt(effect_threshold(best_scale))} and {SPREAD_FACTOR:g} std)")
        remedy = f"put {LAYERS_TEXT} in front of the network (they act in training only)"
        code = conv_snippet(picture_shape(), n_classes, plan.epochs, batch_size, patience, augment=True)
        return Cause("augmentation", EXPERIMENT, effect, LIKELY, reason, remedy, code, numbers, "augmented")
    if on_best in QUIET and on_end in QUIET:
        reason = (f"augmentation changes the best val loss by {pm(d_best)} and the end val loss by {pm(d_end)} "
                  f"(plain minus augmented): not {fmt(effect_threshold(best_scale))} or more in its favour beyond "
                  "the seed spread")
        return Cause("augmentation", EXPERIMENT, effect, UNLIKELY, reason,
                     "augmentation of this kind is not where the gain is; keep the pictures as they are", None,
                     numbers)
    reason = (f"augmentation moves the best val loss by {pm(d_best)} and the end val loss by {pm(d_end)}: an "
              f"effect of the size that matters, but within {SPREAD_FACTOR:g} seed std; more seeds would settle it")
    return Cause("augmentation", EXPERIMENT, effect, INCONCLUSIVE, reason,
                 "not settled: rerun with a larger budget (more seeds, more epochs)", None, numbers)


def not_measured(reason: str) -> Cause:
    """The augmentation row when the experiment could not train."""
    return Cause("augmentation", EXPERIMENT, "not measured", INCONCLUSIVE, reason, "raise --diagnose-budget")


def sampled(data: Encoded, rows: np.ndarray) -> Encoded:
    """``data`` cut to these train rows; the val pictures stand in for the reference set."""
    return Encoded(data.x_train[rows], data.y_train[rows], data.x_val, data.y_val, data.x_val, data.y_val,
                   class_weight(data.y_train[rows]))
