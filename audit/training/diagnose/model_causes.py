"""Verdicts on the training causes: overfitting, too little data, capacity, regularisation,
learning rate and early stopping, each read from the experiments on the fixed data.

A change *helps* when its mean effect is at least ``MIN_EFFECT_RELATIVE`` (10 %) of the
base's loss and ``MIN_EFFECT_ABSOLUTE`` (0.01 nats), and more than ``SPREAD_FACTOR`` (2)
seed standard deviations; *hurts* mirrors it; below that size it is *small*; a favourable
effect of that size within the spread is *unclear*, an unfavourable one *noise*.

* capacity, regularisation, learning rate: likely when a variant of that knob helps on
  the best val loss, or on the end val loss without hurting the best; for capacity also
  when half against double width (a 4x range) helps monotonely, base in between. Capped at
  inconclusive while the base was still improving at the last epoch in most seeds (early
  stopping never fired): a variant that learns faster then wins by speed alone. Unlikely
  when every effect is small, hurts or noise; inconclusive otherwise. The remedy is the
  variant that helped most.
* too little data: the slope of best val loss against ln(rows) over all four points (per
  doubling: -slope ln 2) and the measured gain of the last doubling (50 to 100 %). Likely
  when both are at least ``DATA_LIKELY_GAIN`` (10 %) of the loss at 100 % and the slope
  is beyond the seed spread; unlikely when either is under ``DATA_UNLIKELY_GAIN`` (3 %).
  The gain of doubling again is predicted from the measured doublings (the last gain
  times its ratio to the one before, capped at 1: a power law's gains shrink by a
  constant factor), not from the straight line, which overshoots where the curve bends.
* overfitting: likely when val loss stalls in most seeds and climbs after its best by at
  least max(``OVERFIT_MIN_CLIMB`` 0.05, ``OVERFIT_RELATIVE`` 25 % of the best); unlikely
  under half of that. A gap alone is not judged: with the val loss flat at its best, the
  gap is what the data does not teach, which the learning curve measures.
* early stopping: likely when the configured patience stops before the best epoch in at
  least half the seeds and that costs at least 10 % of the best val loss (and
  ``EARLY_STOP_MIN_LOSS``); the remedy names the patience that reaches the best in every
  seed. Unlikely when it never stops early or costs under half of that.
* unconverged: when the base was still improving at its last epoch in most seeds, the
  diagnosis trains every experiment again for longer (up to 4x, within the budget) and
  judges this cause on the longer run (likely when it lowers the best val loss the way a
  knob must, unlikely when the change is small); without room in the budget, likely when the
  best epoch is at or near the last in most seeds and the val loss fell over the last
  quarter of the epochs by at least ``UNCONVERGED_RELATIVE`` (5 %) of its best, beyond the
  seed spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.training.diagnose.experiments import paired
from audit.training.diagnose.plan import (
    BASE_LEARNING_RATE,
    DECAY_TO,
    PLATEAU_FACTOR,
    WARMUP_EPOCHS,
    BaseSetup,
    plateau_patience,
    widths_text,
)
from audit.training.diagnose.results import INCONCLUSIVE, LIKELY, UNLIKELY, Cause, Experiment, LearningCurve
from audit.training.diagnose.snippets import snippet
from audit.training.numbers import Spread, epoch_pm, fmt, percent, pm
from audit.training.verdict import SPREAD_FACTOR

MIN_EFFECT_RELATIVE = 0.10
MIN_EFFECT_ABSOLUTE = 0.01
DATA_LIKELY_GAIN = 0.10
DATA_UNLIKELY_GAIN = 0.03
EARLY_STOP_MIN_LOSS = 0.005
OVERFIT_MIN_CLIMB = 0.05
OVERFIT_RELATIVE = 0.25
UNCONVERGED_RELATIVE = 0.05

KNOB_TEXT = {
    "capacity": ("the same network at half and at double width", "width"),
    "regularisation": ("dropout {other} instead of {base}; L2 on every kernel", "regularisation"),
    "learning_rate": (("constant 1e-3 against warm start + exponential decay, reduce on plateau, "
                       "and constant rates at 1/3 and 3x"), "learning rate"),
}


def effect_threshold(scale: float | None) -> float:
    """The size an effect needs to matter: 10 % of the base's loss, and at least 0.01 nats."""
    return max(MIN_EFFECT_RELATIVE * (scale or 0.0), MIN_EFFECT_ABSOLUTE)


