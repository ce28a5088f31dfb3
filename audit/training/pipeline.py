"""Train the baseline on a report's raw splits and on its fix plan's fixed splits.

This is the bridge between the checks and :mod:`audit.training.baseline`: it turns the
loaded frames and the plan into the five splits the baseline compares (raw train/val, fixed
train/val, the clean reference), and decides whether training fits the time budget before
TensorFlow is ever imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from audit.fixes import FixPlan
from audit.progress import Progress, no_progress
from audit.training.cost import baseline_seconds, conv_seconds
from audit.training.inputs import BaselineSettings, BaselineSplit
from audit.training.results import BaselineResult, Skipped, TrainingSample, baseline_skipped
from checks import AuditData
from checks.base import counted

DEFAULT_TIME_BUDGET_S = 120.0


def baseline_settings(options: Mapping[str, Any], seed: int) -> BaselineSettings:
    """The baseline settings from the config's ``[baseline]`` table (unknown keys are refused there)."""
    known = {k: v for k, v in options.items() if k in ("model", "model_file", "seeds", "epochs", "patience")}
    return BaselineSettings(random_state=seed, **known)


def time_budget_s(options: Mapping[str, Any]) -> float:
    """The ``[baseline]`` table's time budget in seconds (default 120 s)."""
    return float(options.get("time_budget_s", DEFAULT_TIME_BUDGET_S))


def training_split(data: AuditData, frame: pd.DataFrame) -> BaselineSplit:
    """A loaded (or fixed) frame as the network sees it: the feature columns and the labels
    (for pictures, each picture's features: :mod:`audit.images.network`)."""
    if data.images is not None:
        from audit.images.network import picture_features, picture_pixels

        return BaselineSplit(picture_features(data, frame), frame[data.label].to_numpy(),
                             picture_pixels(data, frame))
    return BaselineSplit(frame[data.feature_columns], frame[data.label].to_numpy())


def training_seconds(data: AuditData, settings: BaselineSettings, runs: int = 2) -> float:
    """The cost model's estimate of ``runs`` baseline runs on ``data``: the convolutional network
    for pictures (unless a model file is given, costed as for tables), else the dense one."""
    n_train = len(data.frames["train"])
    if data.images is not None and settings.model_file is None:
        from audit.training.conv import picture_shape

        return conv_seconds(n_train, picture_shape(), settings, runs)
    return baseline_seconds(n_train, len(data.feature_columns), settings, runs)


def rows_within_budget(n_features: int, options: Mapping[str, Any], seed: int, most: int) -> int:
    """The most train rows (up to ``most``) whose estimated training fits the time budget, or 0.

    For an engine that trains on a sample: sized by this, the sample is trained on instead
    of being skipped as over budget.
    """
    settings = baseline_settings(options, seed)
    budget = time_budget_s(options)
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if baseline_seconds(middle, n_features, settings) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def run_baseline_for(data: AuditData, plan: FixPlan, options: Mapping[str, Any], seed: int,
                     progress: Progress = no_progress, *,
                     sample: TrainingSample | None = None) -> BaselineResult | Skipped:
    """Train raw and fixed runs, or say why not: no val split, nothing left, or over budget.

    ``options`` is the config's ``[baseline]`` table; ``time_budget_s`` (default 120 s)
    bounds the estimated training time, and an estimate over it skips training with a reason
    instead of silently running for an hour. ``model_file`` is only ever run when given.
    ``sample`` says which part of larger splits ``data`` holds (from an engine that trains on
    a sample); a trained result carries it, so the report says what the network saw.
    """
    from audit.training.baseline import run_baseline

    if "val" not in data.frames:
        return baseline_skipped("no validation split: the baseline compares training with validation loss")
    settings = baseline_settings(options, seed)
    budget = time_budget_s(options)
    estimate = training_seconds(data, settings)
    if estimate > budget:
        return baseline_skipped(
            f"training would take about {estimate:.0f} s, over the {budget:.0f} s budget; raise "
            f"baseline.time_budget_s, or lower baseline.seeds or baseline.epochs"
        )
    fixed = plan.fixed_frames(data)
    if fixed.reference is None or fixed.reference.empty or fixed.train.empty:
        return baseline_skipped("the fix plan leaves no training rows or no clean validation rows to compare on")

    progress(f"baseline: {counted(settings.seeds, 'seed')} x {counted(settings.epochs, 'epoch')} on raw and fixed data")
    try:
        result = run_baseline(training_split(data, data.frames["train"]), training_split(data, data.frames["val"]),
                              training_split(data, fixed.train), training_split(data, fixed.val),
                              training_split(data, fixed.reference), settings)
    except ValueError as error:  # data the network cannot use (one class, no usable feature)
        return baseline_skipped(f"the baseline could not train: {error}")
    finally:
        progress("")
    return replace(result, estimated_s=round(estimate, 1), sample=sample)
