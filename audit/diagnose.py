"""Diagnose a stalling validation loss: one controlled experiment a cause, each with a remedy.

Training loss keeps falling while validation loss converges early. The checks say what is
wrong with the data and the baseline whether fixing it helps; this stage tests the other
hypotheses an engineer would test, on the FIXED data (the fix plan applied) with the
baseline's network, and reports one row a cause: the experiment, the measured effect with
its seed spread, a verdict (likely / unlikely / inconclusive) and the remedy, with a Keras
snippet built from the settings that won.

Experiments
-----------
Every variant is trained for the baseline's epoch budget from ``seeds`` initialisations,
all of them side by side in ONE packed model (see Speed):

* ``base``: the baseline network (``default``: Dense(128, relu), Dropout(0.5); ``wide``:
  two Dense(512, relu), no dropout) with Adam at 1e-3 and balanced class weights when the
  classes are 3x apart, as the baseline trains it. A model file cannot be varied: its
  diagnosis varies the ``default`` network and says so.
* too little data: ``base`` on 25, 50 and 75 % of the train rows (nested, stratified by
  class, drawn anew for every seed), scored on the same validation rows.
* capacity: every hidden layer at half and at double width.
* regularisation: the other dropout (0 when the base has dropout, 0.5 when not), and L2
  penalties of 1e-4 and 1e-3 on every kernel on top of the base.
* learning rate: a warm start (2 epochs rising to the base rate) then exponential decay to
  a tenth of it by the last epoch; reduce-on-plateau (x0.2 after ``max(2, patience // 2)``
  epochs without a new best val loss, as Keras' ReduceLROnPlateau); constant rates of 1/3
  and 3 times the base rate.
* early stopping and overfitting: no training; the ``base`` curves read the way Keras'
  EarlyStopping with the configured patience reads them.
* data causes (noisy labels, duplicates, leakage, imbalance): no training; the findings
  and the baseline's raw-vs-fixed comparison.

Reading the numbers
-------------------
Losses are cross-entropy in nats, computed at every epoch end from each member's
predictions in inference mode (dropout off, no class weights); a member's train loss is
over the rows it trains on, so the gap (val minus train) means the same for every variant,
dropout or not. Per seed: the best val loss (what EarlyStopping with restore_best_weights
and unlimited patience keeps), the val loss at the last epoch (what training without early
stopping keeps), the gap, the stall epoch (as the baseline defines it). A variant's effect
is the per-seed difference base minus variant (positive: the variant is better), with its
mean and sample std over seeds.

Verdicts
--------
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
* noisy labels, duplicates: likely when flagged at fail and the baseline's fixes trained
  clearly better (verdict ``data``) or no baseline ran; also when flagged at warn and the
  only data fix in the plan. Inconclusive when the fixed data trains no better, or when a
  warned finding shares the measured gain with other fixes; unlikely when the checks
  that look for it ran and found nothing (inconclusive when none ran).
* leakage: likely when flagged at fail or the baseline measured the raw val loss inflated
  (verdict ``leakage``). Imbalance: likely when a class_imbalance (train), label_shift or
  unseen_labels finding fails, inconclusive when one warns (the class weights' effect is
  not measured alone).

Measured with 3 seeds on 2 cores (tests/test_diagnose.py builds these cases):

* (a) 120 train rows of four well separated classes, 150 epochs: too little data likely
  (0.096 +- 0.041 per doubling along the curve, 0.057 over the last doubling, best val loss
  0.50 at 30 rows to 0.33 at 120); capacity, regularisation and learning rate unlikely
  (no effect reaches 0.033), overfitting unlikely (climb 0.005).
* (b) 100 clean rows, 8 informative of 20 features, the wide network without dropout,
  25 epochs: best val loss 0.90, stalling around epoch 7, then climbing 0.34 while train
  loss heads to 0. Capacity likely (end val loss 1.01 at half width, 1.24 base, 1.45
  double; the stall moves from epoch 11 to 7 to 3), regularisation likely (dropout 0.5
  lowers the end val loss by 0.28 +- 0.01), learning rate likely too (a lower or decaying
  rate slows the climb, as early stopping would).
* (c) digits, 20 % of train labels flipped, fixed = flipped rows dropped: the baseline's
  reference loss falls 0.41 to 0.12 (verdict data), so noisy labels are likely; on the
  fixed data no model knob is likely (with 30 epochs the base is still improving, and a 3x
  learning rate wins by speed: inconclusive, said so).
* the demo (1.2k fixed train rows, thinned class): too little data likely (best val loss
  0.39 at 300 rows to 0.14 at 1.2k), no model knob likely.

Speed
-----
The network is tiny, so Keras' per-step overhead sets its speed, and separate Keras
sub-models pay it once a copy (36 copies of the default network took 12x the time of 3).
Here every variant and seed of one hidden shape is one *packed* layer whose kernels carry a
member axis: the first layer is a single matrix product for all members, the rest batched
products. Each member has its own initialisation (Glorot uniform, as Dense), dropout rate
and mask, L2 coefficient (members with a penalty get their own packed layer, so it covers
their kernels only) and learning-rate factor (the optimizer scales each member's slice of
the step; Adam is elementwise, so members stay independent). A member trained on a
fraction of the rows gives the others' rows weight 0 and its own n/n_subset, so its loss
and gradient scale match a run on its rows alone; it takes the full run's steps. One loss
sums the members', so Keras runs one step for all. The cost grows with the weights, not
the members: 39 members of the default network on 1.2k rows x 64 features for 40 epochs
take about 16 s of CPU; at small batches Adam's elementwise passes over the weights
dominate, so the wide network costs about 30x more.

The time budget picks the plan before training, from a cost model fitted on this machine,
within ``PLAN_SHARE`` (70 %) of the budget: optional variants (L2 1e-4, the constant 1/3
and 3x rates) go first, then seeds (3 to 2), then a stratified sample of the train rows
(down to 500), then epochs (down to 15); ``budget.cuts`` lists what went. A deadline
stops training at the budget regardless, and the result says so.
"""

from __future__ import annotations

import itertools
import logging
import math
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from audit import _keras_runtime
from audit.baseline import (
    PROBABILITY_EPSILON,
    SPREAD_FACTOR,
    STEPS_PER_EXECUTION,
    BaselineSettings,
    BaselineSplit,
    Prepared,
    batch_size_for,
    class_weight,
    curve_numbers,
    json_label,
    prepare_splits,
    spread,
)

log = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 60.0
SEEDS = 3
MIN_SEEDS = 2
FRACTIONS = (0.25, 0.5, 0.75)
MIN_SAMPLE_ROWS = 500
MAX_VAL_ROWS = 5_000
MAX_EVAL_TRAIN_ROWS = 5_000
MIN_EPOCHS = 15
PREDICT_CHUNK = 8_192

BASE_LEARNING_RATE = 1e-3
ALT_DROPOUT = 0.5
L2_STRENGTHS = (1e-4, 1e-3)
LR_FACTORS = (1 / 3, 3.0)
WARMUP_EPOCHS = 2
DECAY_TO = 0.1
PLATEAU_FACTOR = 0.2
PLATEAU_MIN_DELTA = 1e-4  # Keras' ReduceLROnPlateau default

MIN_EFFECT_RELATIVE = 0.10
MIN_EFFECT_ABSOLUTE = 0.01
DATA_LIKELY_GAIN = 0.10
DATA_UNLIKELY_GAIN = 0.03
EARLY_STOP_MIN_LOSS = 0.005
OVERFIT_MIN_CLIMB = 0.05
OVERFIT_RELATIVE = 0.25

NETWORKS = {"default": ((128,), 0.5), "wide": ((512, 512), 0.0)}

LIKELY, UNLIKELY, INCONCLUSIVE = "likely", "unlikely", "inconclusive"

CAUSES = (
    ("overfitting", "Overfitting"),
    ("too_little_data", "Too little data"),
    ("capacity", "Model capacity"),
    ("regularisation", "Regularisation"),
    ("learning_rate", "Learning rate"),
    ("early_stopping", "Early stopping"),
    ("label_noise", "Noisy labels"),
    ("duplicates", "Duplicates"),
    ("leakage", "Leakage"),
    ("imbalance", "Class imbalance"),
)
CAUSE_CODES = {
    "label_noise": ("label_issues", "conflicting_labels"),
    "duplicates": ("exact_duplicates", "near_duplicates"),
    "leakage": ("exact_leakage", "near_leakage", "group_leakage", "temporal_leakage", "target_leakage"),
    "imbalance": ("class_imbalance", "label_shift", "unseen_labels"),
}

# CPU seconds on 2 cores (tensorflow 2.21, keras 3.15), fitted to packed models of 0.4M-12.7M
# weights at batch 32 and 256: the import; building and tracing the model, plus a share a
# packed layer; the fixed cost of an epoch and of a training step; per weight and step, the
# optimizer's update (Adam's elementwise passes dominate at small batches) and the forward
# and backward pass of one row; per weight and evaluated row, the end-of-epoch scoring.
# Within about 40 % on the measured shapes; the plan keeps PLAN_SHARE of the budget for it.
_IMPORT_S = 4.0
_BUILD_S = 1.5
_GROUP_S = 0.3
_EPOCH_S = 0.03
_STEP_S = 2e-3
_UPDATE_WEIGHT_S = 6e-9
_ROW_WEIGHT_S = 1.5e-10
_EVAL_ROW_WEIGHT_S = 4e-11
PLAN_SHARE = 0.7


@dataclass(frozen=True)
class DiagnoseSettings:
    """How much to spend on the diagnosis.

    ``budget_s`` bounds the wall time of training (the plan is made to fit it, and a
    deadline enforces it). ``epochs``, ``patience``, ``model`` and ``batch_size`` default
    to the baseline's, so the experiments vary one thing at a time from what it trained.
    """

    budget_s: float = DEFAULT_BUDGET_S
    seeds: int = SEEDS
    epochs: int | None = None
    patience: int | None = None
    model: str | None = None
    batch_size: int | None = None
    random_state: int = 0


