"""``--attribute``: one more baseline run per fix family, through the whole pipeline.

Digits with two planted problems at once: 20% of train labels flipped and 30% of val rows
copied from (unflipped) train rows. The label fixes must be named as the ones that moved
the clean reference loss; the leakage fixes must take the raw val loss's inflation away
without moving the reference loss, since val rows only score the network.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from audit.api import run_audit
from audit.cli import main
from audit.render.html import render_html
from audit.render.text import render_text


def _frame(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(x, columns=[f"px{i}" for i in range(x.shape[1])])
    frame["digit"] = y
    return frame


def _noisy_and_leaky_pair() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(y_train), int(0.2 * len(y_train)), replace=False)
    noisy = y_train.copy()
    noisy[flipped] = (y_train[flipped] + rng.integers(1, 10, len(flipped))) % 10
    clean_rows = np.setdiff1d(np.arange(len(y_train)), flipped)
    copies = rng.choice(clean_rows, round(0.3 * len(y_val) / 0.7), replace=False)
    order = rng.permutation(len(y_val) + len(copies))
    val_x = np.vstack([x_val, x_train[copies]])[order]
    val_y = np.concatenate([y_val, y_train[copies]])[order]
    return _frame(x_train, noisy), _frame(val_x, val_y), flipped


@pytest.fixture(scope="module")
def attributed():
    train, val, _ = _noisy_and_leaky_pair()
    report = run_audit(train, val, label="digit", checks=["duplicates", "exact_leakage", "label_issues"],
                       baseline={"attribute": True})
    return report


def _family(report, name: str):
    return report.baseline.attribution.family(name)


@pytest.mark.slow
def test_label_fixes_moved_the_reference_loss_most(attributed) -> None:
    attribution = attributed.baseline.attribution
    assert attribution.ran
    assert attribution.moved_most == "labels"
    labels = _family(attributed, "labels")
    assert labels.ran
    assert labels.train_rows_dropped > 200 and labels.val_rows_dropped == 0
    assert labels.effect.reference_loss_drop_relative >= 0.4 and labels.effect.reference_loss_drop_beyond_spread


@pytest.mark.slow
def test_leakage_fixes_remove_the_inflation_and_leave_the_reference_loss(attributed) -> None:
    leakage = _family(attributed, "leakage")
    assert leakage.ran
    assert leakage.train_rows_dropped == 0 and leakage.val_rows_dropped >= 150
    effect = leakage.effect
    assert effect.val_inflation_relative_raw >= 0.10
    assert abs(effect.val_inflation_relative) < 0.05
    # Val rows only score the network: the same train rows and seeds learn (nearly) the same weights.
    assert abs(effect.reference_loss_drop_relative) < 0.03
    assert not effect.reference_loss_drop_beyond_spread
    assert "made the val loss honest" in attributed.baseline.attribution.summary


@pytest.mark.slow
def test_attribution_is_shown_in_every_output(attributed) -> None:
    summary = attributed.baseline.attribution.summary
    assert summary.startswith("Of the fixes, labels moved the numbers most")
    assert f"attribution: {summary}" in render_text(attributed)
    html = render_html(attributed)
    assert "Which fix moved the numbers" in html and "moved most" in html
    json.loads(json.dumps(attributed.to_dict(), allow_nan=False))


def test_attribute_flag_reaches_the_baseline_settings(tmp_path, capsys) -> None:
    train, val, _ = _noisy_and_leaky_pair()
    train.to_csv(tmp_path / "train.csv", index=False)
    val.to_csv(tmp_path / "val.csv", index=False)
    main(["run", "--train", str(tmp_path / "train.csv"), "--val", str(tmp_path / "val.csv"), "--label", "digit",
          "--checks", "exact_leakage", "--attribute", "--baseline-budget", "0.001", "--out", str(tmp_path),
          "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["baseline"]["attribute"] is True
    assert report["baseline"]["status"] == "skipped" and "budget" in report["baseline"]["reason"]