def change(effect: Spread, scale: float | None, threshold: float | None = None) -> str:
    """helps / hurts / small / unclear / noise, from a per-seed paired difference (positive = better).

    ``unclear`` is a favourable effect of the size that matters (``threshold``, by default
    :func:`effect_threshold` of ``scale``) but within the seed spread; an unfavourable one
    within the spread is ``noise`` (it cannot make a cause likely, so it leaves nothing to
    settle).
    """
    mean, std = effect.mean, effect.std or 0.0
    if mean is None:
        return "noise"
    if abs(mean) < (effect_threshold(scale) if threshold is None else threshold):
        return "small"
    if effect.n >= 2 and abs(mean) > SPREAD_FACTOR * std:
        return "helps" if mean > 0 else "hurts"
    return "unclear" if mean > 0 else "noise"


def overfitting(base: Experiment, setup: BaseSetup) -> Cause:
    """Does the base, on the fixed data, still get worse with more training (val loss climbing after its best)?

    A gap alone is not judged: with val loss flat at its best, the gap is what the data
    does not teach, which the learning curve measures; a climb is training that hurts.
    """
    s = base.summary
    best, climb, gap = s["best_val_loss"].mean, s["climb_after_best"].mean, s["end_gap"].mean
    stalls = sum(p.get("stall_epoch") is not None for p in base.per_seed)
    n = len(base.per_seed)
    limit = max(OVERFIT_MIN_CLIMB, OVERFIT_RELATIVE * (best or 0))
    experiment = "the base network on the fixed data, over the full epoch budget"
    effect = (f"val loss lowest at epoch {epoch_pm(s['best_epoch'])} ({pm(s['best_val_loss'])}), then climbs "
              f"{pm(s['climb_after_best'])} by epoch {setup.epochs}; train loss ends at "
              f"{pm(s['train_loss_end'])}, gap {pm(s['end_gap'])}; val loss stalls in {stalls} of {n} seeds")
    numbers = {"climb_limit": limit, "seeds_stalling": stalls}
    prior = setup.prior_val_loss
    if best is not None and prior is not None and best >= prior:
        return Cause("overfitting", experiment, effect, INCONCLUSIVE,
                     f"its best val loss never beats predicting the class shares ({fmt(prior)}): it learns nothing "
                     "to overfit with", "check that the features carry the label; see the other rows",
                     numbers=numbers)
    climb = climb or 0.0
    if stalls * 2 >= n and climb >= limit:
        verdict = LIKELY
        reason = (f"val loss stalls while train loss keeps falling, then climbs {fmt(climb)} (at least "
                  f"{fmt(limit)}): more training makes the model worse")
        remedy = "stop at the best epoch (EarlyStopping with restore_best_weights) and apply the model remedies below"
        code = snippet(setup, patience=setup.patience, early_stopping=True)
    elif climb < limit / 2:
        verdict, code = UNLIKELY, None
        reason = f"val loss does not climb after its best ({fmt(climb)}, under {fmt(limit / 2)})"
        if (gap or 0) > 0:
            reason += f"; the gap of {fmt(gap)} is what the data does not teach (see too little data)"
        remedy = "nothing to do for overfitting itself"
    else:
        verdict, code = INCONCLUSIVE, None
        reason = f"val loss climbs {fmt(climb)} after its best: between {fmt(limit / 2)} and {fmt(limit)}"
        remedy = "watch the val loss; early stopping with restore_best_weights is cheap insurance"
    return Cause("overfitting", experiment, effect, verdict, reason, remedy, code, numbers)


