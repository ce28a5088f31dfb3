"""The Keras baseline on Spark: trained on a seeded sample of each split, and saying so.

The network trains in one process, on the driver, so the splits are sampled first: train
gets at most ``MAX_ROWS`` rows and no more than the baseline's time budget allows (the rows
:func:`~audit.training.pipeline.rows_within_budget` gives for the configured seeds and epochs),
val the same share of its rows (at least ``MIN_VAL_ROWS``, or all of them). Rows are chosen
by a seeded hash of their row number (:func:`~audit.spark.collect.seeded_sample`), so a
planted defect is as common in the sample as in the split, and come back indexed by their
row numbers. The fix plan, built from the findings on every row, is applied to the sampled
rows it names, and the baseline trains raw and fixed exactly as on one machine; its result
carries ``sample`` (rows of how many, per split).
"""

from __future__ import annotations

import math
from dataclasses import replace

from audit.config import Settings
from audit.engines.base import TrainingData
from audit.fixes import FixPlan
from audit.progress import Progress, no_progress
from audit.spark.collect import seeded_sample
from audit.spark.load import SparkAuditData
from audit.training.pipeline import rows_within_budget
from audit.training.results import SampledSplit, TrainingSample
from checks.base import AuditData

MAX_ROWS = 200_000
# Fewer rows than this would measure nothing: below it the budget's own message says why not.
MIN_TRAIN_ROWS = 1000
MIN_VAL_ROWS = 1000


def sample_for_training(data: SparkAuditData, plan: FixPlan, settings: Settings,
                        progress: Progress = no_progress) -> TrainingData:
    """A seeded sample of each split on the driver, sized by the baseline's budget, and the plan on its rows."""
    n_rows = dict(data.n_rows)
    fits = rows_within_budget(len(data.feature_columns), settings.baseline, settings.seed, MAX_ROWS)
    wanted = {"train": min(n_rows["train"], max(fits, MIN_TRAIN_ROWS))}
    if "val" in n_rows:
        share = wanted["train"] / n_rows["train"]
        wanted["val"] = min(n_rows["val"], max(math.ceil(share * n_rows["val"]), MIN_VAL_ROWS))
    progress(f"baseline: collecting a seeded sample of {wanted['train']} of {n_rows['train']} train rows")
    frames = {split: seeded_sample(data, split, rows) for split, rows in wanted.items()}
    progress("")
    on_driver = AuditData(frames=frames, label=data.label, id_column=data.id_column, group_column=data.group_column,
                          time_column=data.time_column, ignored=data.ignored, sources=data.sources,
                          random_state=data.random_state)
    sampled = {split: SampledSplit(len(frame), n_rows[split]) for split, frame in frames.items()}
    sample = None
    if any(entry.rows < entry.of_rows for entry in sampled.values()):
        sample = TrainingSample(sampled, "seeded sample by a hash of the row number, collected from Spark; the fix "
                                         "plan applied to the sampled rows")
    return TrainingData(on_driver, sampled_plan(plan, on_driver), sample)


def sampled_plan(plan: FixPlan, sample: AuditData) -> FixPlan:
    """The plan's actions on the rows the sample holds."""
    held = {split: set(frame.index) for split, frame in sample.frames.items()}
    return replace(plan, actions=tuple(a for a in plan.actions if a.row in held.get(a.split, ())))