@dataclass(frozen=True)
class Variant:
    """One configuration of the network: what the experiment changed from the base."""

    name: str
    experiment: str
    label: str
    widths: tuple[int, ...]
    dropout: float
    l2: float = 0.0
    lr_mode: str = "constant"  # constant | decay | plateau
    lr_factor: float = 1.0
    fraction: float = 1.0
    optional: bool = False

    def config(self) -> dict:
        return {"widths": list(self.widths), "dropout": self.dropout, "l2": self.l2, "lr_mode": self.lr_mode,
                "lr_factor": self.lr_factor, "train_fraction": self.fraction}


@dataclass(frozen=True)
class Plan:
    """What the budget allows: seeds, rows, epochs, variants, and what had to go."""

    seeds: int
    train_rows: int
    val_rows: int
    epochs: int
    variants: tuple[Variant, ...]
    estimated_s: float
    cuts: tuple[str, ...] = ()


@dataclass
class _Inputs:
    """The matrices the experiments train on, and where they came from."""

    prepared: Prepared
    classes: list
    n_train_full: int
    n_val_full: int
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- public


def diagnose(report: Any, settings: DiagnoseSettings | None = None, progress: Any = None) -> dict:
    """Diagnose a report's fixed data; the result goes into ``report.diagnosis``.

    Reads the fix plan (``report.plan``, made by :func:`audit.api.complete`), the findings
    and the baseline's comparison; trains on ``plan.fixed_frames(data)``. Returns a
    JSON-safe dict; ``status`` is ``skipped`` with a ``reason`` when it cannot run.
    """
    from audit.fixes import FixOptions, build_plan
    from checks import REGISTRY

    settings = settings or DiagnoseSettings()
    data = report.data
    if "val" not in data.frames:
        return skipped("no validation split: the diagnosis compares training with validation loss")
    plan = report.plan or build_plan(report.all_findings, data, FixOptions.recorded(report.fixes))
    fixed = plan.fixed_frames(data)
    if fixed.train.empty or fixed.val is None or fixed.val.empty:
        return skipped("the fix plan leaves no training or no validation rows")
    ran = {code for r in report.results if r.status == "ran" for code in getattr(REGISTRY.get(r.check), "codes", ())}

    def split(frame: Any) -> BaselineSplit:
        return BaselineSplit(frame[data.feature_columns], frame[data.label].to_numpy())

    baseline = dict(report.baseline) if isinstance(report.baseline, Mapping) else None
    options = (report.settings or {}).get("baseline")
    if isinstance(options, Mapping) and not isinstance((baseline or {}).get("settings"), Mapping):
        # the baseline did not train (disabled or skipped): its configured settings still apply
        baseline = {**(baseline or {}), "settings": {k: options[k] for k in ("model", "model_file", "epochs",
                                                                             "patience") if k in options}}
    return run_diagnosis(split(fixed.train), split(fixed.val), findings=[f for _, f in report.all_findings],
                         checked_codes=ran, baseline=baseline, settings=settings, progress=progress)


def skipped(reason: str) -> dict:
    return {"status": "skipped", "reason": reason, "causes": []}


def run_diagnosis(
    train: BaselineSplit,
    val: BaselineSplit,
    *,
    findings: Iterable[Any] = (),
    checked_codes: Iterable[str] | None = None,
    baseline: Mapping[str, Any] | None = None,
    settings: DiagnoseSettings | None = None,
    progress: Any = None,
) -> dict:
    """Run the experiments on a (fixed) train/val pair and judge every cause.

    ``findings`` are the checks' findings (``checks.Finding``), ``checked_codes`` the
    finding codes of the checks that ran (None: every code counts as checked),
    ``baseline`` the result of :func:`audit.baseline.run_baseline` (or None). Returns a
    JSON-safe dict (no NaN or infinity): ``causes`` (the table), ``experiments`` (every
    variant's per-seed numbers and curves), ``learning_curve``, ``budget``, ``network``.
    """
    started = time.perf_counter()
    settings = settings or DiagnoseSettings()
    if settings.seeds < 1 or not settings.budget_s > 0:
        raise ValueError(f"The diagnosis needs at least 1 seed and a positive budget. Got seeds={settings.seeds}, "
                         f"budget_s={settings.budget_s} instead.")
    say = progress or (lambda step: None)
    findings = list(findings)
    checked = None if checked_codes is None else set(checked_codes)
    base_settings = _baseline_settings(baseline, settings)
    try:
        inputs = _inputs(train, val, settings)
    except ValueError as error:
        return skipped(f"the network cannot train on this data: {error}")
    model = base_settings["model"]
    widths, dropout = NETWORKS[model]
    batch_size = base_settings["batch_size"] or batch_size_for(inputs.n_train_full, BaselineSettings())
    plan = plan_budget(inputs.n_train_full, min(inputs.n_val_full, MAX_VAL_ROWS), inputs.prepared.x_train.shape[1],
                       len(inputs.classes), widths, dropout, settings.budget_s, seeds=settings.seeds,
                       epochs=base_settings["epochs"], batch_size=batch_size,
                       keras_loaded="keras" in sys.modules)
    if plan is None:
        return skipped(
            f"even the smallest plan ({MIN_SEEDS} seeds, {MIN_SAMPLE_ROWS} rows, {MIN_EPOCHS} epochs) would take "
            f"longer than the {settings.budget_s:.0f} s budget; raise --diagnose-budget"
        )
    if base_settings["model_file"]:
        inputs.notes.append(f"the baseline trains a model file, which cannot be varied: these experiments vary the "
                            f"built-in {model} network instead")
    data = _sampled(inputs, plan, settings.random_state)
    log.info("diagnosis: %d variants x %d seeds x %d epochs on %d rows (estimate %.0f s; cut: %s)",
             len(plan.variants), plan.seeds, plan.epochs, len(data.y_train), plan.estimated_s,
             "; ".join(plan.cuts) or "nothing")
    say(f"diagnose: {len(plan.variants)} variants x {plan.seeds} seeds x {plan.epochs} epochs on "
        f"{len(data.y_train)} rows")
    deadline = started + settings.budget_s
    members = [(variant, seed) for variant in plan.variants for seed in range(plan.seeds)]
    fit_started, fit_cpu = time.perf_counter(), time.process_time()
    try:
        curves, stopped = _train_members(data, members, len(inputs.classes), plan.epochs, batch_size,
                                         base_settings["patience"], settings.random_state, deadline)
    finally:
        say("")
    fit_s, fit_cpu_s = time.perf_counter() - fit_started, time.process_time() - fit_cpu
    patience = base_settings["patience"]
    experiments = _experiments(plan, curves, patience)
    learning = _learning_curve(plan, experiments, data, settings.random_state)
    context = {
        "patience": patience,
        "epochs": plan.epochs,
        "batch_size": batch_size,
        "n_features": int(data.x_train.shape[1]),
        "n_classes": len(inputs.classes),
        "classes": inputs.classes,
        "widths": widths,
        "dropout": dropout,
        "prior_val_loss": _prior_loss(data),
        "class_weight": class_weight(data.y_train),
    }
    causes = _judge(experiments, learning, findings, checked, baseline, context)
    if stopped:
        inputs.notes.append(f"the time budget stopped training after {len(curves['val_loss'])} of {plan.epochs} epochs")
        log.warning("diagnosis stopped by the time budget after %d epochs", len(curves["val_loss"]))
    return {
        "status": "ran",
        "causes": causes,
        "network": {"model": model, "widths": list(widths), "dropout": dropout,
                    "learning_rate": BASE_LEARNING_RATE, "optimizer": "adam", "batch_size": batch_size,
                    "steps_per_execution": STEPS_PER_EXECUTION},
        "budget": {
            "budget_s": settings.budget_s,
            "estimated_s": round(plan.estimated_s, 1),
            "seeds": plan.seeds,
            "epochs": plan.epochs,
            "epochs_run": len(curves["val_loss"]),
            "train_rows": len(data.y_train),
            "train_rows_available": inputs.n_train_full,
            "val_rows": len(data.y_val),
            "val_rows_available": inputs.n_val_full,
            "variants": len(plan.variants),
            "cuts": list(plan.cuts),
            "stopped_by_deadline": stopped,
            "training_s": round(fit_s, 2),
            "training_cpu_s": round(fit_cpu_s, 2),
        },
        "notes": inputs.notes,
        "patience": patience,
        "classes": [json_label(c) for c in inputs.classes],
        "prior_val_loss": context["prior_val_loss"],
        "learning_curve": learning,
        "experiments": experiments,
        "environment": _keras_runtime.environment(),
        "duration_s": round(time.perf_counter() - started, 3),
    }


def estimate_seconds(n_train: int, n_val: int, n_features: int, n_classes: int, variants: Sequence[Variant],
                     seeds: int, epochs: int, batch_size: int, keras_loaded: bool = False) -> float:
    """Rough CPU seconds of the training on 2 cores (see the constants above)."""
    weights = seeds * sum(_weights(v.widths, n_features, n_classes) for v in variants)
    groups = len({(v.widths, v.l2 > 0) for v in variants})
    eval_rows = min(n_train, MAX_EVAL_TRAIN_ROWS) + n_val
    batch = min(batch_size, n_train)
    steps = math.ceil(n_train / batch)
    step = _STEP_S + weights * (_UPDATE_WEIGHT_S + batch * _ROW_WEIGHT_S)
    epoch = _EPOCH_S + steps * step + eval_rows * weights * _EVAL_ROW_WEIGHT_S
    return (0.0 if keras_loaded else _IMPORT_S) + _BUILD_S + groups * _GROUP_S + epochs * epoch


