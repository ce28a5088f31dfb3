"""Run the diagnosis: sample the fixed data to the plan, train the experiments, judge every cause."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from audit.training import runtime
from audit.training.diagnose.augment import AUGMENT_SHARE, not_measured, plan_augmentation, run_augmentation, sampled
from audit.training.diagnose.data_causes import data_cause, imbalance_flagged
from audit.training.diagnose.experiments import experiments as measure, learning_curve
from audit.training.diagnose.model_causes import (
    early_stopping,
    knob,
    overfitting,
    still_improving,
    too_little_data,
    unconverged,
)
from audit.training.diagnose.packed import minority_classes, train_members
from audit.training.diagnose.plan import (
    BASE_LEARNING_RATE,
    MAX_VAL_ROWS,
    MIN_EPOCHS,
    MIN_SAMPLE_ROWS,
    MIN_SEEDS,
    PLAN_SHARE,
    BaseSetup,
    DiagnoseSettings,
    Plan,
    estimate_seconds,
    plan_budget,
)
from audit.training.diagnose.results import Budget, Cause, Diagnosis, Experiment, Network, diagnosis_skipped
from audit.training.encoding import Encoded, balanced_class_weight, class_weight, encode_pair, json_label, prior_loss
from audit.training.fitting import STEPS_PER_EXECUTION, batch_size_for
from audit.training.inputs import BaselineSettings, BaselineSplit
from audit.training.networks import NETWORKS
from audit.training.results import BaselineResult, Skipped
from checks.images.table import BUILT_IN_INPUTS

log = logging.getLogger(__name__)

MAX_SETTLE_FACTOR = 4
SETTLE_MIN_FACTOR = 1.5


@dataclass(frozen=True)
class _BaseTraining:
    """Epochs, patience, network and batch size: the diagnosis settings, else the baseline's."""

    model: str
    model_file: str | None
    epochs: int
    patience: int
    batch_size: int | None


def diagnose(report: Any, settings: DiagnoseSettings | None = None,
             progress: Callable[[str], None] | None = None) -> Diagnosis | Skipped:
    """Diagnose a report's fixed data; the result goes into ``report.diagnosis``.

    Reads the fix plan (``report.plan``, made by :func:`audit.run.add_fix_plan`), the findings
    and the baseline's comparison; trains on ``plan.fixed_frames(data)``. Skipped, with the
    reason, when it cannot run.
    """
    from audit.fixes import FixOptions, build_plan
    from audit.training.pipeline import training_split
    from checks import REGISTRY

    settings = settings or DiagnoseSettings()
    data = report.data
    if "val" not in data.frames:
        return diagnosis_skipped("no validation split: the diagnosis compares training with validation loss")
    plan = report.plan or build_plan(report.all_findings, data, FixOptions.recorded(report.fixes))
    fixed = plan.fixed_frames(data)
    if fixed.train.empty or fixed.val is None or fixed.val.empty:
        return diagnosis_skipped("the fix plan leaves no training or no validation rows")
    ran = {code for r in report.results if r.status == "ran" for code in getattr(REGISTRY.get(r.check), "codes", ())}
    baseline = report.baseline if report.baseline is not None and report.baseline.ran else None
    configured = None
    options = (report.settings or {}).get("baseline")
    if baseline is None and isinstance(options, Mapping):
        # the baseline did not train (disabled or skipped): its configured settings still apply
        configured = BaselineSettings(**{k: options[k] for k in ("model", "model_file", "epochs", "patience")
                                         if k in options})
    return run_diagnosis(training_split(data, fixed.train), training_split(data, fixed.val),
                         findings=[f for _, f in report.all_findings], checked_codes=ran, baseline=baseline,
                         baseline_settings=configured, settings=settings, progress=progress,
                         pictures_described=data.images.inputs.described if data.images is not None else None)