def too_little_data(learning: LearningCurve | None) -> Cause:
    """Would more rows of the same kind help? The slope says whether, the top of the curve how much."""
    experiment = "learning curve: the base on 25, 50, 75 and 100% of the train rows, same validation rows"
    if learning is None:
        return Cause("too_little_data", experiment, "not measured (cut by the time budget)", INCONCLUSIVE,
                     "the learning curve was not trained", "raise --diagnose-budget to measure it")
    points = ", ".join(f"{rows} rows {pm(loss)}" for rows, loss in zip(learning.train_rows, learning.best_val_loss))
    fitted, last, predicted = learning.fitted_doubling_gain, learning.last_doubling_gain, learning.doubling_gain
    top = learning.best_val_loss[-1].mean
    effect = (f"best val loss {points}; the log-linear slope gives {pm(fitted)} per doubling, the last doubling "
              f"(50 to 100%) gained {pm(last)}; doubling again predicts {pm(predicted)} "
              f"(to about {fmt(learning.predicted_loss)} at {learning.predicted_rows} rows)")
    threshold = max(DATA_LIKELY_GAIN * (top or 0), MIN_EFFECT_ABSOLUTE)
    low = DATA_UNLIKELY_GAIN * (top or 0)
    slope_mean, slope_std = fitted.mean, fitted.std or 0.0
    last_mean = last.mean
    numbers = {"threshold": threshold, "unlikely_below": low}
    slope_clear = slope_mean is not None and slope_mean >= threshold and (
        fitted.n < 2 or slope_mean > SPREAD_FACTOR * slope_std)
    if slope_clear and last_mean is not None and last_mean >= threshold:
        verdict = LIKELY
        reason = (f"val loss still falls clearly at 100%: {fmt(slope_mean)} per doubling along the curve, beyond "
                  f"{SPREAD_FACTOR:g} seed std ({fmt(slope_std)}), and {fmt(last_mean)} over the last doubling, "
                  f"both at least {fmt(threshold)} ({percent(DATA_LIKELY_GAIN)} of the loss)")
    elif slope_mean is None or last_mean is None or slope_mean < low or last_mean < low:
        verdict = UNLIKELY
        reason = (f"the curve is flat at the top: the last doubling gained {fmt(last_mean)} and the slope gives "
                  f"{fmt(slope_mean)} per doubling; one of them is under {fmt(low)} "
                  f"({percent(DATA_UNLIKELY_GAIN)} of the loss)")
    else:
        verdict = INCONCLUSIVE
        reason = (f"the slope gives {pm(fitted)} per doubling and the last doubling gained {pm(last)}: not both "
                  f"at least {fmt(threshold)} with the slope beyond {SPREAD_FACTOR:g} seed std")
    if verdict == LIKELY:
        remedy = (f"collect more labelled rows: doubling to {learning.predicted_rows} rows predicts a val "
                  f"loss of about {fmt(learning.predicted_loss)}; until then lean on regularisation, "
                  "augmentation and early stopping")
    elif verdict == UNLIKELY:
        remedy = "more rows of the same kind are not where the gain is"
    else:
        remedy = "not settled: a larger budget (more seeds) would narrow the spread"
    return Cause("too_little_data", experiment, effect, verdict, reason, remedy, numbers=numbers)


