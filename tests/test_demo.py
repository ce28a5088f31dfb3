"""The demo: its report must name every planted problem that a check exists for."""

from __future__ import annotations

from audit.demo import THINNED_CLASS, run_demo
from tests.conftest import findings_by_code, flagged


def test_demo_report_finds_every_planted_problem(tmp_path):
    report, pair = run_demo(tmp_path)
    assert sorted(flagged(report, "exact_duplicates", "train")) == pair.planted["exact_duplicates"]
    assert sorted(flagged(report, "exact_leakage", "val")) == pair.planted["exact_leakage"]
    train_balance = next(f for f in findings_by_code(report, "class_imbalance") if f.metrics["split"] == "train")
    assert train_balance.metrics["minority_class"] == str(THINNED_CLASS)
    assert str(train_balance.severity) == "warn"
    assert (tmp_path / "demo" / "train.csv").exists() and not report.passed
