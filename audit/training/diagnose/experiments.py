"""The experiments' numbers: per seed, per variant, its effect against the base, and the learning curve.

Per seed: the best val loss (what EarlyStopping with restore_best_weights and unlimited
patience keeps), the val loss at the last epoch (what training without early stopping
keeps), the gap, the stall epoch (as :mod:`audit.training.curves` defines it), where early
stopping with the configured patience would stop and what that costs, and the patience
that would reach the best epoch. A variant's effect is the per-seed difference base minus
variant (positive: the variant is better), with its mean and sample std over seeds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from audit.training.curves import curve_numbers, patience_needed
from audit.training.diagnose.packed import fraction_masks
from audit.training.diagnose.plan import Plan
from audit.training.diagnose.results import Experiment, LearningCurve
from audit.training.encoding import Encoded
from audit.training.numbers import Spread, finite, rounded

SEED_NUMBERS = ("best_epoch", "best_val_loss", "val_accuracy_at_best", "val_loss_end", "train_loss_end", "end_gap",
                "best_gap", "stall_epoch", "climb_after_best", "early_stop_epoch", "early_stop_restored_epoch",
                "early_stop_val_loss", "early_stop_cost", "patience_needed")
COMPARED = ("best_val_loss", "val_loss_end", "end_gap", "stall_epoch")
IMBALANCE_NUMBERS = ("best_minority_loss", "best_balanced_accuracy")
HIGHER_IS_BETTER = ("stall_epoch", "best_balanced_accuracy")


def seed_numbers(train: np.ndarray, val: np.ndarray, accuracy: np.ndarray, patience: int) -> dict[str, Any]:
    """One member's numbers from its curves (inference-mode train loss on its own rows)."""
    n = 0
    while n < len(val) and math.isfinite(val[n]) and math.isfinite(train[n]):
        n += 1
    if n == 0:
        return {"epochs_run": 0}
    train_list, val_list = train[:n].tolist(), val[:n].tolist()
    numbers = curve_numbers(train_list, val_list, patience)
    best, restored = numbers["best_epoch"] - 1, numbers["early_stop_restored_epoch"]
    return {
        **numbers,
        "val_accuracy_at_best": float(accuracy[best]),
        "climb_after_best": val_list[-1] - val_list[best],
        "early_stop_val_loss": val_list[restored - 1],
        "early_stop_cost": val_list[restored - 1] - val_list[best],
        "patience_needed": patience_needed(val_list),
    }


def imbalance_numbers(minority_loss: np.ndarray, balanced_accuracy: np.ndarray) -> dict[str, float | None]:
    """One member's class-imbalance numbers: its lowest val loss on the minority classes' rows and its highest
    balanced accuracy over the epochs (what early stopping on either would keep)."""
    def extreme(curve: np.ndarray, pick: Any) -> float | None:
        finite_values = curve[np.isfinite(curve)]
        return float(pick(finite_values)) if len(finite_values) else None

    return {"best_minority_loss": extreme(minority_loss, np.min),
            "best_balanced_accuracy": extreme(balanced_accuracy, np.max)}


def summarise(per_seed: Sequence[Mapping[str, Any]]) -> dict[str, Spread]:
    """Every per-seed number's spread over seeds (the imbalance numbers where measured)."""
    names = SEED_NUMBERS + tuple(name for name in IMBALANCE_NUMBERS if any(name in s for s in per_seed))
    return {name: Spread.of([s.get(name) for s in per_seed]) for name in names}


def experiments(plan: Plan, curves: dict, patience: int) -> dict[str, Experiment]:
    """Per variant: its configuration, per-seed numbers and curves, their spread, and its effect against base."""
    measured: dict[str, tuple] = {}
    column = 0
    imbalance = any(v.experiment == "imbalance" for v in plan.variants)
    for variant in plan.variants:
        columns = range(column, column + plan.seeds)
        column += plan.seeds
        per_seed = [{"seed": k, **seed_numbers(curves["train_loss"][:, c], curves["val_loss"][:, c],
                                               curves["val_accuracy"][:, c], patience),
                     **(imbalance_numbers(curves["val_minority_loss"][:, c], curves["val_balanced_accuracy"][:, c])
                        if imbalance and variant.experiment in ("base", "imbalance") else {})}
                    for k, c in enumerate(columns)]
        band = {name: {"mean": rounded(np.nanmean(curves[name][:, list(columns)], axis=1)),
                       "std": rounded(np.nanstd(curves[name][:, list(columns)], axis=1, ddof=1)
                                      if plan.seeds > 1 else np.zeros(len(curves[name])))}
                for name in ("train_loss", "val_loss", "val_accuracy")}
        each = {name: [rounded(curves[name][:, c]) for c in columns] for name in ("train_loss", "val_loss")}
        cleaned = tuple({k: (finite(v) if isinstance(v, float) else v) for k, v in s.items()} for s in per_seed)
        measured[variant.name] = (variant, cleaned, summarise(per_seed), band, each)
    base_seeds = measured["base"][1]
    result = {}
    for name, (variant, per_seed, summary, band, each) in measured.items():
        effect = None if name == "base" else {metric: paired(base_seeds, per_seed, metric) for metric in COMPARED}
        result[name] = Experiment(variant.experiment, variant.label, variant.config(), per_seed, summary, band, each,
                                  effect)
    return result