def knob(cause: str, experiments: Mapping[str, Experiment], setup: BaseSetup) -> Cause:
    """Capacity, regularisation or learning rate: does some variant of this knob clearly beat the base?

    For capacity the half and double widths are also compared with each other: across
    that 4x range a clear, monotone change (base in between) shows the val loss follows
    the width even when one halving is not enough to clear the bar on its own.
    """
    base = experiments["base"]
    variants = {name: e for name, e in experiments.items() if e.experiment == cause}
    experiment = KNOB_TEXT[cause][0]
    if cause == "regularisation":
        other = next((e.config["dropout"] for e in variants.values() if e.config["dropout"] != setup.dropout), None)
        experiment = experiment.format(other=fmt(other, 1) if other is not None else "n/a",
                                       base=fmt(setup.dropout, 1))
        strengths = sorted(e.config["l2"] for e in variants.values() if e.config["l2"])
        experiment += " (" + ", ".join(f"{s:g}" for s in strengths) + ")" if strengths else ""
    if not variants:
        return Cause(cause, experiment, "not measured (cut by the time budget)", INCONCLUSIVE,
                     "no variant was trained", "raise --diagnose-budget")
    best_scale = base.summary["best_val_loss"].mean
    end_scale = base.summary["val_loss_end"].mean
    judged = {name: (change(e.effect["best_val_loss"], best_scale), change(e.effect["val_loss_end"], end_scale))
              for name, e in variants.items()}
    helping = [n for n, (b, e) in judged.items() if b == "helps" or (e == "helps" and b != "hurts")]
    quiet = all(b in ("small", "hurts", "noise") and e in ("small", "hurts", "noise") for b, e in judged.values())
    effect = f"base: best {pm(base.summary['best_val_loss'])}, end {pm(base.summary['val_loss_end'])}, " \
             f"stall {epoch_pm(base.summary['stall_epoch'])}; " \
             + "; ".join(_variant_effect(variants[name]) for name in variants)
    numbers: dict[str, Any] = {"judged": {name: {"best_val_loss": b, "val_loss_end": e}
                                          for name, (b, e) in judged.items()},
                               "threshold_best": effect_threshold(best_scale),
                               "threshold_end": effect_threshold(end_scale)}
    span = _capacity_span(base, variants, best_scale, end_scale) if cause == "capacity" else None
    if span is not None:
        numbers["span"] = span
    winner, reason = None, ""
    if helping:
        winner = max(helping, key=lambda n: (judged[n][0] == "helps",
                                            variants[n].effect["best_val_loss"].mean or -math.inf))
        entry = variants[winner]
        d_best, d_end = entry.effect["best_val_loss"], entry.effect["val_loss_end"]
        reason = (f"{entry.label} lowers the best val loss by {pm(d_best)} and the end val loss by {pm(d_end)} "
                  f"(base minus variant over {d_best.n} seeds; it takes at least "
                  f"{fmt(effect_threshold(best_scale))} and {SPREAD_FACTOR:g} std)")
    elif span is not None and span["winner"]:
        winner = span["winner"]
        reason = span["reason"]
    if winner is not None:
        entry = variants[winner]
        still = still_improving(base)
        if still * 2 >= len(base.per_seed):
            return Cause(cause, experiment, effect, INCONCLUSIVE,
                         f"{reason}; but the base was still improving when the {setup.epochs} epochs ran out "
                         f"({still} of {len(base.per_seed)} seeds), so the variant may only learn faster: train "
                         "longer to tell", f"first raise the epoch budget; then consider: "
                         f"{_knob_remedy(cause, entry, setup)}", numbers=numbers, remedy_variant=winner)
        return Cause(cause, experiment, effect, LIKELY, reason, _knob_remedy(cause, entry, setup),
                     snippet(setup, **_snippet_changes(entry)), numbers, winner)
    if quiet and (span is None or span["quiet"]):
        reason = (f"no variant changes the best or the end val loss by {fmt(effect_threshold(best_scale))} or more "
                  "in its favour beyond the seed spread")
        return Cause(cause, experiment, effect, UNLIKELY, reason, f"keep the {KNOB_TEXT[cause][1]} as it is",
                     numbers=numbers)
    unclear = [variants[n].label for n, (b, e) in judged.items() if "unclear" in (b, e)]
    if span is not None and not span["quiet"]:
        unclear.append("half against double width")
    reason = (f"{', '.join(unclear) or 'some variant'}: an effect of the size that matters, but within "
              f"{SPREAD_FACTOR:g} seed std; more seeds would settle it")
    return Cause(cause, experiment, effect, INCONCLUSIVE, reason, "not settled: rerun with a larger budget (more seeds)",
                 numbers=numbers)


