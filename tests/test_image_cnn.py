"""The small CNN of label issues on pictures without vectors: its plan, its flags, its silence on clean folders.

The planted folders have textured backgrounds and shapes of any hue, so the colour features
cannot tell the classes apart and the network has to.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from audit.config import configure
from audit.errors import InputError
from audit.images import cnn
from audit.images.folders import load_image_folders
from audit.images.synthetic import PlantSpec, write_planted_folders
from audit.runner import run_checks
from checks import REGISTRY

TEXTURED = PlantSpec(n_train=480, n_val=80, side_range=(48, 64), background="textured", seed=2).clean()
# Enough epochs to learn the shapes of a few hundred small pictures in seconds on two cores.
TEST_BUDGET_S = 20.0


def label_issues(root: Path, min_pictures: int = 100):
    data = load_image_folders(root / "train", root / "val")
    cnn.attach_small_cnn(data, TEST_BUDGET_S, min_pictures=min_pictures)
    [result] = run_checks(data, [REGISTRY["label_issues"]()])
    assert result.status == "ran", result.detail
    [train] = [f for f in result.findings if f.metrics["split"] == "train"]
    return train, {r["path"] for r in train.rows}


def test_the_budget_shrinks_the_plan_epochs_then_folds_then_pictures():
    roomy = cnn.plan_training(10_000, 2_000, 5, 4, 10_000.0)
    default = cnn.plan_training(10_000, 2_000, 5, 4, 180.0)
    tight = cnn.plan_training(10_000, 2_000, 5, 4, 60.0)
    assert (roomy.folds, roomy.epochs, roomy.n_fit_rows, roomy.cuts) == (5, cnn.MAX_EPOCHS, 10_000, ())
    assert default.estimated_s <= 180.0 and default.n_fit_rows == 10_000
    assert (default.folds, default.epochs) < (roomy.folds, roomy.epochs)
    assert tight.folds == cnn.MIN_FOLDS and tight.n_fit_rows < 10_000 and tight.estimated_s <= 60.0
    assert any("sample" in cut for cut in tight.cuts)
    assert cnn.plan_training(10_000, 2_000, 5, 4, 5.0) is None
    assert cnn.plan_training(10_000, 2_000, 5, 4, 180.0) == default  # counts alone decide: no clock


def test_too_few_pictures_train_no_network_and_the_finding_says_why(tmp_path):
    write_planted_folders(tmp_path, replace(TEXTURED, n_train=60, n_val=20))
    train, _ = label_issues(tmp_path, min_pictures=cnn.MIN_PICTURES)
    assert train.metrics["model"] != cnn.MODEL
    assert "fewer than the 1000" in train.metrics["network"]["skipped"]


def test_images_settings_are_read_from_the_config_and_a_typo_is_refused():
    settings = configure({"images": {"model": "none", "cnn_budget_s": 60}}, {}).settings
    assert settings.images == {"model": "none", "cnn_budget_s": 60}
    with pytest.raises(InputError, match="did you mean 'cnn_budget_s'"):
        configure({"images": {"cnn_budget": 60}}, {})


@pytest.mark.slow
def test_on_textured_pictures_the_cnn_beats_the_colour_features_and_the_same_seed_flags_the_same(tmp_path):
    """A few hundred pictures train the network in seconds, not well: whether it finds the
    wrong folders of a 2,700-picture folder and stays quiet on a clean one is measured by
    bench/bench_images.py --cnn-sizes."""
    truth = write_planted_folders(tmp_path, replace(TEXTURED, wrong_class=0.08))
    planted = {path for _, path in truth.paths("wrong_class")}
    train, flagged = label_issues(tmp_path)
    assert train.metrics["model"] == cnn.MODEL, train.message
    choice = {c["model"]: c for c in train.metrics["model_choice"]["candidates"]}
    assert choice[cnn.MODEL]["error_rate"] < min(c["error_rate"] for m, c in choice.items() if m != cnn.MODEL)
    assert "small cnn on 32x32 px RGB copies" in train.message and "out-of-fold accuracy" in train.message
    assert len(flagged & planted) > len(planted) / 2, (len(flagged & planted), len(flagged), len(planted))
    again, flagged_again = label_issues(tmp_path)
    assert flagged_again == flagged
    assert again.metrics["prediction_accuracy"] == train.metrics["prediction_accuracy"]