def run_diagnosis(
    train: BaselineSplit,
    val: BaselineSplit,
    *,
    findings: Iterable[Any] = (),
    checked_codes: Iterable[str] | None = None,
    baseline: BaselineResult | None = None,
    baseline_settings: BaselineSettings | None = None,
    settings: DiagnoseSettings | None = None,
    progress: Callable[[str], None] | None = None,
    pictures_described: str | None = None,
) -> Diagnosis | Skipped:
    """Run the experiments on a (fixed) train/val pair and judge every cause.

    ``findings`` are the checks' findings (``checks.Finding``), ``checked_codes`` the
    finding codes of the checks that ran (None: every code counts as checked),
    ``baseline`` the trained baseline (or None), ``baseline_settings`` what the baseline
    would have trained with when it did not; ``pictures_described`` names what the dense
    experiments read of pictures (the label-issue model's inputs: embeddings or colour features).
    """
    started = time.perf_counter()
    settings = settings or DiagnoseSettings()
    if settings.seeds < 1 or not settings.budget_s > 0:
        raise ValueError(f"The diagnosis needs at least 1 seed and a positive budget. Got seeds={settings.seeds}, "
                         f"budget_s={settings.budget_s} instead.")
    say = progress or (lambda step: None)
    findings = list(findings)
    checked = None if checked_codes is None else set(checked_codes)
    base = _base_training(baseline, baseline_settings, settings)
    pictures = train.pictures is not None
    try:  # the packed experiments are dense: for pictures they read the pictures' cheap features
        encoded, classes = encode_pair(replace(train, pictures=None), replace(val, pictures=None))
    except ValueError as error:
        return diagnosis_skipped(f"the network cannot train on this data: {error}")
    n_train, n_val = len(encoded.y_train), len(encoded.y_val)
    widths, dropout = NETWORKS[base.model]
    batch_size = base.batch_size or batch_size_for(n_train, BaselineSettings())
    dense_budget_s = settings.budget_s * (1 - AUGMENT_SHARE) if pictures else settings.budget_s
    plan = plan_budget(n_train, min(n_val, MAX_VAL_ROWS), encoded.x_train.shape[1], len(classes), widths, dropout,
                       dense_budget_s, seeds=settings.seeds, epochs=base.epochs, batch_size=batch_size,
                       keras_loaded="keras" in sys.modules, imbalance=bool(imbalance_flagged(findings)),
                       base_weighted=class_weight(encoded.y_train) is not None)
    if plan is None:
        return diagnosis_skipped(
            f"even the smallest plan ({MIN_SEEDS} seeds, {MIN_SAMPLE_ROWS} rows, {MIN_EPOCHS} epochs) would take "
            f"longer than the {settings.budget_s:.0f} s budget; raise --diagnose-budget"
        )
    notes = []
    if pictures:
        described = pictures_described or BUILT_IN_INPUTS
        notes.append(f"pictures: augmentation trains the baseline's CNN; the other experiments vary the dense network "
                     f"on the pictures' {described} (packed experiments hold dense layers only)")
    if base.model_file:
        notes.append(f"the baseline trains a model file, which cannot be varied: these experiments vary the "
                     f"built-in {base.model} network instead")
    data = _sampled(encoded, plan, settings.random_state, notes)
    log.info("diagnosis: %d variants x %d seeds x %d epochs on %d rows (estimate %.0f s; cut: %s)",
             len(plan.variants), plan.seeds, plan.epochs, len(data.y_train), plan.estimated_s,
             "; ".join(plan.cuts) or "nothing")
    say(f"diagnose: {len(plan.variants)} variants x {plan.seeds} seeds x {plan.epochs} epochs on "
        f"{len(data.y_train)} rows")
    deadline = started + dense_budget_s
    members = [(variant, seed) for variant in plan.variants for seed in range(plan.seeds)]
    fit_started, fit_cpu = time.perf_counter(), time.process_time()
    try:
        curves, stopped = train_members(data, members, len(classes), plan.epochs, batch_size, base.patience,
                                        settings.random_state, deadline)
    finally:
        say("")
    fit_s, fit_cpu_s = time.perf_counter() - fit_started, time.process_time() - fit_cpu
    measured = measure(plan, curves, base.patience)
    first = measured["base"]
    first_epochs = plan.epochs
    settle = None if stopped or not settings.settle else _settle_epochs(
        first, plan, int(data.x_train.shape[1]), len(classes), batch_size, dense_budget_s)
    if settle is not None and settle > plan.epochs:
        say(f"diagnose: the base was still improving at epoch {plan.epochs}; training again for {settle} epochs")
        fit_started, fit_cpu = time.perf_counter(), time.process_time()
        try:
            settled_curves, stopped = train_members(data, members, len(classes), settle, batch_size, base.patience,
                                                    settings.random_state, deadline)
        finally:
            say("")
        fit_s += time.perf_counter() - fit_started
        fit_cpu_s += time.process_time() - fit_cpu
        plan, curves = replace(plan, epochs=settle), settled_curves
        measured = measure(plan, curves, base.patience)
        notes.append(f"the base was still improving at epoch {first_epochs} in most seeds, so every experiment "
                     f"trained again for {settle} epochs (as long as the budget allows, at most "
                     f"{MAX_SETTLE_FACTOR}x) before the other causes were judged")
    elif settle is not None:
        notes.append(f"the base was still improving at epoch {first_epochs} in most seeds and the budget leaves no "
                     "room to train longer: raise --diagnose-budget to let the experiments settle")
    learning = learning_curve(plan, measured, data, settings.random_state)
    setup = BaseSetup(
        patience=base.patience,
        epochs=plan.epochs,
        batch_size=batch_size,
        n_features=int(data.x_train.shape[1]),
        n_classes=len(classes),
        classes=tuple(classes),
        widths=widths,
        dropout=dropout,
        prior_val_loss=prior_loss(data.y_train, data.y_val, len(classes)),
        class_weight=class_weight(data.y_train),
        balanced_weight=balanced_class_weight(data.y_train),
        minority_classes=tuple(int(code) for code in minority_classes(data.y_train)),
    )
    augmentation = [_augmentation(train, val, settings, base.epochs, base.patience, batch_size, started, say)
                    ] if pictures else []
    causes = [
        overfitting(measured["base"], setup),
        too_little_data(learning),
        knob("capacity", measured, setup),
        knob("regularisation", measured, setup),
        *augmentation,
        knob("learning_rate", measured, setup),
        early_stopping(measured["base"], setup),
        unconverged(first, setup, measured["base"] if plan.epochs > first_epochs else None, first_epochs),
        *(data_cause(cause, findings, checked, baseline, setup, measured)
          for cause in ("label_noise", "duplicates", "leakage", "imbalance")),
    ]
    epochs_run = len(curves["val_loss"])
    if stopped:
        notes.append(f"the time budget stopped training after {epochs_run} of {plan.epochs} epochs")
        log.info("diagnosis stopped by the time budget after %d epochs", epochs_run)
    return Diagnosis(
        causes=tuple(causes),
        network=Network(base.model, widths, dropout, BASE_LEARNING_RATE, batch_size, STEPS_PER_EXECUTION),
        budget=Budget(
            budget_s=settings.budget_s,
            estimated_s=round(plan.estimated_s, 1),
            seeds=plan.seeds,
            epochs=plan.epochs,
            epochs_run=epochs_run,
            first_epochs=first_epochs,
            train_rows=len(data.y_train),
            train_rows_available=n_train,
            val_rows=len(data.y_val),
            val_rows_available=n_val,
            variants=len(plan.variants),
            cuts=plan.cuts,
            stopped_by_deadline=stopped,
            training_s=round(fit_s, 2),
            training_cpu_s=round(fit_cpu_s, 2),
        ),
        notes=tuple(notes),
        patience=base.patience,
        classes=tuple(json_label(c) for c in classes),
        prior_val_loss=setup.prior_val_loss,
        learning_curve=learning,
        experiments=measured,
        environment=runtime.environment(),
        duration_s=round(time.perf_counter() - started, 3),
    )