def early_stopping(base: Experiment, setup: BaseSetup) -> Cause:
    """Would the configured patience stop before the best epoch, and what would that cost?"""
    patience = setup.patience
    per_seed = base.per_seed
    early = [p for p in per_seed if p.get("early_stop_epoch") is not None
             and p.get("early_stop_restored_epoch") != p.get("best_epoch")]
    s = base.summary
    cost = s["early_stop_cost"]
    needed = max((p.get("patience_needed") or 0 for p in per_seed), default=patience)
    best_epoch_last = sum(p.get("best_epoch") == p.get("epochs_run") for p in per_seed)
    effect = (f"with patience {patience}, EarlyStopping stops before the best epoch in {len(early)} of {len(per_seed)} "
              f"seeds; it restores epoch {epoch_pm(s['early_stop_restored_epoch'])} (val loss "
              f"{pm(s['early_stop_val_loss'])}) against the best epoch {epoch_pm(s['best_epoch'])} "
              f"({pm(s['best_val_loss'])}); patience {needed} reaches the best in every seed")
    if best_epoch_last:
        effect += f"; in {best_epoch_last} seed(s) the best is the last epoch, so more epochs may help"
    limit = max(MIN_EFFECT_RELATIVE * (s["best_val_loss"].mean or 0), EARLY_STOP_MIN_LOSS)
    mean_cost = cost.mean or 0.0
    if len(early) * 2 >= len(per_seed) and mean_cost >= limit:
        verdict = LIKELY
        reason = (f"patience {patience} gives up {pm(cost)} of val loss (at least {fmt(limit)}) in most seeds; "
                  f"patience {needed} would not")
    elif not early or mean_cost < limit / 2:
        verdict = UNLIKELY
        reason = (f"patience {patience} costs {pm(cost)} of val loss, under {fmt(limit / 2)}" if early
                  else f"patience {patience} never stops before the best epoch")
    else:
        verdict = INCONCLUSIVE
        reason = f"patience {patience} stops early in {len(early)} seed(s), costing {pm(cost)}: not clearly"
    wanted = max(needed, patience) if verdict == LIKELY else patience
    remedy = (f"EarlyStopping(monitor='val_loss', patience={wanted}, restore_best_weights=True)"
              + ("" if verdict == LIKELY else "; the configured patience is fine"))
    if best_epoch_last and verdict != LIKELY:
        remedy += "; raise the epoch budget, the val loss was still improving"
    code = snippet(setup, patience=wanted, early_stopping=True,
                   epochs=setup.epochs * (2 if best_epoch_last and verdict != LIKELY else 1))
    return Cause("early_stopping", f"the base curves replayed through EarlyStopping(patience={patience})", effect,
                 verdict, reason, remedy, code,
                 {"patience": patience, "patience_needed": needed, "seeds_stopping_early": len(early),
                  "cost": cost, "limit": limit, "seeds_best_at_last_epoch": best_epoch_last})


