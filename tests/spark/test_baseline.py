"""The Keras baseline on Spark: trained on a seeded sample of each split, the fix plan applied to it."""

from __future__ import annotations

import pytest

from audit import run_audit
from audit.training.pipeline import rows_within_budget
from tests.spark.conftest import N_EACH, N_TRAIN, N_VAL, ROLES

pytestmark = pytest.mark.slow

# Three epochs of one seed: the budget, not the data, then bounds the sample (about 10,000 rows).
BASELINE = {"epochs": 3, "seeds": 1, "time_budget_s": 10.0}


@pytest.fixture(scope="module")
def sampled_report(planted_50k, spark):
    files = planted_50k.folder / "train.csv", planted_50k.folder / "val.csv"
    return run_audit(*files, checks=["duplicates", "exact_leakage"], engine="spark", spark=spark, baseline=BASELINE,
                     **ROLES)


def test_the_baseline_trains_on_a_seeded_sample_sized_by_its_budget_and_says_so(sampled_report):
    from audit.render.html import render_html
    from audit.render.text import render_text

    baseline = sampled_report.baseline
    assert baseline.ran and baseline.verdict.text
    n_train = N_TRAIN + 2 * N_EACH
    n_features = len(sampled_report.data.feature_columns)
    expected = rows_within_budget(n_features, BASELINE, 0, 200_000)
    sample = baseline.sample.splits
    assert (sample["train"].rows, sample["train"].of_rows) == (expected, n_train) and expected < n_train
    assert sample["val"].of_rows == N_VAL + 2 * N_EACH
    assert sample["val"].rows == pytest.approx(expected / n_train * sample["val"].of_rows, abs=1)
    assert baseline.raw.train_rows == expected
    note = f"trained on a seeded sample: {expected} of {n_train} train rows, {sample['val'].rows} of"
    assert note in render_text(sampled_report)
    assert note in render_html(sampled_report)


def test_the_fix_plan_is_applied_to_the_sampled_rows_it_names(sampled_report):
    from audit.spark.baseline import sampled_plan
    from audit.spark.collect import seeded_sample

    plan, data, baseline = sampled_report.plan, sampled_report.data, sampled_report.baseline
    train = seeded_sample(data, "train", baseline.sample.splits["train"].rows)
    dropped = set(plan.dropped("train")) & set(train.index)
    assert dropped  # about a fifth of the planted duplicates fall in the sample
    assert baseline.fixed.train_rows == len(train) - len(dropped)
    assert {a.row for a in sampled_plan(plan, data_with(data, train)).actions if a.split == "train"} == dropped


def data_with(data, train):
    from checks.base import AuditData

    return AuditData(frames={"train": train}, label=data.label)
