"""The baseline on a text column: 20% flipped ticket labels are blamed on the data."""

from __future__ import annotations

import pytest

from audit import run_audit
from audit.tickets import LABEL, TEXT, make_text_pair


@pytest.mark.slow
def test_flipped_ticket_labels_are_blamed_on_the_data():
    pair = make_text_pair(3200, 800, seed=1, flip_fraction=0.2)
    report = run_audit(pair.train, pair.val, label=LABEL, text_columns=[TEXT], checks=["label_issues"],
                       baseline={"seeds": 2, "epochs": 30, "attribute": False})
    baseline = report.to_dict()["baseline"]
    reference = baseline["comparison"]["reference_loss"]
    assert baseline["verdict_code"] == "data", baseline["verdict"]
    assert reference["fixed"] <= 0.8 * reference["raw"]