def unconverged(base: Experiment, setup: BaseSetup, settled: Experiment | None = None,
                epochs: int | None = None) -> Cause:
    """Did training stop before the val loss settled? Then every other comparison is between
    unfinished models.

    With ``settled`` (the base trained again for ``setup.epochs`` after ``base`` ran
    ``epochs``, because it was still improving) the longer run is the experiment: likely when
    it lowers the best val loss by the size that matters beyond the seed spread, unlikely when
    the change is small. Without it, the curves: the best epoch at or near the last in most
    seeds and the val loss still falling over the last quarter of the epochs by the size that
    matters, beyond the seed spread."""
    if settled is not None:
        return _longer_training(base, settled, setup, epochs or setup.epochs)
    curves = [np.asarray([v for v in seed if v is not None], dtype=float) for seed in base.per_seed_curves["val_loss"]]
    curves = [c for c in curves if len(c) >= 4 and np.isfinite(c).all()]
    experiment = "the base network's val loss over its last epochs"
    if not curves:
        return Cause("unconverged", experiment, "too few epochs to judge", INCONCLUSIVE,
                     "fewer than four epochs were trained", "train for more epochs", numbers={})
    near_end = sum(int(np.argmin(c)) >= len(c) - 1 - max(1, len(c) // 10) for c in curves)
    quarter = [max(1, len(c) // 4) for c in curves]
    falling = Spread.of([float(c[-q - 1] - c[-1]) for c, q in zip(curves, quarter)])
    best = min(float(c.min()) for c in curves)
    limit = max(UNCONVERGED_RELATIVE * best, EARLY_STOP_MIN_LOSS)
    mean, std = falling.mean or 0.0, falling.std or 0.0
    effect = (f"the best val loss is at or near the last epoch in {near_end} of {len(curves)} seeds; over the last "
              f"quarter of the epochs it fell {pm(falling)}")
    numbers = {"seeds_best_near_last": near_end, "last_quarter_drop": falling, "limit": limit}
    if near_end * 2 > len(curves) and mean >= limit and mean > SPREAD_FACTOR * std:
        verdict = LIKELY
        reason = (f"training stopped before the validation loss settled: it still fell {fmt(mean)} (at least "
                  f"{fmt(limit)}, beyond 2 seed std) at the end, so the other rows compare unfinished models")
        remedy = f"train longer (epochs={setup.epochs * 2}) or raise the learning rate, then judge again"
        code = snippet(setup, epochs=setup.epochs * 2)
    elif near_end == 0 or mean < limit / 2:
        verdict, code = UNLIKELY, None
        reason = f"the val loss settled before the last epoch (it moved {fmt(mean)} over the last quarter)"
        remedy = "nothing to do: the epoch budget is long enough"
    else:
        verdict, code = INCONCLUSIVE, None
        reason = f"the val loss may still be falling ({pm(falling)} over the last quarter), not clearly"
        remedy = "try a longer epoch budget"
    return Cause("unconverged", experiment, effect, verdict, reason, remedy, code, numbers)


def _longer_training(base: Experiment, settled: Experiment, setup: BaseSetup, epochs: int) -> Cause:
    """The base trained for ``setup.epochs`` against the same seeds' run of ``epochs``: does the longer run
    reach a clearly lower val loss?"""
    s, longer = base.summary, settled.summary
    scale = s["best_val_loss"].mean
    gain = paired(base.per_seed, settled.per_seed, "best_val_loss")
    judged = change(gain, scale)
    experiment = f"the base network trained for {setup.epochs} epochs instead of {epochs}, same seeds"
    effect = (f"after {epochs} epochs: best val loss {pm(s['best_val_loss'])} at epoch {epoch_pm(s['best_epoch'])}; "
              f"after {setup.epochs}: {pm(longer['best_val_loss'])} at epoch {epoch_pm(longer['best_epoch'])}")
    numbers = {"epochs": epochs, "settle_epochs": setup.epochs, "best_val_loss_drop": gain, "judged": judged,
               "threshold": effect_threshold(scale)}
    best_epoch = longer["best_epoch"].max
    needed = int(min(setup.epochs, math.ceil(1.25 * best_epoch))) if best_epoch else setup.epochs
    if judged == "helps":
        reason = (f"training stopped before the validation loss settled: {setup.epochs} epochs lower the best val "
                  f"loss by {pm(gain)} (at least {fmt(effect_threshold(scale))}, beyond {SPREAD_FACTOR:g} seed std); "
                  f"the other rows are judged on the longer run")
        return Cause("unconverged", experiment, effect, LIKELY, reason,
                     f"train longer (epochs={needed}, past the best epoch of the longer run) or raise the learning "
                     "rate", snippet(setup, epochs=needed, patience=setup.patience, early_stopping=True), numbers)
    if judged in ("small", "hurts", "noise"):
        return Cause("unconverged", experiment, effect, UNLIKELY,
                     f"training {setup.epochs} epochs instead of {epochs} changes the best val loss by {pm(gain)}: "
                     f"under {fmt(effect_threshold(scale))}, or not in its favour", "the epoch budget is long enough",
                     numbers=numbers)
    return Cause("unconverged", experiment, effect, INCONCLUSIVE,
                 f"training longer lowers the best val loss by {pm(gain)}, within {SPREAD_FACTOR:g} seed std",
                 "try a longer epoch budget with more seeds", numbers=numbers)


def still_improving(base: Experiment) -> int:
    """Seeds whose val loss was still improving at the last epoch (early stopping never fired)."""
    return sum(p.get("early_stop_epoch") is None and p.get("epochs_run", 0) > 0 for p in base.per_seed)


def _capacity_span(base: Experiment, variants: Mapping[str, Experiment], best_scale: float | None,
                   end_scale: float | None) -> dict[str, Any] | None:
    """Half against double width, per seed: which end of the range is better, if clearly and monotonely."""
    half, double = variants.get("width_half"), variants.get("width_double")
    if half is None or double is None:
        return None
    result: dict[str, Any] = {"winner": None, "reason": "", "quiet": True}
    for metric, scale in (("best_val_loss", best_scale), ("val_loss_end", end_scale)):
        difference = paired(double.per_seed, half.per_seed, metric)  # positive: half is lower
        changed = change(difference, scale)
        result[metric] = {"double_minus_half": difference, "change": changed}
        if changed == "unclear" or (changed == "noise" and abs(difference.mean or 0) >= effect_threshold(scale)):
            result["quiet"] = False
        if changed not in ("helps", "hurts") or result["winner"]:
            continue
        means = [e.summary[metric].mean for e in (half, base, double)]
        if None in means or not (means[0] <= means[1] <= means[2] or means[0] >= means[1] >= means[2]):
            result["quiet"] = False
            continue
        result["winner"] = "width_half" if changed == "helps" else "width_double"
        stalls = [epoch_pm(e.summary["stall_epoch"]) for e in (half, base, double)]
        what = "best" if metric == "best_val_loss" else "end"
        result["reason"] = (
            f"across the 4x range of width the {what} val loss goes {fmt(means[0])} (half), {fmt(means[1])} "
            f"(base), {fmt(means[2])} (double): half minus double {pm(difference.negated())}, beyond "
            f"{SPREAD_FACTOR:g} seed std; the stall epoch goes {stalls[0]}, {stalls[1]}, {stalls[2]}"
            + ("; the bigger the network, the sooner and further it overfits" if changed == "helps"
               else "; the bigger the network, the lower its val loss")
        )
    return result


def _variant_effect(entry: Experiment) -> str:
    s = entry.summary
    return (f"{entry.label}: best {pm(s['best_val_loss'])}, end {pm(s['val_loss_end'])}, "
            f"gap {pm(s['end_gap'])}, stall {epoch_pm(s['stall_epoch'])}")


def _knob_remedy(cause: str, entry: Experiment, setup: BaseSetup) -> str:
    config = entry.config
    if cause == "capacity":
        direction = "narrower" if config["widths"][0] < setup.widths[0] else "wider"
        return f"make the network {direction}: hidden layers of {widths_text(config['widths'])}"
    if cause == "regularisation":
        if config["l2"]:
            return f"add an L2 penalty of {config['l2']:g} to the kernels"
        return f"use dropout {config['dropout']:g}"
    if config["lr_mode"] == "decay":
        return (f"warm the learning rate up over {WARMUP_EPOCHS} epochs, then decay it exponentially to "
                f"{DECAY_TO:g}x by the last epoch")
    if config["lr_mode"] == "plateau":
        return (f"cut the learning rate by {PLATEAU_FACTOR:g}x after {plateau_patience(setup.patience)} epochs "
                "without a new best val loss")
    return f"use a learning rate of {config['lr_factor'] * BASE_LEARNING_RATE:.2g}"


def _snippet_changes(entry: Experiment) -> dict[str, Any]:
    config = entry.config
    return {"widths": tuple(config["widths"]), "dropout": config["dropout"], "l2": config["l2"],
            "lr_mode": config["lr_mode"], "lr_factor": config["lr_factor"]}