def paired(base: Sequence[Mapping[str, Any]], other: Sequence[Mapping[str, Any]], metric: str) -> Spread:
    """Per-seed base minus variant (positive: the variant's loss is lower, or its stall or accuracy higher)."""
    differences = []
    for b, o in zip(base, other, strict=True):
        if b.get(metric) is None or o.get(metric) is None:
            differences.append(None)
        elif metric in HIGHER_IS_BETTER:
            differences.append(o[metric] - b[metric])  # a later stall, a higher accuracy is better
        else:
            differences.append(b[metric] - o[metric])
    return Spread.of(differences)


def learning_curve(plan: Plan, experiments: Mapping[str, Experiment], data: Encoded,
                   random_state: int) -> LearningCurve | None:
    """Best val loss against train rows, per seed: the log-linear slope, the measured gain of the
    last doubling (50 to 100 %) and the predicted gain of the next.

    The slope (least squares of loss on ln(rows) over all points, a gain per doubling of
    -slope ln 2) says whether the loss falls with more rows, using every point. Its straight
    line overshoots where the curve flattens, so the next doubling is predicted from the
    measured doublings instead: the last gain times the ratio of the last gain to the one
    before (25 to 50 %), capped at 1, as a power law's gains shrink by a constant factor.
    """
    names = [v.name for v in plan.variants if v.experiment in ("too_little_data", "base")]
    if len(names) < 3:
        return None
    names.sort(key=lambda name: experiments[name].config["train_fraction"])
    fractions = [experiments[name].config["train_fraction"] for name in names]
    masks = {f: fraction_masks(data.y_train, f, plan.seeds, random_state) for f in fractions if f < 1.0}
    rows = [len(data.y_train) if f == 1.0 else round(np.mean([m.sum() for m in masks[f]])) for f in fractions]
    best = np.array([[np.nan if s.get("best_val_loss") is None else s["best_val_loss"]
                      for s in experiments[name].per_seed] for name in names])  # points x seeds
    x = np.log(np.array(rows, dtype="float64"))
    slopes, intercepts, fitted = [], [], []
    for seed in range(best.shape[1]):
        y = best[:, seed]
        if np.isnan(y).any():
            slopes.append(None)
            intercepts.append(None)
            fitted.append(None)
            continue
        slope, intercept = np.polyfit(x, y, 1)
        slopes.append(float(slope))
        intercepts.append(float(intercept))
        fitted.append(float(-slope * math.log(2)))

    def gain(low: float, high: float) -> list[float | None]:
        if low not in fractions or high not in fractions:
            return [None] * best.shape[1]
        i, j = fractions.index(low), fractions.index(high)
        return [None if np.isnan(best[i, k]) or np.isnan(best[j, k]) else float(best[i, k] - best[j, k])
                for k in range(best.shape[1])]

    first, last = gain(0.25, 0.5), gain(0.5, 1.0)
    predicted = []
    for g1, g2 in zip(first, last):
        if g2 is None:
            predicted.append(None)
        elif g1 is None or g1 <= 0 or g2 <= 0:
            predicted.append(max(g2, 0.0))
        else:
            predicted.append(g2 * min(g2 / g1, 1.0))
    next_gain = Spread.of(predicted)
    top = finite(np.nanmean(best[-1])) if not np.isnan(best[-1]).all() else None
    return LearningCurve(
        fractions=tuple(fractions),
        train_rows=tuple(rows),
        variants=tuple(names),
        best_val_loss=tuple(Spread.of([finite(v) for v in point]) for point in best),
        slope=Spread.of(slopes),
        intercept=Spread.of(intercepts),
        fitted_doubling_gain=Spread.of(fitted),
        first_doubling_gain=Spread.of(first),
        last_doubling_gain=Spread.of(last),
        doubling_gain=next_gain,
        predicted_rows=2 * rows[-1],
        predicted_loss=None if top is None or next_gain.mean is None else finite(top - next_gain.mean),
    )