def _settle_epochs(base: Experiment, plan: Plan, n_features: int, n_classes: int, batch_size: int,
                   budget_s: float) -> int | None:
    """How many epochs to train every experiment again for when the base was still improving at its last
    epoch in most seeds: up to ``MAX_SETTLE_FACTOR`` times the plan's, as many as the cost model fits in
    the plan's share of the budget beside the first training (an estimate, not the clock, so the same
    data gives the same plan). None when it had settled; the plan's own epochs when under
    ``SETTLE_MIN_FACTOR`` times them fits."""
    if still_improving(base) * 2 < len(base.per_seed):
        return None
    room = PLAN_SHARE * budget_s - plan.estimated_s
    for epochs in range(MAX_SETTLE_FACTOR * plan.epochs, math.ceil(SETTLE_MIN_FACTOR * plan.epochs) - 1, -1):
        if estimate_seconds(plan.train_rows, plan.val_rows, n_features, n_classes, plan.variants, plan.seeds, epochs,
                            batch_size, keras_loaded=True) <= room:
            return epochs
    return plan.epochs


def _augmentation(train: BaselineSplit, val: BaselineSplit, settings: DiagnoseSettings, epochs: int, patience: int,
                  batch_size: int, started: float, say: Callable[[str], None]) -> Cause:
    """The augmentation row for pictures: its plan within its share of the budget, trained and judged."""
    encoded, classes = encode_pair(train, val)
    plan = plan_augmentation(len(encoded.y_train), settings.seeds, epochs, AUGMENT_SHARE * settings.budget_s,
                             keras_loaded=True)
    if plan is None:
        return not_measured(f"even {MIN_SEEDS} seeds x {MIN_EPOCHS} epochs on {MIN_SAMPLE_ROWS} pictures would take "
                            f"longer than its share of the {settings.budget_s:.0f} s budget")
    rng = np.random.default_rng([settings.random_state, 1])
    rows = _stratified(encoded.y_train, plan.train_rows, rng)
    val_rows = _stratified(encoded.y_val, MAX_VAL_ROWS, rng)
    data = sampled(Encoded(encoded.x_train, encoded.y_train, encoded.x_val[val_rows], encoded.y_val[val_rows],
                           encoded.x_ref, encoded.y_ref, encoded.class_weight), rows)
    say(f"diagnose: augmentation, {plan.seeds} seeds x {plan.epochs} epochs on {len(rows)} pictures")
    try:
        return run_augmentation(runtime.load_keras(), data, plan, len(classes), batch_size, patience,
                                settings.random_state, started + settings.budget_s)
    finally:
        say("")


