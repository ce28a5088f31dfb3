"""The baseline for pictures is a small CNN; the diagnosis tries augmentation on it, for pictures only."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.cli import main
from audit.images.synthetic import PlantSpec, draw_picture, write_planted_folders
from audit.training.conv import PICTURE_SIDE, picture_shape
from audit.training.cost import conv_seconds
from audit.training.diagnose.augment import AugmentationPlan, judge, plan_augmentation
from audit.training.diagnose.results import LIKELY, UNLIKELY
from audit.training.encoding import encode_run
from audit.training.inputs import BaselineSettings, BaselineSplit
from checks.images.decode import measure

SPEC = PlantSpec(n_train=240, n_val=80, seed=3).clean()


def audit_folders(root: Path, wrong_class: float, *extra: str) -> dict:
    write_planted_folders(root / "set", replace(SPEC, wrong_class=wrong_class))
    code = main(["run", "--train", str(root / "set" / "train"), "--val", str(root / "set" / "val"),
                 "--out", str(root / "out"), "--checks", "label_issues", "--seeds", "2", "--epochs", "12",
                 "--quiet", *extra])
    assert code in (0, 1)
    return json.loads((root / "out" / "train.json").read_text())


def test_pictures_reach_the_network_as_small_rgb_copies_scaled_to_the_unit_range():
    picture = np.asarray(draw_picture(np.random.default_rng(0), "circle", (120, 90)))
    decoded = measure(picture, 120, 90, "RGB", "PNG", picture.nbytes)
    assert decoded.pixels.shape == (PICTURE_SIDE, PICTURE_SIDE, 3) and decoded.pixels.dtype == np.uint8
    pictures = np.stack([decoded.pixels, 255 - decoded.pixels])
    split = BaselineSplit(pd.DataFrame({"picture_0": [0.0, 1.0]}), np.array(["a", "b"]), pictures)
    encoded = encode_run("raw", split, split, split, ["a", "b"])
    assert encoded.x_train.shape == (2, *picture_shape()) and encoded.x_train.dtype == np.float32
    assert 0.0 <= encoded.x_train.min() and encoded.x_train.max() <= 1.0
    assert np.allclose(encoded.x_train[0] + encoded.x_train[1], 1.0)


def test_the_cost_of_the_cnn_grows_with_pictures_seeds_and_epochs_and_cuts_the_augmentation_plan():
    small = conv_seconds(500, picture_shape(), BaselineSettings(seeds=2, epochs=10))
    assert conv_seconds(1000, picture_shape(), BaselineSettings(seeds=2, epochs=10)) > 1.8 * small - 10
    assert conv_seconds(500, picture_shape(), BaselineSettings(seeds=4, epochs=10)) > small
    assert conv_seconds(500, picture_shape(), BaselineSettings(seeds=2, epochs=20)) > small
    roomy = plan_augmentation(500, 3, 40, budget_s=10_000)
    assert roomy is not None and roomy.cuts == () and (roomy.seeds, roomy.epochs, roomy.train_rows) == (3, 40, 500)
    tight = plan_augmentation(20_000, 3, 40, budget_s=60)
    assert tight is not None and tight.cuts and tight.estimated_s <= 0.7 * 60
    assert plan_augmentation(20_000, 3, 40, budget_s=1) is None


def seeds(best: list[float], end: list[float]) -> list[dict]:
    return [{"seed": k, "best_val_loss": b, "val_loss_end": e, "end_gap": e - 0.1, "stall_epoch": None}
            for k, (b, e) in enumerate(zip(best, end))]


def test_augmentation_that_clearly_lowers_the_val_loss_is_likely_with_a_snippet_else_not():
    plan = AugmentationPlan(seeds=3, epochs=30, train_rows=200, estimated_s=10.0, cuts=())
    plain = seeds([0.50, 0.52, 0.51], [0.70, 0.72, 0.71])
    helped = judge(plain, seeds([0.40, 0.41, 0.40], [0.45, 0.47, 0.46]), plan, 200, 4, 32, 5)
    assert helped.verdict == LIKELY and helped.cause == "augmentation"
    for layer in ("RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "Input(shape=(32, 32, 3))"):
        assert layer in helped.snippet
    compile(helped.snippet, "snippet", "exec")
    same = judge(plain, seeds([0.50, 0.53, 0.50], [0.70, 0.73, 0.70]), plan, 200, 4, 32, 5)
    assert same.verdict == UNLIKELY and same.snippet is None


@pytest.mark.slow
def test_the_augmentation_snippet_trains_as_pasted():
    from audit.training import runtime

    plan = AugmentationPlan(seeds=2, epochs=1, train_rows=8, estimated_s=1.0, cuts=())
    cause = judge(seeds([0.5, 0.5], [0.7, 0.7]), seeds([0.3, 0.3], [0.3, 0.3]), plan, 8, 3, 4, 2)
    rng = np.random.default_rng(0)
    scope = {"keras": runtime.load_keras(), "x_train": rng.random((8, *picture_shape()), dtype=np.float32),
             "y_train": rng.integers(0, 3, 8), "x_val": rng.random((4, *picture_shape()), dtype=np.float32),
             "y_val": rng.integers(0, 3, 4)}
    exec(cause.snippet, scope)  # noqa: S102 - the snippet is ours, built from numbers
    assert scope["model"].output_shape == (None, 3)


@pytest.mark.slow
def test_the_cnn_blames_a_fifth_of_pictures_in_a_wrong_folder_on_the_data_and_tries_augmentation(tmp_path):
    report = audit_folders(tmp_path, 0.2, "--diagnose-budget", "40")
    baseline = report["baseline"]
    assert baseline["network"]["kind"] == "cnn"
    assert (baseline["network"]["input"]["height"], baseline["network"]["input"]["width"]) == (32, 32)
    assert baseline["verdict_code"] == "data", baseline["verdict"]
    reference = baseline["comparison"]["reference_loss"]
    assert reference["fixed"] <= 0.7 * reference["raw"]
    causes = {cause["cause"]: cause for cause in report["diagnosis"]["causes"]}
    augmentation = causes["augmentation"]
    assert augmentation["verdict"] in ("likely", "unlikely", "inconclusive")
    assert augmentation["numbers"]["seeds"] >= 2 and augmentation["numbers"]["train_pictures"] > 0
    assert (augmentation["snippet"] is not None) == (augmentation["verdict"] == "likely")
    assert list(causes)[list(causes).index("regularisation") + 1] == "augmentation"


@pytest.mark.slow
def test_the_cnn_does_not_blame_the_data_of_clean_folders(tmp_path):
    baseline = audit_folders(tmp_path, 0.0)["baseline"]
    assert baseline["status"] == "ran" and baseline["network"]["kind"] == "cnn"
    assert baseline["verdict_code"] != "data", baseline["verdict"]
