"""The Python API mirrors `audit run`: checks, fix plan and baseline in one call, no printing."""

from __future__ import annotations

import pytest

from audit import run_audit
from tests.conftest import LABEL, planted_pair

ROLES = dict(label=LABEL, id_column="id", group_column="group", time_column="time")


def test_run_audit_plans_fixes_and_says_why_the_baseline_did_not_run(capsys):
    pair = planted_pair()
    report = run_audit(pair.train, pair.val, **ROLES, checks=["duplicates", "exact_leakage"],
                       baseline={"enabled": False})
    # 12 repeated rows drop their later copy; 12 relabelled copies drop with their originals.
    assert report.fixes.train_rows_dropped == 12 + 2 * 12
    assert not report.baseline.ran and "disabled" in report.baseline.reason
    assert len(report.fixed_val()) == len(pair.val) - len(pair.truth["exact_leakage"])
    assert capsys.readouterr() == ("", "")


@pytest.mark.slow
def test_run_audit_trains_the_baseline_by_default(capsys):
    pair = planted_pair()
    report = run_audit(pair.train, pair.val, **ROLES, checks=["duplicates", "exact_leakage"],
                       baseline={"seeds": 1, "epochs": 3})
    assert report.baseline.ran
    assert report.baseline.verdict.code in {"data", "model", "leakage", "inconclusive"}
    assert len(report.baseline.raw.curves["val_loss"].mean) == 3
    assert capsys.readouterr() == ("", "")
