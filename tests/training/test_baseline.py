"""Tests for the Keras baseline: real training on small, controlled data, no mocks.

Three planted cases check that the verdict names the right culprit: label noise
("data"), train rows copied into val ("leakage") and a network that overfits clean but
tiny, noisy-featured data ("model"). Training results are module-scoped fixtures so each
case trains once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

from audit.training.baseline import run_baseline
from audit.training.cost import baseline_seconds
from audit.training.inputs import BaselineSettings, BaselineSplit
from audit.training.results import BaselineResult
from audit.training.verdict import compare, verdict
from tests.training.fakes import alike, fake_run


def _split(x: np.ndarray, y: np.ndarray) -> BaselineSplit:
    columns = [f"f{i}" for i in range(x.shape[1])]
    return BaselineSplit(pd.DataFrame(x, columns=columns), np.asarray(y))


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)


def _flipped_labels_case(fraction: float = 0.2) -> tuple[BaselineSplit, ...]:
    """Digits with `fraction` of the train labels flipped; fixed = flipped rows dropped."""
    x_train, x_val, y_train, y_val = _digits()
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(y_train), int(fraction * len(y_train)), replace=False)
    noisy = y_train.copy()
    noisy[flipped] = (y_train[flipped] + rng.integers(1, 10, len(flipped))) % 10
    kept = np.setdiff1d(np.arange(len(y_train)), flipped)
    val = _split(x_val, y_val)
    return _split(x_train, noisy), val, _split(x_train[kept], y_train[kept]), val, val


def _leakage_case(fraction: float = 0.3) -> tuple[BaselineSplit, ...]:
    """Digits whose raw val is `fraction` exact copies of train rows; fixed val drops them."""
    x_train, x_val, y_train, y_val = _digits()
    rng = np.random.default_rng(0)
    copies = rng.choice(len(y_train), round(fraction * len(y_val) / (1 - fraction)), replace=False)
    order = rng.permutation(len(y_val) + len(copies))
    leaky_val = _split(np.vstack([x_val, x_train[copies]])[order], np.concatenate([y_val, y_train[copies]])[order])
    train, val = _split(x_train, y_train), _split(x_val, y_val)
    return train, leaky_val, train, val, val


def _noise_features_case() -> tuple[BaselineSplit, ...]:
    """150 clean train rows, 5 informative and 200 pure-noise features; nothing to fix."""
    x, y = make_classification(
        n_samples=650, n_features=205, n_informative=5, n_redundant=0, random_state=0
    )
    train, val = _split(x[:150], y[:150]), _split(x[150:], y[150:])
    return train, val, train, val, val


@pytest.fixture(scope="module")
def noisy_default() -> BaselineResult:
    return run_baseline(*_flipped_labels_case(), BaselineSettings(epochs=30))


@pytest.fixture(scope="module")
def noisy_wide() -> BaselineResult:
    return run_baseline(*_flipped_labels_case(), BaselineSettings(model="wide", epochs=25))


@pytest.fixture(scope="module")
def leaky() -> BaselineResult:
    return run_baseline(*_leakage_case(), BaselineSettings(epochs=30))


@pytest.fixture(scope="module")
def noise_features() -> BaselineResult:
    return run_baseline(*_noise_features_case(), BaselineSettings())


def _mean(result: BaselineResult, run: str, name: str) -> float:
    return getattr(result, run).summary[name].mean


# ------------------------------------------------------------------ planted cases


@pytest.mark.slow
def test_flipped_labels_are_blamed_on_the_data(noisy_default: BaselineResult) -> None:
    raw_ref = _mean(noisy_default, "raw", "reference_loss_at_best")
    fixed_ref = _mean(noisy_default, "fixed", "reference_loss_at_best")
    assert noisy_default.verdict.code == "data", noisy_default.verdict.text
    assert fixed_ref <= 0.6 * raw_ref
    assert noisy_default.comparison.reference_loss_drop_beyond_spread
    assert raw_ref < noisy_default.raw.dummy.reference_loss / 4  # far below the class-prior floor
    # Dropout 0.5 keeps the network from memorising the flipped labels: the train loss, even in
    # inference mode, stays above the val loss; Keras' own figure (dropout on) sits higher still.
    assert _mean(noisy_default, "raw", "end_gap") < 0
    assert _mean(noisy_default, "raw", "keras_train_loss_end") > _mean(noisy_default, "raw", "train_loss_end")


@pytest.mark.slow
def test_wide_network_stalls_earlier_and_gaps_wider_on_flipped_labels(noisy_wide: BaselineResult) -> None:
    assert noisy_wide.verdict.code == "data", noisy_wide.verdict.text
    assert _mean(noisy_wide, "raw", "stall_epoch") < _mean(noisy_wide, "fixed", "stall_epoch")
    assert _mean(noisy_wide, "raw", "end_gap") > _mean(noisy_wide, "fixed", "end_gap")
    # It memorises the flipped labels: train loss keeps falling while val loss climbs.
    assert _mean(noisy_wide, "raw", "climb_after_stall") > _mean(noisy_wide, "fixed", "climb_after_stall")


@pytest.mark.slow
def test_val_rows_copied_from_train_are_reported_as_leakage(leaky: BaselineResult) -> None:
    comparison = leaky.comparison
    assert leaky.verdict.code == "leakage", leaky.verdict.text
    assert comparison.raw_val_inflation_relative >= 0.15
    assert _mean(leaky, "raw", "best_val_loss") < _mean(leaky, "raw", "reference_loss_at_best")
    # The fixed val split is the reference itself: no inflation left.
    assert _mean(leaky, "fixed", "best_val_loss") == pytest.approx(_mean(leaky, "fixed", "reference_loss_at_best"))


@pytest.mark.slow
def test_overfitting_on_clean_noisy_featured_data_is_blamed_on_the_model(noise_features: BaselineResult) -> None:
    fixed = noise_features.fixed
    assert noise_features.verdict.code == "model", noise_features.verdict.text
    assert fixed.reused_raw  # nothing was fixed, so nothing was trained twice
    assert noise_features.comparison.reference_loss_drop.mean == 0
    # The network memorises the 150 rows while the val loss stalls and climbs.
    assert _mean(noise_features, "fixed", "train_loss_end") < 0.1
    assert _mean(noise_features, "fixed", "end_gap") > 0.5
    assert all(seed["stall_epoch"] is not None for seed in fixed.per_seed)
    assert _mean(noise_features, "fixed", "climb_after_stall") > 0.05


@pytest.mark.slow
@pytest.mark.parametrize("case", ["noisy_default", "noisy_wide", "leaky", "noise_features"])
def test_results_are_strict_json_with_full_curves(case: str, request: pytest.FixtureRequest) -> None:
    result = request.getfixturevalue(case).to_dict()
    json.dumps(result, allow_nan=False)
    epochs = result["settings"]["epochs"]
    for run in ("raw", "fixed"):
        curves = result[run]["curves"]
        assert set(curves) == {
            "train_loss", "train_accuracy", "train_inference_loss", "train_inference_accuracy",
            "val_loss", "val_accuracy", "reference_loss", "reference_accuracy"
        }
        assert all(len(curves[name]["mean"]) == epochs for name in curves)
        assert all(v is not None for name in curves for v in curves[name]["mean"])
        assert len(result[run]["per_seed"]) == 3
        assert result[run]["dummy"]["strategy"] == "prior" and result[run]["dummy"]["reference_loss"] > 0
    assert result["verdict"] and result["duration_s"] > 0
    environment = result["environment"]
    assert environment["intra_op_threads"] == 2 and environment["inter_op_threads"] == 1
    assert environment["tensorflow_version"] and environment["keras_version"]


# ------------------------------------------------------------ smaller behaviours


def _small_case(n: int = 240, seed: int = 0) -> tuple[BaselineSplit, BaselineSplit]:
    x, y = make_classification(n_samples=2 * n, n_features=8, n_informative=4, random_state=seed)
    return _split(x[:n], y[:n]), _split(x[n:], y[n:])


FAST = BaselineSettings(seeds=2, epochs=4)


@pytest.mark.slow
def test_same_seed_gives_identical_curves() -> None:
    train, val = _small_case()
    first = run_baseline(train, val, train, val, val, FAST)
    second = run_baseline(train, val, train, val, val, FAST)
    assert first.raw.curves == second.raw.curves
    assert first.raw.curves["train_loss"].std[0] > 0  # the seeds do differ


@pytest.mark.slow
def test_missing_infinite_and_text_values_never_reach_the_loss() -> None:
    train, val = _small_case()
    rng = np.random.default_rng(1)
    frames = []
    for split in (train, val):
        frame = split.features.copy()
        frame.loc[rng.random(len(frame)) < 0.2, "f0"] = np.nan
        frame.loc[rng.random(len(frame)) < 0.05, "f1"] = np.inf
        frame["colour"] = rng.choice(["red", "green", None], len(frame))
        frames.append(frame)
    labels = np.where(train.labels == 1, "yes", "no")
    labels[: int(0.9 * len(labels))] = "no"  # 9:1 imbalance switches class weights on
    train = BaselineSplit(frames[0], labels)
    val = BaselineSplit(frames[1], np.where(val.labels == 1, "yes", "no"))
    result = run_baseline(train, val, train, val, val, FAST)
    json.dumps(result.to_dict(), allow_nan=False)
    assert result.classes == ("no", "yes")
    assert result.raw.n_inputs == 8 + 2  # 8 numeric columns + one-hot red/green
    assert result.raw.class_weight is not None
    for name in ("train_loss", "val_loss", "reference_loss"):
        assert all(v is not None and np.isfinite(v) for v in result.raw.curves[name].max)


def test_values_that_overflow_after_scaling_are_refused() -> None:
    train, val = _small_case()
    frame = train.features.copy()
    frame["huge"] = 1e308
    frame.loc[0, "huge"] = 0.0
    huge = BaselineSplit(frame, train.labels)
    val = BaselineSplit(val.features.assign(huge=1e308), val.labels)
    with pytest.raises(ValueError, match="non-finite values would reach the network.*huge"):
        run_baseline(huge, val, huge, val, val, FAST)


@pytest.mark.slow
@pytest.mark.parametrize("compiled", [False, True])
def test_model_file_with_custom_build_model(tmp_path, compiled: bool) -> None:
    compile_line = 'model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")'
    source = textwrap.dedent(f"""
        import keras

        def build_model(n_features, n_classes):
            model = keras.Sequential([
                keras.Input(shape=(n_features,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(n_classes, activation="softmax"),
            ], name="custom")
            {compile_line if compiled else ""}
            return model
    """)
    path = tmp_path / "my_model.py"
    path.write_text(source)
    train, val = _small_case()
    result = run_baseline(train, val, train, val, val, BaselineSettings(model_file=str(path), seeds=2, epochs=3))
    losses = result.raw.curves["train_loss"].mean
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert result.settings.model_file == str(path)


def test_model_file_without_build_model_is_refused(tmp_path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("x = 1\n")
    train, val = _small_case(40)
    with pytest.raises(ValueError, match="defines no build_model"):
        run_baseline(train, val, train, val, val, BaselineSettings(model_file=str(path)))


@pytest.mark.slow
def test_time_budget_cuts_both_runs_to_the_same_epochs() -> None:
    train, val = _small_case()
    fixed_train = BaselineSplit(train.features.iloc[10:], train.labels[10:])
    result = run_baseline(train, val, fixed_train, val, val, BaselineSettings(seeds=1, epochs=50, time_budget_s=0.01))
    assert result.raw.stopped_by_time_budget
    assert len(result.raw.curves["val_loss"].mean) == 1
    assert len(result.fixed.curves["val_loss"].mean) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (BaselineSettings(model="huge"), "unknown baseline model"),
        (BaselineSettings(seeds=0), "seeds must be at least 1"),
        (BaselineSettings(model_file="/nonexistent/model.py"), "does not exist"),
    ],
)
def test_bad_settings_are_refused_before_training(settings: BaselineSettings, message: str) -> None:
    train, val = _small_case(40)
    with pytest.raises(ValueError, match=message):
        run_baseline(train, val, train, val, val, settings)


def test_bad_splits_are_refused() -> None:
    train, val = _small_case(40)
    missing_label = BaselineSplit(train.features, np.where(np.arange(40) == 3, None, train.labels.astype(object)))
    with pytest.raises(ValueError, match="raw_train: 1 missing labels"):
        run_baseline(missing_label, val, train, val, val, FAST)
    empty = BaselineSplit(val.features.iloc[:0], val.labels[:0])
    with pytest.raises(ValueError, match="reference: no rows"):
        run_baseline(train, val, train, val, empty, FAST)
    no_column = BaselineSplit(val.features.drop(columns="f3"), val.labels)
    with pytest.raises(ValueError, match=r"raw_val: feature column\(s\) \[.f3.\]"):
        run_baseline(train, no_column, train, val, val, FAST)


def test_estimate_grows_with_data_and_work() -> None:
    small = baseline_seconds(1_500, 64, BaselineSettings())
    assert 0 < small < 60
    assert baseline_seconds(100_000, 64, BaselineSettings()) > small
    assert baseline_seconds(1_500, 64, BaselineSettings(seeds=6)) > small
    assert baseline_seconds(1_500, 64, BaselineSettings(model="wide")) > small
    assert baseline_seconds(1_500, 64, BaselineSettings(model_file="model.py")) == \
        baseline_seconds(1_500, 64, BaselineSettings(model="wide"))  # a model file is costed like the wide one


def test_importing_the_module_does_not_import_tensorflow() -> None:
    code = ("import sys, audit.training.baseline, audit.training.attribution, audit.training.diagnose; "
            "sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _fake_run(val_rows: int, reference_rows: int, **numbers: float | None):
    """A run summary of three identical seeds of the given numbers."""
    return fake_run(alike(numbers), val_rows=val_rows, reference_rows=reference_rows)


# The numbers of an audit of ggplot2's diamonds (label: cut): label_issues flags a fifth of the
# rows of both splits, where the grades overlap. The fixed model early-stops on a val split that
# keeps those rows, and its loss on them climbs while the clean reference keeps improving.
RAW_DIAMONDS = dict(best_val_loss=0.730, reference_loss_at_best=0.554, val_loss_end=0.731, reference_loss_end=0.554,
                    end_gap=-0.004, climb_after_stall=0.001, reference_climb=0.0, reference_end_gap=-0.18)
FIXED_DIAMONDS = dict(best_val_loss=0.857, reference_loss_at_best=0.552, val_loss_end=0.903, reference_loss_end=0.441,
                      end_gap=0.417, climb_after_stall=0.046, reference_climb=0.0, reference_end_gap=-0.045,
                      stall_epoch=5)


def test_rows_kept_out_of_the_reference_that_diverge_get_a_caution_not_a_model_verdict() -> None:
    c = compare(_fake_run(10788, 8571, **RAW_DIAMONDS), _fake_run(10742, 8571, **FIXED_DIAMONDS))
    assert c.kept_out_rows_loss.at_best == pytest.approx((0.857 * 10742 - 0.552 * 8571) / 2171)
    assert c.kept_out_rows_loss.end == pytest.approx((0.903 * 10742 - 0.441 * 8571) / 2171)
    judged = verdict(c)
    assert judged.code == "inconclusive"  # the val gap of 0.417 comes from the flagged rows, not from overfitting
    assert "keeps the 2171 val rows flagged as label issues" in judged.text and "from about 2.061" in judged.text


def test_fixes_that_raise_the_clean_loss_beyond_the_spread_are_said_to_have_made_it_worse() -> None:
    """A small clean set: the fixes dropped good rows and the clean reference loss went from 0.558 to 0.637."""
    raw = dict(best_val_loss=0.55, reference_loss_at_best=0.558, val_loss_end=0.56, reference_loss_end=0.56,
               end_gap=0.1, climb_after_stall=0.0, reference_climb=0.0, reference_end_gap=0.1)
    worse = fake_run([{**raw, "reference_loss_at_best": 0.637 + d} for d in (-0.01, 0.0, 0.01)],
                     val_rows=40, reference_rows=40)
    judged = verdict(compare(_fake_run(40, 40, **raw), worse))
    assert judged.code == "fixes_hurt", judged.text
    assert "made the model worse" in judged.text and "from 0.558 to 0.637" in judged.text
    within_spread = fake_run([{**raw, "reference_loss_at_best": 0.637 + d} for d in (-0.2, 0.0, 0.2)],
                             val_rows=40, reference_rows=40)
    assert verdict(compare(_fake_run(40, 40, **raw), within_spread)).code != "fixes_hurt"


def test_without_rows_kept_out_a_climbing_val_loss_is_still_the_model() -> None:
    overfits = {**FIXED_DIAMONDS, "reference_climb": 0.3, "reference_end_gap": 0.6, "reference_loss_end": 0.85}
    judged = verdict(compare(_fake_run(8571, 8571, **RAW_DIAMONDS), _fake_run(8571, 8571, **overfits)))
    assert judged.code == "model" and "flagged as label issues" not in judged.text


def test_clean_data_and_a_model_that_does_not_overfit_is_nothing_to_blame() -> None:
    calm = dict(best_val_loss=0.022, reference_loss_at_best=0.022, val_loss_end=0.022, reference_loss_end=0.022,
                end_gap=-0.008, climb_after_stall=0.0, reference_climb=0.0, reference_end_gap=-0.008)
    raw = _fake_run(86, 86, **calm)
    judged = verdict(compare(raw, replace(raw, reused_raw=True)))
    assert judged.code == "inconclusive" and judged.text.startswith("Nothing to blame: the checks found no row to fix")
