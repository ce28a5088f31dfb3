"""The demo: its report must name every planted problem that a check exists for."""

from __future__ import annotations

import json

import pytest

from audit.demo import THINNED_CLASS, run_demo
from tests.conftest import findings_by_code, flagged


def pairs_flagged(report, code, partner):
    return {tuple(sorted((r["row"], r[partner]))) for f in findings_by_code(report, code) for r in f.rows}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"), baseline={"enabled": False})


def test_demo_report_finds_every_planted_copy_and_leak(demo):
    report, pair = demo
    assert pairs_flagged(report, "exact_duplicates", "duplicate_of") == set(pair.planted["exact_duplicates"])
    assert pairs_flagged(report, "near_duplicates", "duplicate_of") == set(pair.planted["near_duplicates"])
    assert flagged(report, "exact_leakage", "val", "train_row") == set(pair.planted["exact_leakage"])
    assert flagged(report, "near_leakage", "val", "train_row") == set(pair.planted["near_leakage"])


def test_demo_report_finds_the_thinned_class_and_most_flipped_labels(demo):
    report, pair = demo
    train_balance = next(f for f in findings_by_code(report, "class_imbalance") if f.metrics["split"] == "train")
    assert train_balance.metrics["minority_class"] == str(THINNED_CLASS)
    assert str(train_balance.severity) == "warn"
    issues = flagged(report, "label_issues", "train")
    planted = set(pair.planted["flipped_labels"])
    assert len(issues & planted) / len(planted) >= 0.8     # recall
    assert len(issues & planted) / len(issues) >= 0.9      # precision
    assert not report.passed


@pytest.mark.slow
def test_demo_baseline_blames_the_data_and_the_label_fixes_most(demo_cli_json):
    document = json.loads(demo_cli_json.read_text(encoding="utf-8"))  # as `audit demo` runs it
    baseline = document["baseline"]
    assert baseline["status"] == "ran"
    assert baseline["verdict_code"] == "data"
    comparison = baseline["comparison"]["reference_loss"]
    assert comparison["fixed"] < comparison["raw"]
    assert (demo_cli_json.parent / "demo" / "train.csv").exists()
    attribution = baseline["attribution"]
    assert attribution["moved_most"] == "labels"
    families = {entry["family"]: entry for entry in attribution["families"]}
    assert families["labels"]["reference_loss_drop_beyond_spread"]
    assert families["leakage"]["val_inflation_relative"] < families["leakage"]["val_inflation_relative_raw"]