def _base_training(baseline: BaselineResult | None, configured: BaselineSettings | None,
                   settings: DiagnoseSettings) -> _BaseTraining:
    """The diagnosis settings where given, else what the baseline trained (or would have), else its defaults."""
    recorded = baseline.settings if baseline is not None else configured
    defaults = BaselineSettings()
    model = settings.model or (recorded.model if recorded else None) or defaults.model
    model_file = recorded.model_file if recorded else None
    if model_file and not settings.model:
        model = "default"
    if model not in NETWORKS:
        raise ValueError(f"The 'model' setting of the diagnosis must be one of {', '.join(NETWORKS)}. Got {model!r}.")
    batch = settings.batch_size or (baseline.batch_size if baseline is not None else None)
    return _BaseTraining(
        model=model,
        model_file=model_file,
        epochs=int(settings.epochs or (recorded.epochs if recorded else None) or defaults.epochs),
        patience=int(settings.patience or (recorded.patience if recorded else None) or defaults.patience),
        batch_size=int(batch) if batch else None,
    )


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


def _sampled(data: Encoded, plan: Plan, random_state: int, notes: list[str]) -> Encoded:
    """The encoded matrices cut to the plan's rows (stratified samples, seeded); the val rows stand
    in for the reference set. Each cut is said in ``notes``."""
    rng = np.random.default_rng(random_state)
    train_rows = _stratified(data.y_train, plan.train_rows, rng)
    val_rows = _stratified(data.y_val, plan.val_rows, rng)
    if len(val_rows) < len(data.y_val):
        notes.append(f"validation scored on a stratified sample of {len(val_rows)} of {len(data.y_val)} rows")
    if len(train_rows) < len(data.y_train):
        notes.append(f"trained on a stratified sample of {len(train_rows)} of {len(data.y_train)} train rows")
    return Encoded(data.x_train[train_rows], data.y_train[train_rows], data.x_val[val_rows], data.y_val[val_rows],
                   data.x_val[val_rows], data.y_val[val_rows], class_weight(data.y_train[train_rows]))