def plan_budget(n_train: int, n_val: int, n_features: int, n_classes: int, widths: tuple[int, ...],
                dropout: float, budget_s: float, *, seeds: int = SEEDS, epochs: int = 40, batch_size: int = 32,
                keras_loaded: bool = False) -> Plan | None:
    """The largest plan whose estimate fits the budget, cutting in a fixed order; None if none does.

    Order of cuts: optional variants, then seeds (down to 2), then train rows (a
    stratified sample, down to 500), then epochs (down to 15).
    """
    variants = build_variants(widths, dropout)

    target = PLAN_SHARE * budget_s

    def cost(vs: Sequence[Variant], s: int, rows: int, e: int) -> float:
        return estimate_seconds(rows, n_val, n_features, n_classes, vs, s, e, batch_size, keras_loaded)

    cuts: list[str] = []
    chosen = list(variants)
    if cost(chosen, seeds, n_train, epochs) > target:
        dropped = [v for v in chosen if v.optional]
        chosen = [v for v in chosen if not v.optional]
        cuts.append("variants " + ", ".join(v.name for v in dropped))
    if cost(chosen, seeds, n_train, epochs) > target and seeds > MIN_SEEDS:
        cuts.append(f"seeds {seeds} -> {MIN_SEEDS}")
        seeds = MIN_SEEDS
    rows = n_train
    if cost(chosen, seeds, rows, epochs) > target and n_train > MIN_SAMPLE_ROWS:
        low, high = MIN_SAMPLE_ROWS, n_train
        while high - low > max(50, n_train // 100):
            middle = (low + high) // 2
            low, high = (middle, high) if cost(chosen, seeds, middle, epochs) <= target else (low, middle)
        rows = low
        cuts.append(f"train rows {n_train} -> a stratified sample of {rows}")
    if cost(chosen, seeds, rows, epochs) > target and epochs > MIN_EPOCHS:
        fitted = epochs
        while fitted > MIN_EPOCHS and cost(chosen, seeds, rows, fitted) > target:
            fitted -= 1
        cuts.append(f"epochs {epochs} -> {fitted}")
        epochs = fitted
    estimate = cost(chosen, seeds, rows, epochs)
    if estimate > target:
        return None
    return Plan(seeds, rows, n_val, epochs, tuple(chosen), estimate, tuple(cuts))


def build_variants(widths: tuple[int, ...], dropout: float) -> tuple[Variant, ...]:
    """Every configuration the experiments train, base first."""
    base = Variant("base", "base", "base network", widths, dropout)
    half = tuple(max(w // 2, 2) for w in widths)
    double = tuple(2 * w for w in widths)
    other_dropout = 0.0 if dropout > 0 else ALT_DROPOUT
    variants = [base]
    variants += [replace(base, name=f"data_{round(100 * f)}", experiment="too_little_data",
                         label=f"{100 * f:.0f}% of the train rows", fraction=f) for f in FRACTIONS]
    variants += [
        replace(base, name="width_half", experiment="capacity", label=f"half width ({_widths_text(half)})",
                widths=half),
        replace(base, name="width_double", experiment="capacity", label=f"double width ({_widths_text(double)})",
                widths=double),
        replace(base, name=f"dropout_{other_dropout:g}", experiment="regularisation",
                label=f"dropout {other_dropout:g}", dropout=other_dropout),
    ]
    variants += [replace(base, name=f"l2_{strength:g}", experiment="regularisation", label=f"L2 {strength:g}",
                         l2=strength, optional=strength != L2_STRENGTHS[-1]) for strength in L2_STRENGTHS]
    variants += [
        replace(base, name="lr_decay", experiment="learning_rate",
                label=f"warm start + exponential decay to {DECAY_TO:g}x", lr_mode="decay"),
        replace(base, name="lr_plateau", experiment="learning_rate",
                label=f"reduce on plateau (x{PLATEAU_FACTOR:g})", lr_mode="plateau"),
    ]
    variants += [replace(base, name=f"lr_x{factor:.2g}", experiment="learning_rate",
                         label=f"constant {factor * BASE_LEARNING_RATE:.2g}", lr_factor=factor, optional=True)
                 for factor in LR_FACTORS]
    return tuple(variants)


# -------------------------------------------------------------------------- inputs


def _baseline_settings(baseline: Mapping[str, Any] | None, settings: DiagnoseSettings) -> dict:
    """Epochs, patience, model and batch size: the diagnosis settings, else the baseline's, else its defaults."""
    recorded = (baseline or {}).get("settings") if isinstance((baseline or {}).get("settings"), Mapping) else {}
    defaults = BaselineSettings()
    model = settings.model or recorded.get("model") or defaults.model
    if recorded.get("model_file") and not settings.model:
        model = "default"
    if model not in NETWORKS:
        raise ValueError(f"The 'model' setting of the diagnosis must be one of {', '.join(NETWORKS)}. Got {model!r}.")
    batch = settings.batch_size or (baseline or {}).get("batch_size")
    return {
        "model": model,
        "model_file": recorded.get("model_file"),
        "epochs": int(settings.epochs or recorded.get("epochs") or defaults.epochs),
        "patience": int(settings.patience or recorded.get("patience") or defaults.patience),
        "batch_size": int(batch) if batch else None,
    }


def _inputs(train: BaselineSplit, val: BaselineSplit, settings: DiagnoseSettings) -> _Inputs:
    prepared, classes = prepare_splits(train, val)
    return _Inputs(prepared, classes, len(prepared.y_train), len(prepared.y_val))


def _stratified(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Row positions of a sample of about ``n`` rows keeping every class's share (at least one row each)."""
    if n >= len(y):
        return np.arange(len(y))
    chosen = []
    for code in np.unique(y):
        rows = np.flatnonzero(y == code)
        take = max(1, round(n * len(rows) / len(y)))
        chosen.append(rng.choice(rows, min(take, len(rows)), replace=False))
    return np.sort(np.concatenate(chosen))


def _sampled(inputs: _Inputs, plan: Plan, random_state: int) -> Prepared:
    """The prepared matrices cut to the plan's rows (stratified samples, seeded)."""
    data = inputs.prepared
    rng = np.random.default_rng(random_state)
    train_rows = _stratified(data.y_train, plan.train_rows, rng)
    val_rows = _stratified(data.y_val, plan.val_rows, rng)
    if len(val_rows) < len(data.y_val):
        inputs.notes.append(f"validation scored on a stratified sample of {len(val_rows)} of {len(data.y_val)} rows")
    if len(train_rows) < len(data.y_train):
        inputs.notes.append(f"trained on a stratified sample of {len(train_rows)} of {len(data.y_train)} train rows")
    return Prepared(data.x_train[train_rows], data.y_train[train_rows], data.x_val[val_rows], data.y_val[val_rows],
                    data.x_val[val_rows], data.y_val[val_rows], class_weight(data.y_train[train_rows]))


def _weights(widths: Sequence[int], n_features: int, n_classes: int) -> int:
    sizes = [n_features, *widths, n_classes]
    return sum(a * b for a, b in itertools.pairwise(sizes))


def _widths_text(widths: Sequence[int]) -> str:
    return " + ".join(str(w) for w in widths) + " units"


def _prior_loss(data: Prepared) -> float | None:
    """Val log-loss of predicting the train class shares: the floor a network must beat."""
    counts = np.bincount(data.y_train, minlength=int(max(data.y_train.max(), data.y_val.max())) + 1)
    prior = np.clip(counts / counts.sum(), PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)
    return _finite(-np.log(prior[data.y_val]).mean())


# ------------------------------------------------------------------------ training


def _fraction_masks(y: np.ndarray, fraction: float, seeds: int, random_state: int) -> list[np.ndarray]:
    """Per seed, the rows of a stratified ``fraction`` of train; nested across fractions for one seed."""
    masks = []
    for seed in range(seeds):
        rng = np.random.default_rng([random_state, seed, 7919])
        mask = np.zeros(len(y), dtype=bool)
        for code in np.unique(y):
            rows = rng.permutation(np.flatnonzero(y == code))
            mask[rows[: max(1, math.ceil(fraction * len(rows)))]] = True
        masks.append(mask)
    return masks


def _member_weights(data: Prepared, members: Sequence[tuple[Variant, int]], seeds: int,
                    random_state: int) -> np.ndarray:
    """Rows x members: 0 for rows a member does not train on, class weight x n/n_subset otherwise."""
    y = data.y_train
    masks = {v.fraction: _fraction_masks(y, v.fraction, seeds, random_state)
             for v, _ in members if v.fraction < 1.0}
    weights = np.zeros((len(y), len(members)), dtype="float32")
    for j, (variant, seed) in enumerate(members):
        mask = masks[variant.fraction][seed] if variant.fraction < 1.0 else np.ones(len(y), dtype=bool)
        cw = class_weight(y[mask])
        per_row = np.ones(len(y)) if cw is None else np.array([cw.get(int(c), 1.0) for c in y])
        weights[mask, j] = per_row[mask] * len(y) / mask.sum()
    return weights


def _train_members(data: Prepared, members: Sequence[tuple[Variant, int]], n_classes: int, epochs: int,
                   batch_size: int, patience: int, random_state: int, deadline: float | None) -> tuple[dict, bool]:
    """Train every member in one packed model; per-epoch curves, rows = epochs, columns = members."""
    keras = _keras_runtime.load_keras()
    keras.backend.clear_session()  # clears global state, the seed included: seed after it
    _keras_runtime.seed_everything(random_state)
    seeds = 1 + max(seed for _, seed in members)
    weights = _member_weights(data, members, seeds, random_state)
    model, order, optimizer = _packed_model(keras, members, data.x_train.shape[1], n_classes, random_state)
    targets = np.concatenate([data.y_train[:, None].astype("float32"), weights[:, order]], axis=1)
    rng = np.random.default_rng(random_state)
    eval_rows = np.sort(rng.choice(len(data.y_train), MAX_EVAL_TRAIN_ROWS, replace=False)) \
        if len(data.y_train) > MAX_EVAL_TRAIN_ROWS else np.arange(len(data.y_train))
    callback = _epoch_callback(keras, data, members, order, eval_rows, weights[eval_rows] > 0, n_classes, epochs,
                               patience, optimizer, deadline)
    model.fit(data.x_train, targets, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
              callbacks=[keras.callbacks.TerminateOnNaN(), callback])
    curves = {name: np.array(values, dtype="float64").reshape(-1, len(members))
              for name, values in callback.record.items()}
    return curves, callback.out_of_time


def _packed_model(keras: Any, members: Sequence[tuple[Variant, int]], n_features: int, n_classes: int,
                  random_state: int) -> tuple[Any, np.ndarray, Any]:
    """One model: a packed layer per hidden shape, outputs (rows, members x classes), compiled.

    Returns the model, ``order`` (output slot -> member index) and its optimizer.
    """
    # One packed layer per hidden shape; members with an L2 penalty get their own, so the
    # penalty (a pass over the kernels, forward and backward) covers only their slices.
    groups: dict[tuple, list[int]] = {}
    for index, (variant, _) in enumerate(members):
        groups.setdefault((variant.widths, variant.l2 > 0), []).append(index)
    rng = np.random.default_rng(random_state)
    packed_layer = _packed_layer_class(keras)
    inputs = keras.Input(shape=(n_features,))
    layers = [packed_layer([members[i][0] for i in rows], n_features, n_classes, rng, random_state + g,
                           name=f"packed_{g}")
              for g, rows in enumerate(groups.values())]
    outputs = [layer(inputs) for layer in layers]
    joined = keras.layers.Concatenate(axis=1)(outputs) if len(outputs) > 1 else outputs[0]
    model = keras.Model(inputs, keras.layers.Flatten()(joined))
    order = np.array([i for rows in groups.values() for i in rows])
    slots = {}
    start = 0
    for layer in layers:
        for variable, shape in layer.member_axes():
            slots[id(variable)] = (np.arange(start, start + layer.n_members), shape)
        start += layer.n_members
    optimizer = _member_adam_class(keras)(slots, len(members), learning_rate=BASE_LEARNING_RATE)
    model.compile(optimizer=optimizer, loss=_packed_loss_class(keras)(len(members), n_classes),
                  steps_per_execution=STEPS_PER_EXECUTION)
    optimizer.build(model.trainable_variables)  # the callback sets member factors before the first step
    return model, order, optimizer


def _packed_layer_class(keras: Any) -> type:
    ops = keras.ops

    class PackedMLP(keras.layers.Layer):
        """``len(variants)`` independent MLPs of one hidden shape, kernels stacked on a member axis.

        The first kernel is (features, members, units) so all members share one matrix
        product with the input; later kernels are (members, in, out) batched products.
        """

        def __init__(self, variants: list[Variant], n_features: int, n_classes: int, rng: np.random.Generator,
                     seed: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.n_members = len(variants)
            self.widths = variants[0].widths
            self.n_features, self.n_classes = n_features, n_classes
            self.rates = np.array([v.dropout for v in variants], dtype="float32").reshape(1, -1, 1)
            self.seed_generator = keras.random.SeedGenerator(seed)
            l2 = np.array([v.l2 for v in variants], dtype="float32")
            sizes = [n_features, *self.widths, n_classes]
            self.kernels, self.biases = [], []
            for j, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
                limit = math.sqrt(6 / (fan_in + fan_out))  # Glorot uniform, as Dense
                value = rng.uniform(-limit, limit, size=(self.n_members, fan_in, fan_out)).astype("float32")
                if j == 0:
                    value = np.ascontiguousarray(value.transpose(1, 0, 2))
                coefficient = l2.reshape((1, -1, 1) if j == 0 else (-1, 1, 1))
                penalty = (lambda w, c=coefficient: ops.sum(c * ops.square(w))) if l2.any() else None
                self.kernels.append(self.add_weight(shape=value.shape, initializer=_constant(value),
                                                    regularizer=penalty, name=f"kernel_{j}"))
                self.biases.append(self.add_weight(shape=(self.n_members, fan_out), initializer="zeros",
                                                   name=f"bias_{j}"))

        def member_axes(self) -> list[tuple[Any, tuple[int, ...]]]:
            """Each weight with the shape that broadcasts a per-member factor over it."""
            axes = [(self.kernels[0], (1, -1, 1))]
            axes += [(k, (-1, 1, 1)) for k in self.kernels[1:]]
            axes += [(b, (-1, 1)) for b in self.biases]
            return axes

        def _dropout(self, hidden: Any, training: bool) -> Any:
            if not training or not self.rates.any():
                return hidden
            rates = ops.convert_to_tensor(self.rates)
            keep = keras.random.uniform(ops.shape(hidden), seed=self.seed_generator) >= rates
            return ops.where(keep, hidden / (1.0 - rates), 0.0)

        def call(self, x: Any, training: bool = False) -> Any:
            flat = ops.reshape(self.kernels[0], (self.n_features, -1))
            hidden = ops.reshape(ops.matmul(x, flat), (-1, self.n_members, self.widths[0])) + self.biases[0]
            hidden = self._dropout(ops.relu(hidden), training)
            for j in range(1, len(self.kernels)):
                hidden = ops.einsum("bmi,mio->bmo", hidden, self.kernels[j]) + self.biases[j]
                if j < len(self.kernels) - 1:
                    hidden = self._dropout(ops.relu(hidden), training)
            return ops.softmax(hidden, axis=-1)

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return (input_shape[0], self.n_members, self.n_classes)

    return PackedMLP


def _constant(value: np.ndarray) -> Any:
    def initializer(shape: Any, dtype: Any = None) -> np.ndarray:
        return value

    return initializer


def _packed_loss_class(keras: Any) -> Any:
    ops = keras.ops

    class PackedCrossEntropy(keras.losses.Loss):
        """Sum over members of each member's weighted cross-entropy.

        ``y_true`` is (rows, 1 + members): the class code, then each member's row weight.
        """

        def __init__(self, n_members: int, n_classes: int) -> None:
            super().__init__(name="packed_cross_entropy")
            self.n_members, self.n_classes = n_members, n_classes

        def call(self, y_true: Any, y_pred: Any) -> Any:
            codes = ops.cast(y_true[:, 0], "int32")
            weights = y_true[:, 1:]
            probabilities = ops.reshape(y_pred, (-1, self.n_members, self.n_classes))
            true = ops.sum(probabilities * ops.expand_dims(ops.one_hot(codes, self.n_classes), 1), axis=-1)
            true = ops.clip(true, PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON)
            return ops.sum(-ops.log(true) * weights, axis=1)

    return PackedCrossEntropy


def _member_adam_class(keras: Any) -> type:
    ops = keras.ops

    class MemberAdam(keras.optimizers.Adam):
        """Adam whose step is scaled per member by ``member_factor`` (set between epochs).

        Adam is elementwise, so scaling one member's slice of the learning rate gives that
        member exactly the update an Adam with that rate would.
        """

        def __init__(self, slots: dict, n_members: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._slots, self._n_members = slots, n_members
            self._by_index: list = []
            self.member_factor = None

        def build(self, variables: list) -> None:
            super().build(variables)
            self.member_factor = self.add_variable(shape=(self._n_members,), initializer="ones",
                                                   name="member_factor")
            self._by_index = [self._slots.get(id(v)) for v in variables]

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            slot = self._by_index[self._get_variable_index(variable)]
            if slot is not None:
                rows, shape = slot
                factor = ops.reshape(ops.take(self.member_factor, ops.convert_to_tensor(rows)), shape)
                learning_rate = ops.cast(learning_rate, variable.dtype) * ops.cast(factor, variable.dtype)
            super().update_step(gradient, variable, learning_rate)

    return MemberAdam


def _decay_factors(epochs: int) -> np.ndarray:
    """Per epoch, the warm-start-then-exponential-decay rate relative to the base rate."""
    rate = DECAY_TO ** (1 / max(epochs - WARMUP_EPOCHS, 1))
    return np.array([(e + 1) / WARMUP_EPOCHS if e < WARMUP_EPOCHS else rate ** (e - WARMUP_EPOCHS + 1)
                     for e in range(epochs)])


def plateau_patience(patience: int) -> int:
    """Reduce-on-plateau waits half the early-stopping patience (at least 2), so it acts first."""
    return max(2, patience // 2)


def _epoch_callback(keras: Any, data: Prepared, members: Sequence[tuple[Variant, int]], order: np.ndarray,
                    eval_rows: np.ndarray, eval_mask: np.ndarray, n_classes: int, epochs: int, patience: int,
                    optimizer: Any, deadline: float | None) -> Any:
    """Sets each member's learning-rate factor before an epoch; scores every member after it."""
    x_eval = np.vstack([data.x_train[eval_rows], data.x_val])
    y_eval = np.concatenate([data.y_train[eval_rows], data.y_val])
    n_train = len(eval_rows)
    position = np.empty(len(members), dtype=int)
    position[order] = np.arange(len(members))
    decay = _decay_factors(epochs)
    modes = np.array([v.lr_mode for v, _ in members])
    constant = np.array([v.lr_factor for v, _ in members])
    wait_limit = plateau_patience(patience)

    class EpochEnd(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.record: dict[str, list] = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr_factor": []}
            self.out_of_time = False
            self.plateau = np.ones(len(members))
            self.best = np.full(len(members), np.inf)
            self.wait = np.zeros(len(members), dtype=int)

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            factor = np.where(modes == "decay", decay[min(epoch, epochs - 1)], 1.0) * constant
            factor = np.where(modes == "plateau", self.plateau, factor)
            optimizer.member_factor.assign(factor[order].astype("float32"))
            self.record["lr_factor"].append(factor)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            chunks = [self.model.predict_on_batch(x_eval[i:i + PREDICT_CHUNK])
                      for i in range(0, len(x_eval), PREDICT_CHUNK)]
            probabilities = np.concatenate(chunks).reshape(len(y_eval), len(members), n_classes)[:, position, :]
            true = probabilities[np.arange(len(y_eval)), :, y_eval]
            loss = -np.log(np.clip(true, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON))
            train = (loss[:n_train] * eval_mask).sum(axis=0) / np.maximum(eval_mask.sum(axis=0), 1)
            val = loss[n_train:].mean(axis=0)
            accuracy = (probabilities[n_train:].argmax(axis=-1) == data.y_val[:, None]).mean(axis=0)
            self.record["train_loss"].append(train)
            self.record["val_loss"].append(val)
            self.record["val_accuracy"].append(accuracy)
            improved = val < self.best - PLATEAU_MIN_DELTA
            self.best = np.where(improved, val, self.best)
            self.wait = np.where(improved, 0, self.wait + 1)
            reduce = self.wait >= wait_limit
            self.plateau = np.where(reduce, self.plateau * PLATEAU_FACTOR, self.plateau)
            self.wait = np.where(reduce, 0, self.wait)
            if deadline is not None and time.perf_counter() > deadline:
                self.out_of_time = self.model.stop_training = True

    return EpochEnd()


# ------------------------------------------------------------------------- numbers


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _rounded(values: Iterable[Any], digits: int = 6) -> list[float | None]:
    return [None if _finite(v) is None else round(float(v), digits) for v in values]


def _patience_needed(val: Sequence[float]) -> int:
    """The smallest EarlyStopping patience that reaches the global best epoch (1 + longest wait before it)."""
    best_so_far, wait, longest = math.inf, 0, 0
    target = int(np.argmin(val))
    for epoch in range(target + 1):
        if val[epoch] < best_so_far:
            best_so_far, wait = val[epoch], 0
        else:
            wait += 1
            longest = max(longest, wait)
    return longest + 1


def _seed_numbers(train: np.ndarray, val: np.ndarray, accuracy: np.ndarray, patience: int) -> dict:
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
        "patience_needed": _patience_needed(val_list),
    }


SEED_NUMBERS = ("best_epoch", "best_val_loss", "val_accuracy_at_best", "val_loss_end", "train_loss_end", "end_gap",
                "best_gap", "stall_epoch", "climb_after_best", "early_stop_epoch", "early_stop_restored_epoch",
                "early_stop_val_loss", "early_stop_cost", "patience_needed")
COMPARED = ("best_val_loss", "val_loss_end", "end_gap", "stall_epoch")


def _experiments(plan: Plan, curves: dict, patience: int) -> dict:
    """Per variant: its configuration, per-seed numbers and curves, their spread, and its effect against base."""
    result: dict[str, dict] = {}
    column = 0
    for variant in plan.variants:
        columns = range(column, column + plan.seeds)
        column += plan.seeds
        per_seed = [{"seed": k, **_seed_numbers(curves["train_loss"][:, c], curves["val_loss"][:, c],
                                                curves["val_accuracy"][:, c], patience)}
                    for k, c in enumerate(columns)]
        result[variant.name] = {
            "experiment": variant.experiment,
            "label": variant.label,
            "config": variant.config(),
            "per_seed": [{k: (_finite(v) if isinstance(v, float) else v) for k, v in s.items()} for s in per_seed],
            "summary": {name: spread([s.get(name) for s in per_seed]) for name in SEED_NUMBERS},
            "curves": {name: {"mean": _rounded(np.nanmean(curves[name][:, list(columns)], axis=1)),
                              "std": _rounded(np.nanstd(curves[name][:, list(columns)], axis=1, ddof=1)
                                              if plan.seeds > 1 else np.zeros(len(curves[name])))}
                       for name in ("train_loss", "val_loss", "val_accuracy")},
            "per_seed_curves": {name: [_rounded(curves[name][:, c]) for c in columns]
                                for name in ("train_loss", "val_loss")},
        }
    base = result["base"]
    for name, entry in result.items():
        if name == "base":
            continue
        entry["effect"] = {metric: _paired(base["per_seed"], entry["per_seed"], metric) for metric in COMPARED}
    return result


def _paired(base: list[dict], other: list[dict], metric: str) -> dict:
    """Per-seed base minus variant (positive: the variant's loss is lower, or its stall later when negated)."""
    differences = []
    for b, o in zip(base, other, strict=True):
        if b.get(metric) is None or o.get(metric) is None:
            differences.append(None)
        elif metric == "stall_epoch":
            differences.append(o[metric] - b[metric])  # later stall is better
        else:
            differences.append(b[metric] - o[metric])
    return spread(differences)


def _learning_curve(plan: Plan, experiments: dict, data: Prepared, random_state: int) -> dict | None:
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
    names.sort(key=lambda name: experiments[name]["config"]["train_fraction"])
    fractions = [experiments[name]["config"]["train_fraction"] for name in names]
    masks = {f: _fraction_masks(data.y_train, f, plan.seeds, random_state) for f in fractions if f < 1.0}
    rows = [len(data.y_train) if f == 1.0 else round(np.mean([m.sum() for m in masks[f]])) for f in fractions]
    best = np.array([[np.nan if s.get("best_val_loss") is None else s["best_val_loss"]
                      for s in experiments[name]["per_seed"]] for name in names])  # points x seeds
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
    next_gain = spread(predicted)
    top = _finite(np.nanmean(best[-1])) if not np.isnan(best[-1]).all() else None
    return {
        "fractions": fractions,
        "train_rows": rows,
        "variants": names,
        "best_val_loss": [spread([_finite(v) for v in point]) for point in best],
        "fit": {"x": "ln(train rows)", "slope": spread(slopes), "intercept": spread(intercepts)},
        "fitted_doubling_gain": spread(fitted),
        "first_doubling_gain": spread(first),
        "last_doubling_gain": spread(last),
        "doubling_gain": next_gain,
        "predicted_rows": 2 * rows[-1],
        "predicted_loss": None if top is None or next_gain["mean"] is None else _finite(top - next_gain["mean"]),
    }


# ------------------------------------------------------------------------ verdicts


def _threshold(scale: float | None) -> float:
    return max(MIN_EFFECT_RELATIVE * (scale or 0.0), MIN_EFFECT_ABSOLUTE)


def _change(effect: Mapping[str, Any], scale: float | None) -> str:
    """helps / hurts / small / unclear / noise, from a per-seed paired difference (positive = better).

    ``unclear`` is a favourable effect of the size that matters but within the seed
    spread; an unfavourable one within the spread is ``noise`` (it cannot make a cause
    likely, so it leaves nothing to settle).
    """
    mean, std = effect.get("mean"), effect.get("std") or 0.0
    if mean is None:
        return "noise"
    if abs(mean) < _threshold(scale):
        return "small"
    if effect.get("n", 0) >= 2 and abs(mean) > SPREAD_FACTOR * std:
        return "helps" if mean > 0 else "hurts"
    return "unclear" if mean > 0 else "noise"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pm(entry: Mapping[str, Any], digits: int = 3) -> str:
    """mean ± std over seeds."""
    mean, std, n = entry.get("mean"), entry.get("std"), entry.get("n", 0)
    if mean is None:
        return "n/a"
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if n and n > 1 and std is not None else "")


def _epoch_pm(entry: Mapping[str, Any]) -> str:
    mean, std, n = entry.get("mean"), entry.get("std"), entry.get("n", 0)
    if mean is None:
        return "none"
    return f"{mean:.0f}" + (f" ± {std:.0f}" if n and n > 1 and std else "")


def _row(cause: str, experiment: str, effect: str, verdict: str, reason: str, remedy: str,
         snippet: str | None = None, numbers: Mapping[str, Any] | None = None, variant: str | None = None) -> dict:
    title = dict(CAUSES)[cause]
    return {"cause": cause, "title": title, "experiment": experiment, "effect": effect, "verdict": verdict,
            "reason": reason, "remedy": remedy, "snippet": snippet, "remedy_variant": variant,
            "numbers": dict(numbers or {})}


def _judge(experiments: dict, learning: dict | None, findings: list, checked: set | None,
           baseline: Mapping[str, Any] | None, context: dict) -> list[dict]:
    base = experiments["base"]
    rows = [
        _overfitting(base, context),
        _too_little_data(learning, base, context),
        _knob("capacity", experiments, context),
        _knob("regularisation", experiments, context),
        _knob("learning_rate", experiments, context),
        _early_stopping(base, context),
    ]
    rows += [_data_cause(cause, findings, checked, baseline, context)
             for cause in ("label_noise", "duplicates", "leakage", "imbalance")]
    return rows


def _overfitting(base: dict, context: dict) -> dict:
    """Does the base, on the fixed data, still get worse with more training (val loss climbing after its best)?

    A gap alone is not judged: with val loss flat at its best, the gap is what the data
    does not teach, which the learning curve measures; a climb is training that hurts.
    """
    s = base["summary"]
    best, climb, gap = s["best_val_loss"]["mean"], s["climb_after_best"]["mean"], s["end_gap"]["mean"]
    stalls = sum(p.get("stall_epoch") is not None for p in base["per_seed"])
    n = len(base["per_seed"])
    limit = max(OVERFIT_MIN_CLIMB, OVERFIT_RELATIVE * (best or 0))
    experiment = "the base network on the fixed data, over the full epoch budget"
    effect = (f"val loss lowest at epoch {_epoch_pm(s['best_epoch'])} ({_pm(s['best_val_loss'])}), then climbs "
              f"{_pm(s['climb_after_best'])} by epoch {context['epochs']}; train loss ends at "
              f"{_pm(s['train_loss_end'])}, gap {_pm(s['end_gap'])}; val loss stalls in {stalls} of {n} seeds")
    numbers = {"climb_limit": limit, "seeds_stalling": stalls}
    prior = context["prior_val_loss"]
    if best is not None and prior is not None and best >= prior:
        return _row("overfitting", experiment, effect, INCONCLUSIVE,
                    f"its best val loss never beats predicting the class shares ({_fmt(prior)}): it learns nothing "
                    "to overfit with", "check that the features carry the label; see the other rows", numbers=numbers)
    climb = climb or 0.0
    if stalls * 2 >= n and climb >= limit:
        verdict = LIKELY
        reason = (f"val loss stalls while train loss keeps falling, then climbs {_fmt(climb)} (at least "
                  f"{_fmt(limit)}): more training makes the model worse")
        remedy = "stop at the best epoch (EarlyStopping with restore_best_weights) and apply the model remedies below"
        snippet = _snippet(context, patience=context["patience"], early_stopping=True)
    elif climb < limit / 2:
        verdict, snippet = UNLIKELY, None
        reason = f"val loss does not climb after its best ({_fmt(climb)}, under {_fmt(limit / 2)})"
        if (gap or 0) > 0:
            reason += f"; the gap of {_fmt(gap)} is what the data does not teach (see too little data)"
        remedy = "nothing to do for overfitting itself"
    else:
        verdict, snippet = INCONCLUSIVE, None
        reason = f"val loss climbs {_fmt(climb)} after its best: between {_fmt(limit / 2)} and {_fmt(limit)}"
        remedy = "watch the val loss; early stopping with restore_best_weights is cheap insurance"
    return _row("overfitting", experiment, effect, verdict, reason, remedy, snippet, numbers)


def _too_little_data(learning: dict | None, base: dict, context: dict) -> dict:
    """Would more rows of the same kind help? The slope says whether, the top of the curve how much."""
    experiment = "learning curve: the base on 25, 50, 75 and 100% of the train rows, same validation rows"
    if learning is None:
        return _row("too_little_data", experiment, "not measured (cut by the time budget)", INCONCLUSIVE,
                    "the learning curve was not trained", "raise --diagnose-budget to measure it")
    points = ", ".join(f"{rows} rows {_pm(loss)}" for rows, loss in zip(learning["train_rows"], learning["best_val_loss"]))
    fitted, last, predicted = learning["fitted_doubling_gain"], learning["last_doubling_gain"], learning["doubling_gain"]
    top = learning["best_val_loss"][-1]["mean"]
    effect = (f"best val loss {points}; the log-linear slope gives {_pm(fitted)} per doubling, the last doubling "
              f"(50 to 100%) gained {_pm(last)}; doubling again predicts {_pm(predicted)} "
              f"(to about {_fmt(learning.get('predicted_loss'))} at {learning.get('predicted_rows')} rows)")
    threshold = max(DATA_LIKELY_GAIN * (top or 0), MIN_EFFECT_ABSOLUTE)
    low = DATA_UNLIKELY_GAIN * (top or 0)
    slope_mean, slope_std = fitted.get("mean"), fitted.get("std") or 0.0
    last_mean = last.get("mean")
    numbers = {"threshold": threshold, "unlikely_below": low}
    slope_clear = slope_mean is not None and slope_mean >= threshold and (
        fitted.get("n", 0) < 2 or slope_mean > SPREAD_FACTOR * slope_std)
    if slope_clear and last_mean is not None and last_mean >= threshold:
        verdict = LIKELY
        reason = (f"val loss still falls clearly at 100%: {_fmt(slope_mean)} per doubling along the curve, beyond "
                  f"{SPREAD_FACTOR:g} seed std ({_fmt(slope_std)}), and {_fmt(last_mean)} over the last doubling, "
                  f"both at least {_fmt(threshold)} ({_percent(DATA_LIKELY_GAIN)} of the loss)")
    elif slope_mean is None or last_mean is None or slope_mean < low or last_mean < low:
        verdict = UNLIKELY
        reason = (f"the curve is flat at the top: the last doubling gained {_fmt(last_mean)} and the slope gives "
                  f"{_fmt(slope_mean)} per doubling; one of them is under {_fmt(low)} "
                  f"({_percent(DATA_UNLIKELY_GAIN)} of the loss)")
    else:
        verdict = INCONCLUSIVE
        reason = (f"the slope gives {_pm(fitted)} per doubling and the last doubling gained {_pm(last)}: not both "
                  f"at least {_fmt(threshold)} with the slope beyond {SPREAD_FACTOR:g} seed std")
    if verdict == LIKELY:
        remedy = (f"collect more labelled rows: doubling to {learning.get('predicted_rows')} rows predicts a val "
                  f"loss of about {_fmt(learning.get('predicted_loss'))}; until then lean on regularisation, "
                  "augmentation and early stopping")
    elif verdict == UNLIKELY:
        remedy = "more rows of the same kind are not where the gain is"
    else:
        remedy = "not settled: a larger budget (more seeds) would narrow the spread"
    return _row("too_little_data", experiment, effect, verdict, reason, remedy, numbers=numbers)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


KNOB_TEXT = {
    "capacity": ("the same network at half and at double width", "width"),
    "regularisation": ("dropout {other} instead of {base}; L2 on every kernel", "regularisation"),
    "learning_rate": (("constant 1e-3 against warm start + exponential decay, reduce on plateau, "
                       "and constant rates at 1/3 and 3x"), "learning rate"),
}


def _knob(cause: str, experiments: dict, context: dict) -> dict:
    """Capacity, regularisation or learning rate: does some variant of this knob clearly beat the base?

    For capacity the half and double widths are also compared with each other: across
    that 4x range a clear, monotone change (base in between) shows the val loss follows
    the width even when one halving is not enough to clear the bar on its own.
    """
    base = experiments["base"]
    variants = {name: e for name, e in experiments.items() if e["experiment"] == cause}
    experiment = KNOB_TEXT[cause][0]
    if cause == "regularisation":
        other = next((e["config"]["dropout"] for e in variants.values() if e["config"]["dropout"] != context["dropout"]),
                     None)
        experiment = experiment.format(other=_fmt(other, 1) if other is not None else "n/a",
                                       base=_fmt(context["dropout"], 1))
        strengths = sorted(e["config"]["l2"] for e in variants.values() if e["config"]["l2"])
        experiment += " (" + ", ".join(f"{s:g}" for s in strengths) + ")" if strengths else ""
    if not variants:
        return _row(cause, experiment, "not measured (cut by the time budget)", INCONCLUSIVE,
                    "no variant was trained", "raise --diagnose-budget")
    best_scale = base["summary"]["best_val_loss"]["mean"]
    end_scale = base["summary"]["val_loss_end"]["mean"]
    judged = {name: (_change(e["effect"]["best_val_loss"], best_scale), _change(e["effect"]["val_loss_end"], end_scale))
              for name, e in variants.items()}
    helping = [n for n, (b, e) in judged.items() if b == "helps" or (e == "helps" and b != "hurts")]
    quiet = all(b in ("small", "hurts", "noise") and e in ("small", "hurts", "noise") for b, e in judged.values())
    effect = f"base: best {_pm(base['summary']['best_val_loss'])}, end {_pm(base['summary']['val_loss_end'])}, " \
             f"stall {_epoch_pm(base['summary']['stall_epoch'])}; " \
             + "; ".join(_variant_effect(variants[name]) for name in variants)
    numbers: dict[str, Any] = {"judged": {name: {"best_val_loss": b, "val_loss_end": e}
                                          for name, (b, e) in judged.items()},
                               "threshold_best": _threshold(best_scale), "threshold_end": _threshold(end_scale)}
    span = _capacity_span(base, variants, best_scale, end_scale) if cause == "capacity" else None
    if span is not None:
        numbers["span"] = span
    winner, reason = None, ""
    if helping:
        winner = max(helping, key=lambda n: (judged[n][0] == "helps",
                                            variants[n]["effect"]["best_val_loss"]["mean"] or -math.inf))
        entry = variants[winner]
        d_best, d_end = entry["effect"]["best_val_loss"], entry["effect"]["val_loss_end"]
        reason = (f"{entry['label']} lowers the best val loss by {_pm(d_best)} and the end val loss by {_pm(d_end)} "
                  f"(base minus variant over {d_best.get('n', 0)} seeds; it takes at least "
                  f"{_fmt(_threshold(best_scale))} and {SPREAD_FACTOR:g} std)")
    elif span is not None and span["winner"]:
        winner = span["winner"]
        reason = span["reason"]
    if winner is not None:
        entry = variants[winner]
        still = _still_improving(base)
        if still * 2 >= len(base["per_seed"]):
            return _row(cause, experiment, effect, INCONCLUSIVE,
                        f"{reason}; but the base was still improving when the {context['epochs']} epochs ran out "
                        f"({still} of {len(base['per_seed'])} seeds), so the variant may only learn faster: train "
                        "longer to tell", f"first raise the epoch budget; then consider: "
                        f"{_knob_remedy(cause, entry, context)}", numbers=numbers, variant=winner)
        return _row(cause, experiment, effect, LIKELY, reason, _knob_remedy(cause, entry, context),
                    _snippet(context, **_snippet_changes(entry)), numbers, winner)
    if quiet and (span is None or span["quiet"]):
        reason = (f"no variant changes the best or the end val loss by {_fmt(_threshold(best_scale))} or more "
                  "in its favour beyond the seed spread")
        return _row(cause, experiment, effect, UNLIKELY, reason, f"keep the {KNOB_TEXT[cause][1]} as it is",
                    numbers=numbers)
    unclear = [variants[n]["label"] for n, (b, e) in judged.items() if "unclear" in (b, e)]
    if span is not None and not span["quiet"]:
        unclear.append("half against double width")
    reason = (f"{', '.join(unclear) or 'some variant'}: an effect of the size that matters, but within "
              f"{SPREAD_FACTOR:g} seed std; more seeds would settle it")
    return _row(cause, experiment, effect, INCONCLUSIVE, reason, "not settled: rerun with a larger budget (more seeds)",
                numbers=numbers)


def _still_improving(base: dict) -> int:
    """Seeds whose val loss was still improving at the last epoch (early stopping never fired)."""
    return sum(p.get("early_stop_epoch") is None and p.get("epochs_run", 0) > 0 for p in base["per_seed"])


def _capacity_span(base: dict, variants: dict, best_scale: float | None, end_scale: float | None) -> dict | None:
    """Half against double width, per seed: which end of the range is better, if clearly and monotonely."""
    half, double = variants.get("width_half"), variants.get("width_double")
    if half is None or double is None:
        return None
    result: dict[str, Any] = {"winner": None, "reason": "", "quiet": True}
    for metric, scale in (("best_val_loss", best_scale), ("val_loss_end", end_scale)):
        difference = _paired(double["per_seed"], half["per_seed"], metric)  # positive: half is lower
        change = _change(difference, scale)
        result[metric] = {"double_minus_half": difference, "change": change}
        if change == "unclear" or (change == "noise" and abs(difference.get("mean") or 0) >= _threshold(scale)):
            result["quiet"] = False
        if change not in ("helps", "hurts") or result["winner"]:
            continue
        means = [e["summary"][metric]["mean"] for e in (half, base, double)]
        if None in means or not (means[0] <= means[1] <= means[2] or means[0] >= means[1] >= means[2]):
            result["quiet"] = False
            continue
        result["winner"] = "width_half" if change == "helps" else "width_double"
        stalls = [_epoch_pm(e["summary"]["stall_epoch"]) for e in (half, base, double)]
        what = "best" if metric == "best_val_loss" else "end"
        result["reason"] = (
            f"across the 4x range of width the {what} val loss goes {_fmt(means[0])} (half), {_fmt(means[1])} "
            f"(base), {_fmt(means[2])} (double): half minus double {_pm(_negated(difference))}, beyond "
            f"{SPREAD_FACTOR:g} seed std; the stall epoch goes {stalls[0]}, {stalls[1]}, {stalls[2]}"
            + ("; the bigger the network, the sooner and further it overfits" if change == "helps"
               else "; the bigger the network, the lower its val loss")
        )
    return result


def _negated(entry: Mapping[str, Any]) -> dict:
    flipped = dict(entry)
    for key in ("mean", "min", "max"):
        if flipped.get(key) is not None:
            flipped[key] = -flipped[key]
    flipped["min"], flipped["max"] = flipped.get("max"), flipped.get("min")
    return flipped


def _variant_effect(entry: dict) -> str:
    s = entry["summary"]
    stall = s["stall_epoch"]
    return (f"{entry['label']}: best {_pm(s['best_val_loss'])}, end {_pm(s['val_loss_end'])}, "
            f"gap {_pm(s['end_gap'])}, stall {_epoch_pm(stall)}")


def _knob_remedy(cause: str, entry: dict, context: dict) -> str:
    config = entry["config"]
    if cause == "capacity":
        direction = "narrower" if config["widths"][0] < context["widths"][0] else "wider"
        return f"make the network {direction}: hidden layers of {_widths_text(config['widths'])}"
    if cause == "regularisation":
        if config["l2"]:
            return f"add an L2 penalty of {config['l2']:g} to the kernels"
        return f"use dropout {config['dropout']:g}"
    if config["lr_mode"] == "decay":
        return (f"warm the learning rate up over {WARMUP_EPOCHS} epochs, then decay it exponentially to "
                f"{DECAY_TO:g}x by the last epoch")
    if config["lr_mode"] == "plateau":
        return (f"cut the learning rate by {PLATEAU_FACTOR:g}x after {plateau_patience(context['patience'])} epochs "
                "without a new best val loss")
    return f"use a learning rate of {config['lr_factor'] * BASE_LEARNING_RATE:.2g}"


def _snippet_changes(entry: dict) -> dict:
    config = entry["config"]
    return {"widths": tuple(config["widths"]), "dropout": config["dropout"], "l2": config["l2"],
            "lr_mode": config["lr_mode"], "lr_factor": config["lr_factor"]}


def _early_stopping(base: dict, context: dict) -> dict:
    patience = context["patience"]
    per_seed = base["per_seed"]
    early = [p for p in per_seed if p.get("early_stop_epoch") is not None
             and p.get("early_stop_restored_epoch") != p.get("best_epoch")]
    s = base["summary"]
    cost = s["early_stop_cost"]
    needed = max((p.get("patience_needed") or 0 for p in per_seed), default=patience)
    best_epoch_last = sum(p.get("best_epoch") == p.get("epochs_run") for p in per_seed)
    effect = (f"with patience {patience}, EarlyStopping stops before the best epoch in {len(early)} of {len(per_seed)} "
              f"seeds; it restores epoch {_epoch_pm(s['early_stop_restored_epoch'])} (val loss "
              f"{_pm(s['early_stop_val_loss'])}) against the best epoch {_epoch_pm(s['best_epoch'])} "
              f"({_pm(s['best_val_loss'])}); patience {needed} reaches the best in every seed")
    if best_epoch_last:
        effect += f"; in {best_epoch_last} seed(s) the best is the last epoch, so more epochs may help"
    limit = max(MIN_EFFECT_RELATIVE * (s["best_val_loss"]["mean"] or 0), EARLY_STOP_MIN_LOSS)
    mean_cost = cost.get("mean") or 0.0
    if len(early) * 2 >= len(per_seed) and mean_cost >= limit:
        verdict = LIKELY
        reason = (f"patience {patience} gives up {_pm(cost)} of val loss (at least {_fmt(limit)}) in most seeds; "
                  f"patience {needed} would not")
    elif not early or mean_cost < limit / 2:
        verdict = UNLIKELY
        reason = (f"patience {patience} costs {_pm(cost)} of val loss, under {_fmt(limit / 2)}" if early
                  else f"patience {patience} never stops before the best epoch")
    else:
        verdict = INCONCLUSIVE
        reason = f"patience {patience} stops early in {len(early)} seed(s), costing {_pm(cost)}: not clearly"
    wanted = max(needed, patience) if verdict == LIKELY else patience
    remedy = (f"EarlyStopping(monitor='val_loss', patience={wanted}, restore_best_weights=True)"
              + ("" if verdict == LIKELY else "; the configured patience is fine"))
    if best_epoch_last and verdict != LIKELY:
        remedy += "; raise the epoch budget, the val loss was still improving"
    snippet = _snippet(context, patience=wanted, early_stopping=True,
                       epochs=context["epochs"] * (2 if best_epoch_last and verdict != LIKELY else 1))
    return _row("early_stopping", f"the base curves replayed through EarlyStopping(patience={patience})", effect,
                verdict, reason, remedy, snippet,
                {"patience": patience, "patience_needed": needed, "seeds_stopping_early": len(early),
                 "cost": cost, "limit": limit, "seeds_best_at_last_epoch": best_epoch_last})


# ------------------------------------------------------------------ data causes


DATA_TEXT = {
    "label_noise": ("label_issues and conflicting_labels findings; baseline raw vs fixed on the clean reference",
                    "relabel or drop the flagged rows (`audit fix` writes the fixed splits)"),
    "duplicates": ("exact_duplicates and near_duplicates findings; baseline raw vs fixed",
                   "drop the repeated rows (`audit fix`), and deduplicate before splitting"),
    "leakage": ("leakage findings; the baseline's raw val loss against the clean reference",
                "drop the leaked val rows (`audit fix`) and split by group or time"),
    "imbalance": ("class_imbalance, label_shift and unseen_labels findings", "weight the classes in the loss"),
}


def _data_cause(cause: str, findings: list, checked: set | None, baseline: Mapping[str, Any] | None,
                context: dict) -> dict:
    codes = CAUSE_CODES[cause]
    experiment, remedy = DATA_TEXT[cause]
    relevant = [f for f in findings if f.code in codes]
    if cause == "imbalance":
        relevant = [f for f in relevant if f.code != "class_imbalance" or f.metrics.get("split", "train") == "train"]
    flagged = [f for f in relevant if int(f.severity) >= 1]
    worst = max((int(f.severity) for f in flagged), default=-1)
    counts = _finding_counts(flagged)
    comparison = (baseline or {}).get("comparison") if isinstance((baseline or {}).get("comparison"), Mapping) else None
    code = (baseline or {}).get("verdict_code")
    numbers: dict[str, Any] = {"findings": counts, "baseline_verdict": code}
    measured = _baseline_effect(comparison)
    if comparison:
        numbers["reference_loss"] = comparison.get("reference_loss")
        numbers["reference_loss_drop"] = comparison.get("reference_loss_drop")
        numbers["raw_val_inflation_relative"] = comparison.get("raw_val_inflation_relative")
    checked_here = checked is None or any(c in checked for c in codes)
    if not flagged:
        effect = "no finding at warn or fail" if checked_here else "not checked"
        if not checked_here:
            return _row(cause, experiment, effect, INCONCLUSIVE, f"no check looking for {', '.join(codes)} ran",
                        "run the checks that look for them", numbers=numbers)
        return _row(cause, experiment, effect, UNLIKELY, "the checks that look for it ran and found nothing",
                    "nothing to fix", numbers=numbers)
    effect = "; ".join(counts_text for counts_text in counts.values())
    snippet = None
    if cause == "imbalance":
        ratio = next((f.metrics.get("imbalance_ratio") for f in flagged if f.code == "class_imbalance"), None)
        verdict = LIKELY if worst >= 2 else INCONCLUSIVE
        reason = (f"the train classes are {ratio:.1f}x apart" if ratio else "the label distributions differ") + \
                 f", flagged at {'fail' if worst >= 2 else 'warn'}" + \
                 ("; the baseline and these experiments already weight the classes, so their effect is not "
                  "measured separately" if context["class_weight"] else "")
        if context["class_weight"]:
            snippet = _snippet(context, class_weight=context["class_weight"])
            remedy = "pass class_weight to fit (balanced weights of the fixed train split below)"
        else:
            remedy = "weight the classes in the loss, or resample; collect rows of the rare classes"
        return _row(cause, experiment, effect, verdict, reason, remedy, snippet, numbers)
    if cause == "leakage":
        inflation = comparison.get("raw_val_inflation_relative") if comparison else None
        if inflation is not None:
            effect += f"; raw val loss {_percent(inflation)} below the clean reference"
        if worst >= 2 or code == "leakage":
            return _row(cause, experiment, effect, LIKELY,
                        "val rows the model has seen make the raw val loss look better than it is"
                        + (" (baseline verdict: leakage)" if code == "leakage" else " (flagged at fail)"),
                        remedy, numbers=numbers)
        return _row(cause, experiment, effect, INCONCLUSIVE, "flagged at warn only, and the baseline did not "
                    "measure an inflated val loss", remedy, numbers=numbers)
    if measured:
        effect += f"; {measured}"
    attributed = _attribution_of(cause, baseline)
    if attributed is not None:
        return _attributed_row(cause, experiment, effect, remedy, numbers, attributed)
    others = [c for c in ("label_noise", "duplicates") if c != cause
              and any(f.code in CAUSE_CODES[c] and int(f.severity) >= 1 for f in findings)]
    if code == "data" and (worst >= 2 or not others):
        return _row(cause, experiment, effect, LIKELY,
                    f"flagged at {'fail' if worst >= 2 else 'warn'}, and the fixed data trains clearly better "
                    "(baseline verdict: data)" + (f"; the gain is shared with the {', '.join(others)} fixes"
                                                  if others else ""), remedy, numbers=numbers)
    if code == "data":
        return _row(cause, experiment, effect, INCONCLUSIVE,
                    f"flagged at warn; the fixes together train clearly better (baseline verdict: data), but with "
                    f"the {', '.join(others)} fixes in the same plan this part alone was not measured",
                    remedy, numbers=numbers)
    if comparison is None:
        verdict = LIKELY if worst >= 2 else INCONCLUSIVE
        reason = ("flagged at fail; no baseline measured what fixing it gains" if worst >= 2
                  else "flagged at warn; no baseline measured what fixing it gains")
        return _row(cause, experiment, effect, verdict, reason, remedy, numbers=numbers)
    return _row(cause, experiment, effect, INCONCLUSIVE,
                "flagged, but the fixed data does not train clearly better on the clean reference "
                f"(baseline verdict: {code})", remedy, numbers=numbers)


ATTRIBUTION_FAMILY = {"label_noise": "labels", "duplicates": "duplicates"}


def _attribution_of(cause: str, baseline: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The ``--attribute`` run of this cause's fixes alone, when it trained (see audit.attribution)."""
    attribution = (baseline or {}).get("attribution")
    family = ATTRIBUTION_FAMILY.get(cause)
    if not isinstance(attribution, Mapping) or family is None:
        return None
    return next((entry for entry in attribution.get("families") or []
                 if entry.get("family") == family and entry.get("status") == "ran"), None)


def _attributed_row(cause: str, experiment: str, effect: str, remedy: str, numbers: dict,
                    run: Mapping[str, Any]) -> dict:
    """Judge a data cause by the run that applied its fixes alone: no other fix shares the gain."""
    drop = run.get("reference_loss_drop_relative")
    beyond = bool(run.get("reference_loss_drop_beyond_spread"))
    numbers = {**numbers, "attribution": {k: run.get(k) for k in (
        "reference_loss", "reference_loss_raw", "reference_loss_drop", "reference_loss_drop_relative")}}
    said = (f"fixing them alone took the clean reference loss from {_fmt(run.get('reference_loss_raw'))} to "
            f"{_fmt(run.get('reference_loss'))}")
    if drop is not None and drop >= DATA_LIKELY_GAIN and beyond:
        verdict, reason = LIKELY, f"{said} ({_percent(drop)} lower, beyond the seed spread)"
    elif drop is None or drop < DATA_UNLIKELY_GAIN:
        verdict, reason = UNLIKELY, f"flagged, but {said}: under {_percent(DATA_UNLIKELY_GAIN)} lower"
        remedy = "fixing them is cheap and harmless, but it is not why the val loss stalls"
    else:
        verdict, reason = INCONCLUSIVE, f"{said}: lower, but not clearly beyond the seed spread"
    return _row(cause, experiment + "; the --attribute run of these fixes alone", effect, verdict, reason,
                remedy, numbers=numbers)


def _finding_counts(findings: list) -> dict[str, str]:
    counts: dict[str, str] = {}
    for f in findings:
        split = f.metrics.get("split")
        key = f"{f.code}:{split}" if split else f.code
        n = len(f.rows) or f.metrics.get("n_rows") or len(f.columns)
        fraction = f.metrics.get("fraction")
        text = f"{f.code}{f' ({split})' if split else ''}: {n} rows" if n else f.code
        if isinstance(fraction, (int, float)):
            text += f" ({100 * fraction:.1f}%)"
        if f.code == "class_imbalance" and f.metrics.get("imbalance_ratio"):
            text = f"class_imbalance ({split or 'train'}): {f.metrics['imbalance_ratio']:.1f}x"
        counts[key] = f"{text} [{f.severity}]"
    return counts


def _baseline_effect(comparison: Mapping[str, Any] | None) -> str:
    if not comparison:
        return ""
    reference = comparison.get("reference_loss") or {}
    drop = comparison.get("reference_loss_drop") or {}
    relative = comparison.get("reference_loss_drop_relative")
    if reference.get("raw") is None or reference.get("fixed") is None:
        return ""
    return (f"the fixes took the reference loss from {_fmt(reference['raw'])} to {_fmt(reference['fixed'])} "
            f"({_percent(-(relative or 0))}, drop {_pm(drop)})")


# ------------------------------------------------------------------------ snippets


def _snippet(context: dict, *, widths: tuple[int, ...] | None = None, dropout: float | None = None, l2: float = 0.0,
             lr_mode: str = "constant", lr_factor: float = 1.0, patience: int | None = None,
             early_stopping: bool = False, class_weight: Mapping[int, float] | None = None,
             epochs: int | None = None) -> str:
    """A pasteable Keras recipe: the base network with the winning change, compiled and fitted.

    It expects ``x_train, y_train, x_val, y_val``: the encoded features (numbers
    standardised, categories one-hot) and class codes 0..K-1, as the baseline trains on.
    """
    widths = widths or context["widths"]
    dropout = context["dropout"] if dropout is None else dropout
    epochs = epochs or context["epochs"]
    regulariser = f", kernel_regularizer=keras.regularizers.L2({l2:g})" if l2 else ""
    lines = ["model = keras.Sequential([", f"    keras.Input(shape=({context['n_features']},)),"]
    for width in widths:
        lines.append(f"    keras.layers.Dense({width}, activation=\"relu\"{regulariser}),")
        if dropout:
            lines.append(f"    keras.layers.Dropout({dropout:g}),")
    lines.append(f"    keras.layers.Dense({context['n_classes']}, activation=\"softmax\"{regulariser}),")
    lines.append("])")
    rate = BASE_LEARNING_RATE * (lr_factor if lr_mode == "constant" else 1.0)
    lines.append(f"model.compile(optimizer=keras.optimizers.Adam(learning_rate={rate:.2g}),")
    lines.append("              loss=\"sparse_categorical_crossentropy\", metrics=[\"accuracy\"])")
    callbacks = []
    if lr_mode == "decay":
        decay = DECAY_TO ** (1 / max(epochs - WARMUP_EPOCHS, 1))
        lines += [
            "",
            "def schedule(epoch, lr):  # warm start, then exponential decay",
            f"    if epoch < {WARMUP_EPOCHS}:",
            f"        return {rate:.2g} * (epoch + 1) / {WARMUP_EPOCHS}",
            f"    return {rate:.2g} * {decay:.4f} ** (epoch - {WARMUP_EPOCHS - 1})",
        ]
        callbacks.append("keras.callbacks.LearningRateScheduler(schedule)")
    if lr_mode == "plateau":
        callbacks.append(f"keras.callbacks.ReduceLROnPlateau(monitor=\"val_loss\", factor={PLATEAU_FACTOR:g}, "
                         f"patience={plateau_patience(context['patience'])})")
    if early_stopping:
        callbacks.append(f"keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience={patience}, "
                         "restore_best_weights=True)")
    weights_arg = ""
    if class_weight:
        labels = context.get("classes") or []
        pairs = ", ".join(f"{int(code)}: {weight:.3g}" for code, weight in sorted(class_weight.items()))
        names = ", ".join(f"{code}={_label_text(labels[code])}" for code in sorted(class_weight)[:4]
                          if code < len(labels))
        lines += ["", f"class_weight = {{{pairs}}}  # by class code: {names}{', ...' if len(class_weight) > 4 else ''}"]
        weights_arg = ", class_weight=class_weight"
    lines.append("")
    if callbacks:
        lines.append("callbacks = [")
        lines += [f"    {c}," for c in callbacks]
        lines.append("]")
    fit = (f"model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs={epochs}, "
           f"batch_size={context['batch_size']}{weights_arg}" + (", callbacks=callbacks" if callbacks else "") + ")")
    lines.append(fit)
    return "\n".join(lines) + "\n"


def _label_text(label: Any) -> str:
    """A class label safe inside a Python comment: quoted, escaped, short."""
    label = json_label(label)
    text = repr(label if isinstance(label, (int, float)) else str(label))
    return text if len(text) <= 24 else text[:21] + "...'"
