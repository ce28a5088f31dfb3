"""Baseline Keras model on the raw and on the fixed data: is the data or the model to blame?

The same small network is trained on the raw split pair (raw train -> raw val) and on the
fixed pair (fixed train -> fixed val), with the same seeds. Every model, raw or fixed, is
also scored at every epoch on the clean *reference* set (fixed val minus val label issues),
so raw and fixed are compared like for like: the raw val loss cannot be compared with the
fixed val loss, since the fixes changed the validation rows themselves.

Reading the numbers
-------------------
Losses are sparse categorical cross-entropy (natural log). The train loss is the one
Keras reports: the mean over the epoch's batches with dropout active and class weights
applied, so with dropout it sits above the loss of the same weights in inference mode and
the gap (val loss minus train loss) can be negative. Per seed:

* best epoch: the epoch of minimum val loss over the full budget (1-based);
* stall epoch: the best epoch, when the training loss still falls after it; None when the
  val loss is lowest at the last epoch (it never stopped improving);
* climb after stall: val loss at the end minus the best val loss (0 when best is last);
* early stopping: where ``EarlyStopping(monitor="val_loss", patience=patience,
  restore_best_weights=True)`` would have stopped and which epoch it would restore;
* reference loss/accuracy at the best epoch: what the model early stopping keeps is worth
  on clean data.

Runs report the mean, the sample standard deviation and min/max over seeds, per epoch
for the curves and for every per-seed number. A prior DummyClassifier gives the floor: a
network whose loss is not clearly below it has learnt nothing.

Verdict thresholds (measured, see below)
----------------------------------------
Checked in this order; the first that holds decides ``verdict_code``:

1. ``leakage``: the raw model's val loss at its best epoch is at least
   ``LEAK_MIN_INFLATION`` (15 %) below the same model's loss on the reference set, and the
   difference exceeds ``SPREAD_FACTOR`` (2) seed standard deviations. Validation rows
   that are copies of training rows are easy, so they pull the val loss down; noisy
   labels and hard rows removed from the reference push the other way, so this cannot
   fire on label noise.
2. ``data``: the fixes lowered the mean reference loss at the best epoch by at least
   ``DATA_MIN_DROP`` (10 %) and by more than ``SPREAD_FACTOR`` seed standard deviations.
3. ``model``: fixing changed little, yet the fixed run still overfits: its val loss climbs
   after the stall by at least ``MODEL_MIN_CLIMB`` (25 %) of its best val loss, or its end
   gap is at least ``MODEL_MIN_GAP`` (0.25 nats) and at least 25 % of the best val loss.
4. ``inconclusive`` otherwise.

Measured on 2 cores, 3 seeds, 40 epochs (tests/test_baseline.py builds the same cases):

* digits, 20 % of train labels flipped, fixed = flipped rows dropped: reference loss
  0.36 -> 0.10 (-72 %, seed std about 0.01); wide model 0.39 -> 0.09, raw stall at epoch
  ~3 climbing +0.26, fixed stall at epoch ~10 climbing +0.03.
* digits, 30 % of val rows copied from train: raw val loss 0.07 vs reference 0.10
  (inflation about 30 %); without copies the two are equal.
* 150 rows, 5 informative + 200 noise features, nothing to fix: val loss bottoms out at
  epoch ~8 and climbs by about 60 %, end gap about 1 nat.
* clean digits, nothing to fix, default model: climb under 5 %, gap negative.

Speed
-----
The network is tiny, so Keras' per-step overhead dominates: ``steps_per_execution=32``
and a batch size growing with the data keep an epoch cheap, and the reference is scored
with the model's own ``evaluate`` (one compiled test function shared with validation).
When the fixed splits equal the raw ones the fixed run reuses the raw results: with
deterministic ops and fixed threads they would be identical bit for bit.

TensorFlow is imported lazily (about 3 s and 0.7 GB) through :mod:`audit._keras_runtime`,
the only module that knows the backend.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit import _keras_runtime

log = logging.getLogger(__name__)

MODELS = ("default", "wide")
MAX_CATEGORIES = 50
IMBALANCE_RATIO = 3.0
STEPS_PER_EXECUTION = 32
EVAL_BATCH_SIZE = 1024
PROBABILITY_EPSILON = 1e-7  # Keras clips probabilities the same way in its cross-entropy

LEAK_MIN_INFLATION = 0.15
DATA_MIN_DROP = 0.10
SPREAD_FACTOR = 2.0
MODEL_MIN_CLIMB = 0.25
MODEL_MIN_GAP = 0.25

CURVES = (
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "reference_loss",
    "reference_accuracy",
)
_HISTORY_KEYS = {
    "train_loss": "loss",
    "train_accuracy": "accuracy",
    "val_loss": "val_loss",
    "val_accuracy": "val_accuracy",
}
REMEDIES = (
    "reduce capacity, add dropout or L2, use a learning-rate schedule, "
    "augment or collect more data"
)


@dataclass(frozen=True)
class BaselineSplit:
    """One split as the network sees it: feature columns and the labels as given."""

    features: pd.DataFrame
    labels: np.ndarray


@dataclass(frozen=True)
class BaselineSettings:
    """What to train and for how long.

    ``model_file`` names a ``.py`` file defining ``build_model(n_features, n_classes)``
    that returns a keras.Model whose output is class probabilities (softmax). It is
    trained on integer labels 0..n_classes-1. An uncompiled model gets Adam and sparse
    categorical cross-entropy; a compiled one keeps its optimizer and loss (which must
    accept integer labels). Either way it is compiled with our accuracy metric and
    ``steps_per_execution``.
    """

    model: str = "default"
    model_file: str | None = None
    seeds: int = 3
    epochs: int = 40
    batch_size: int | None = None
    patience: int = 5
    random_state: int = 0
    time_budget_s: float | None = None


@dataclass(frozen=True)
class _Encoder:
    """Preprocessing fitted on one training split, applied unchanged to the others."""

    columns: tuple
    numeric: tuple
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    categories: dict


@dataclass(frozen=True)
class _Prepared:
    """One run's matrices, ready for the network."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_ref: np.ndarray
    y_ref: np.ndarray
    class_weight: dict | None


# ---------------------------------------------------------------------------- public


def run_baseline(
    raw_train: BaselineSplit,
    raw_val: BaselineSplit,
    fixed_train: BaselineSplit,
    fixed_val: BaselineSplit,
    reference: BaselineSplit,
    settings: BaselineSettings = BaselineSettings(),
) -> dict:
    """Train the baseline on raw and fixed data and say whether the data is to blame.

    Returns a JSON-safe dict (no NaN or infinity): ``raw`` and ``fixed`` run results,
    ``comparison`` (the numbers behind the verdict), ``verdict``, ``verdict_code``,
    ``environment`` and ``duration_s``. Raises ValueError for unusable input.
    """
    started = time.perf_counter()
    _check_settings(settings)
    splits = {
        "raw_train": raw_train,
        "raw_val": raw_val,
        "fixed_train": fixed_train,
        "fixed_val": fixed_val,
        "reference": reference,
    }
    for name, split in splits.items():
        _check_split(name, split)
    classes = _classes([split.labels for split in splits.values()])
    reuse = _same_split(raw_train, fixed_train) and _same_split(raw_val, fixed_val)
    prepared = {"raw": _prepare(raw_train, raw_val, reference, classes)}
    prepared["fixed"] = prepared["raw"] if reuse else _prepare(fixed_train, fixed_val, reference, classes)

    keras = _keras_runtime.load_keras()
    build = _model_builder(keras, settings, len(classes))
    batch_size = _batch_size(len(raw_train.labels), settings)
    seeds, curves, durations = _train_runs(keras, prepared, build, settings, batch_size, reuse)

    runs = {
        name: _run_result(prepared[name], seeds, curves[name], durations[name], settings, len(classes))
        for name in ("raw", "fixed")
    }
    runs["fixed"]["reused_raw"] = reuse
    comparison = _compare(runs["raw"], runs["fixed"])
    code, verdict = _verdict(comparison)
    log.info("baseline verdict %s: %s", code, verdict)
    return {
        "settings": asdict(settings),
        "classes": [_json_label(c) for c in classes],
        "batch_size": batch_size,
        "steps_per_execution": STEPS_PER_EXECUTION,
        "seeds": seeds,
        "raw": runs["raw"],
        "fixed": runs["fixed"],
        "comparison": comparison,
        "verdict": verdict,
        "verdict_code": code,
        "environment": _keras_runtime.environment(),
        "duration_s": round(time.perf_counter() - started, 3),
    }


# Measured on 2 cores (tensorflow 2.21, keras 3.15): fixed cost of building, compiling and
# tracing one model, cost of one compiled execution of STEPS_PER_EXECUTION small steps, and
# the per-value cost of pushing data through the default network.
_IMPORT_S = 4.0
_FIT_OVERHEAD_S = 0.6
_EXECUTION_S = 0.004
_VALUE_S = 2.5e-8


def estimate_seconds(n_train_rows: int, n_features: int, settings: BaselineSettings) -> float:
    """Rough wall time of :func:`run_baseline`, so a caller can skip it when over budget.

    Assumes val and reference together are no larger than train, as usual; counts the
    TensorFlow import and both runs (a reused fixed run makes the estimate pessimistic).
    """
    batch_size = _batch_size(n_train_rows, settings)
    executions = math.ceil(math.ceil(n_train_rows / batch_size) / STEPS_PER_EXECUTION) + 2
    width = 4.0 if settings.model == "wide" else 1.0
    epoch_s = executions * _EXECUTION_S + 2 * n_train_rows * n_features * width * _VALUE_S
    fits = 2 * settings.seeds
    return _IMPORT_S + fits * (_FIT_OVERHEAD_S + settings.epochs * epoch_s)


# ------------------------------------------------------------------------ validation


def _check_settings(settings: BaselineSettings) -> None:
    """Refuse settings that would fail deep inside Keras, with a message that says why."""
    if settings.model_file is None and settings.model not in MODELS:
        raise ValueError(f"unknown baseline model {settings.model!r}; choose one of {', '.join(MODELS)}")
    if settings.model_file is not None and not Path(settings.model_file).is_file():
        raise ValueError(f"model file {settings.model_file!r} does not exist")
    for name in ("seeds", "epochs", "patience"):
        if getattr(settings, name) < 1:
            raise ValueError(f"baseline setting {name} must be at least 1, got {getattr(settings, name)}")
    if settings.batch_size is not None and settings.batch_size < 1:
        raise ValueError(f"baseline batch_size must be at least 1, got {settings.batch_size}")


def _check_split(name: str, split: BaselineSplit) -> None:
    """A split must have rows, matching labels, and unique, present feature columns."""
    labels = np.asarray(split.labels)
    if labels.ndim != 1:
        raise ValueError(f"{name}: labels must be one-dimensional, got shape {labels.shape}")
    if len(labels) != len(split.features):
        raise ValueError(f"{name}: {len(labels)} labels for {len(split.features)} feature rows")
    if len(labels) == 0:
        raise ValueError(f"{name}: no rows; the baseline needs every split non-empty")
    if pd.isna(labels).any():
        raise ValueError(f"{name}: {int(pd.isna(labels).sum())} missing labels")
    if split.features.columns.has_duplicates:
        raise ValueError(f"{name}: duplicate feature column names")


def _same_split(a: BaselineSplit, b: BaselineSplit) -> bool:
    """Whether two splits hold the same rows in the same order."""
    return a.features.equals(b.features) and np.array_equal(np.asarray(a.labels), np.asarray(b.labels))


# ---------------------------------------------------------------------------- labels


def _classes(label_arrays: Sequence[np.ndarray]) -> list:
    """The union of labels over all splits, sorted when comparable, else by text."""
    seen = pd.unique(np.concatenate([np.asarray(labels, dtype=object) for labels in label_arrays]))
    try:
        return sorted(seen)
    except TypeError:
        return sorted(seen, key=lambda label: (type(label).__name__, str(label)))


def _encode_labels(labels: np.ndarray, classes: list) -> np.ndarray:
    """Labels as integer codes 0..K-1 in the order of ``classes``."""
    return pd.Index(classes, dtype=object).get_indexer(np.asarray(labels, dtype=object)).astype("int32")


def _json_label(label: Any) -> Any:
    """A label as JSON can hold it: numbers and strings as they are, others as text."""
    if isinstance(label, np.generic):
        label = label.item()
    if isinstance(label, bool | int | str) or (isinstance(label, float) and math.isfinite(label)):
        return label
    return str(label)


def _class_weight(y: np.ndarray) -> dict | None:
    """Balanced class weights when the largest train class is 3x the smallest, else None."""
    codes, counts = np.unique(y, return_counts=True)
    if counts.max() / counts.min() < IMBALANCE_RATIO:
        return None
    return {int(c): len(y) / (len(codes) * int(n)) for c, n in zip(codes, counts, strict=True)}


# --------------------------------------------------------------------- preprocessing


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype)


def _numeric_block(frame: pd.DataFrame, columns: tuple) -> np.ndarray:
    """Numeric columns as float64, infinities turned into missing values."""
    values = frame[list(columns)].to_numpy(dtype="float64", na_value=np.nan, copy=True)
    values[np.isinf(values)] = np.nan
    return values


def _text(column: pd.Series) -> pd.Series:
    """Non-numeric values as text, missing values kept missing."""
    return column.astype(object).where(column.notna()).map(lambda v: v if pd.isna(v) else str(v))


def _fit_encoder(train: pd.DataFrame) -> _Encoder:
    """Median fill and standardisation for numbers, top-K one-hot for the rest (train only)."""
    numeric = tuple(c for c in train.columns if _is_numeric(train[c]))
    values = _numeric_block(train, numeric)
    observed = ~np.isnan(values)
    fill = np.array([np.median(values[observed[:, j], j]) if observed[:, j].any() else 0.0
                     for j in range(values.shape[1])])
    filled = np.where(observed, values, fill)
    mean, scale = filled.mean(axis=0), filled.std(axis=0)
    scale[~(scale > 0)] = 1.0
    categories = {c: _top_values(train[c]) for c in train.columns if c not in numeric}
    return _Encoder(tuple(train.columns), numeric, fill, mean, scale, categories)


def _top_values(column: pd.Series) -> tuple[str, ...]:
    """The MAX_CATEGORIES most frequent values (ties by value), so rare IDs do not explode."""
    counts = _text(column).value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(value for value, _ in ranked[:MAX_CATEGORIES])


def _encode(encoder: _Encoder, frame: pd.DataFrame, split: str) -> np.ndarray:
    """The float32 matrix the network sees; refuses anything non-finite."""
    missing = [c for c in encoder.columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{split}: feature column(s) {missing} are in the training split but missing here")
    values = _numeric_block(frame, encoder.numeric)
    values = (np.where(np.isnan(values), encoder.fill, values) - encoder.mean) / encoder.scale
    names = list(encoder.numeric)
    blocks = [values]
    for column, values_seen in encoder.categories.items():
        text = _text(frame[column]).to_numpy()
        blocks.append(np.stack([text == v for v in values_seen], axis=1) if values_seen else np.empty((len(frame), 0)))
        names += [column] * len(values_seen)
    matrix = np.hstack(blocks).astype("float32")
    _refuse_non_finite(matrix, names, split)
    return matrix


def _refuse_non_finite(matrix: np.ndarray, names: list, split: str) -> None:
    """Keras trains on NaN and reports loss=nan; stop before that happens."""
    if matrix.shape[1] == 0:
        raise ValueError(f"{split}: no usable feature columns for the baseline")
    bad = ~np.isfinite(matrix)
    if bad.any():
        columns = sorted({str(names[j]) for j in np.flatnonzero(bad.any(axis=0))})
        raise ValueError(
            f"{split}: {int(bad.sum())} non-finite values would reach the network in column(s) "
            f"{columns} (values too large for float32 after scaling); rescale or drop them"
        )


def _prepare(train: BaselineSplit, val: BaselineSplit, reference: BaselineSplit, classes: list) -> _Prepared:
    """Fit preprocessing on this run's train split and encode its three splits."""
    encoder = _fit_encoder(train.features)
    y_train = _encode_labels(train.labels, classes)
    return _Prepared(
        x_train=_encode(encoder, train.features, "train"),
        y_train=y_train,
        x_val=_encode(encoder, val.features, "val"),
        y_val=_encode_labels(val.labels, classes),
        x_ref=_encode(encoder, reference.features, "reference"),
        y_ref=_encode_labels(reference.labels, classes),
        class_weight=_class_weight(y_train),
    )


# ----------------------------------------------------------------------------- model


def _batch_size(n_rows: int, settings: BaselineSettings) -> int:
    """32 under 10k rows, 128 under 100k, 512 above: per-step overhead dominates."""
    if settings.batch_size is not None:
        return settings.batch_size
    if n_rows < 10_000:
        return 32
    return 128 if n_rows < 100_000 else 512


def _model_builder(keras: Any, settings: BaselineSettings, n_classes: int) -> Callable[[int], Any]:
    """A function n_features -> compiled model, for the configured or user-supplied network."""
    if settings.model_file is not None:
        user_build = _load_build_model(settings.model_file)

        def build(n_features: int) -> Any:
            model = user_build(n_features, n_classes)
            _check_user_model(keras, model, n_features, n_classes, settings.model_file)
            return _compile(keras, model)

        return build

    def build_builtin(n_features: int) -> Any:
        layers = keras.layers
        hidden = {
            "default": [layers.Dense(128, activation="relu"), layers.Dropout(0.5)],
            "wide": [layers.Dense(512, activation="relu"), layers.Dense(512, activation="relu")],
        }[settings.model]
        model = keras.Sequential(
            [keras.Input(shape=(n_features,)), *hidden, layers.Dense(n_classes, activation="softmax")]
        )
        return _compile(keras, model)

    return build_builtin


def _load_build_model(path: str) -> Callable:
    """Import a model file by path and return its build_model function."""
    spec = importlib.util.spec_from_file_location(f"audit_user_model_{Path(path).stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"model file {path!r} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build = getattr(module, "build_model", None)
    if not callable(build):
        raise ValueError(f"model file {path!r} defines no build_model(n_features, n_classes)")
    return build


def _check_user_model(keras: Any, model: Any, n_features: int, n_classes: int, path: str) -> None:
    """A user model must be a keras.Model with one probability per class."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"build_model in {path!r} returned {type(model).__name__}, not a keras.Model")
    width = keras.ops.shape(model(np.zeros((1, n_features), dtype="float32")))[-1]
    if width != n_classes:
        raise ValueError(f"build_model in {path!r} gives {width} outputs for {n_classes} classes")


def _compile(keras: Any, model: Any) -> Any:
    """Compile with our metric and loop settings, keeping a user's optimizer and loss."""
    compiled = getattr(model, "compiled", False)
    model.compile(
        optimizer=model.optimizer if compiled else keras.optimizers.Adam(),
        loss=model.loss if compiled else "sparse_categorical_crossentropy",
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    return model


# -------------------------------------------------------------------------- training


def _train_runs(
    keras: Any,
    prepared: dict[str, _Prepared],
    build: Callable[[int], Any],
    settings: BaselineSettings,
    batch_size: int,
    reuse: bool,
) -> tuple[list[int], dict[str, list], dict[str, float]]:
    """Fit every seed, raw then fixed, stopping between seeds when over the time budget.

    Seeds are the outer loop so that raw and fixed always have the same seeds.
    """
    started = time.perf_counter()
    seeds: list[int] = []
    curves: dict[str, list] = {"raw": [], "fixed": []}
    durations = {"raw": 0.0, "fixed": 0.0}
    for seed in range(settings.random_state, settings.random_state + settings.seeds):
        elapsed = time.perf_counter() - started
        if seeds and settings.time_budget_s is not None and elapsed * (len(seeds) + 1) / len(seeds) > settings.time_budget_s:
            log.warning("baseline time budget of %.0f s reached after %d seed(s)", settings.time_budget_s, len(seeds))
            break
        for name in ("raw", "fixed"):
            if name == "fixed" and reuse:
                curves["fixed"].append(curves["raw"][-1])
                continue
            fit_started = time.perf_counter()
            curves[name].append(_fit_one(keras, prepared[name], build, settings.epochs, batch_size, seed))
            durations[name] += time.perf_counter() - fit_started
        seeds.append(seed)
    return seeds, curves, durations


def _fit_one(keras: Any, data: _Prepared, build: Callable[[int], Any], epochs: int, batch_size: int, seed: int) -> dict:
    """Train one seed for the full budget and return its per-epoch curves."""
    keras.backend.clear_session()  # clears global state, the seed included: seed after it
    _keras_runtime.seed_everything(seed)
    model = build(data.x_train.shape[1])
    reference = _reference_scorer(keras, data.x_ref, data.y_ref)
    history = model.fit(
        data.x_train,
        data.y_train,
        validation_data=(data.x_val, data.y_val),
        epochs=epochs,
        batch_size=batch_size,
        validation_batch_size=max(batch_size, EVAL_BATCH_SIZE),
        class_weight=data.class_weight,
        callbacks=[keras.callbacks.TerminateOnNaN(), reference],
        shuffle=True,
        verbose=0,
    )
    curves = {name: [_finite(v) for v in history.history.get(key, [])] for name, key in _HISTORY_KEYS.items()}
    curves["reference_loss"] = reference.scores["loss"]
    curves["reference_accuracy"] = reference.scores["accuracy"]
    if len(curves["train_loss"]) < epochs or None in curves["train_loss"]:
        log.warning("seed %d: training stopped at epoch %d on a non-finite loss", seed, len(curves["train_loss"]))
    return curves


def _reference_scorer(keras: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """A callback scoring the model on the reference set at every epoch end.

    It uses the model's own evaluate, so the reference loss is the same function as the
    val loss (regularisation included) and reuses the compiled test function.
    """

    class ReferenceScores(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.scores: dict[str, list] = {"loss": [], "accuracy": []}

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            result = self.model.evaluate(x, y, batch_size=EVAL_BATCH_SIZE, verbose=0, return_dict=True)
            for name in self.scores:
                self.scores[name].append(_finite(result.get(name)))

    return ReferenceScores()


# --------------------------------------------------------------------------- summary


def _finite(value: Any) -> float | None:
    """A float, or None for missing, NaN or infinite values (strict JSON)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _spread(values: Sequence[float | None]) -> dict:
    """Mean, sample std, min, max and count over seeds, ignoring missing values."""
    present = [v for v in values if v is not None]
    if not present:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    array = np.asarray(present, dtype="float64")
    std = float(array.std(ddof=1)) if len(array) > 1 else 0.0
    return {
        "mean": _finite(array.mean()),
        "std": _finite(std),
        "min": _finite(array.min()),
        "max": _finite(array.max()),
        "n": len(present),
    }


def _curve_spread(per_seed: list[list[float | None]]) -> dict:
    """Per-epoch spread over seeds; a seed stopped early simply drops out of later epochs."""
    length = max(len(curve) for curve in per_seed)
    epochs = [_spread([curve[i] if i < len(curve) else None for curve in per_seed]) for i in range(length)]
    return {stat: [epoch[stat] for epoch in epochs] for stat in ("mean", "std", "min", "max")}


def _usable_epochs(curves: dict) -> int:
    """How many leading epochs have finite train and val losses."""
    count = 0
    for train, val in zip(curves["train_loss"], curves["val_loss"], strict=False):
        if train is None or val is None:
            break
        count += 1
    return count


def _early_stopping(val: list[float], patience: int) -> tuple[int | None, int]:
    """(stopped epoch or None, restored epoch), 1-based, as Keras EarlyStopping would do."""
    best, wait = 0, 0
    for epoch in range(1, len(val)):
        if val[epoch] < val[best]:
            best, wait = epoch, 0
            continue
        wait += 1
        if wait >= patience:
            return epoch + 1, best + 1
    return None, best + 1


def _seed_summary(curves: dict, patience: int) -> dict:
    """The numbers the verdict reads, for one seed."""
    n = _usable_epochs(curves)
    if n == 0:
        return dict.fromkeys(SEED_NUMBERS)
    train, val = curves["train_loss"][:n], curves["val_loss"][:n]
    best = int(np.argmin(val))
    stalled = best < n - 1 and min(train[best + 1 :]) < train[best]
    stopped, restored = _early_stopping(val, patience)
    return {
        "epochs_run": n,
        "best_epoch": best + 1,
        "best_val_loss": val[best],
        "val_accuracy_at_best": curves["val_accuracy"][best],
        "stall_epoch": best + 1 if stalled else None,
        "climb_after_stall": val[-1] - val[best],
        "end_gap": val[-1] - train[-1],
        "best_gap": val[best] - train[best],
        "train_loss_end": train[-1],
        "val_loss_end": val[-1],
        "reference_loss_at_best": curves["reference_loss"][best],
        "reference_accuracy_at_best": curves["reference_accuracy"][best],
        "reference_loss_end": curves["reference_loss"][n - 1],
        "early_stop_epoch": stopped,
        "early_stop_restored_epoch": restored,
    }


SEED_NUMBERS = (
    "epochs_run",
    "best_epoch",
    "best_val_loss",
    "val_accuracy_at_best",
    "stall_epoch",
    "climb_after_stall",
    "end_gap",
    "best_gap",
    "train_loss_end",
    "val_loss_end",
    "reference_loss_at_best",
    "reference_accuracy_at_best",
    "reference_loss_end",
    "early_stop_epoch",
    "early_stop_restored_epoch",
)


def _dummy_losses(data: _Prepared, n_classes: int) -> dict:
    """Log-loss of a prior DummyClassifier fitted on train: the floor a model must beat."""
    from sklearn.dummy import DummyClassifier

    dummy = DummyClassifier(strategy="prior").fit(np.zeros((len(data.y_train), 1)), data.y_train)
    prior = np.zeros(n_classes)
    prior[dummy.classes_] = dummy.class_prior_
    return {
        "strategy": "prior",
        "val_loss": _log_loss(prior, data.y_val),
        "reference_loss": _log_loss(prior, data.y_ref),
    }


def _log_loss(prior: np.ndarray, y: np.ndarray) -> float | None:
    """Cross-entropy of a constant prediction, clipped like Keras clips."""
    return _finite(-np.log(np.clip(prior[y], PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)).mean())


def _run_result(
    data: _Prepared, seeds: list[int], curves: list[dict], duration: float, settings: BaselineSettings, n_classes: int
) -> dict:
    """One run (raw or fixed): sizes, curves, per-seed numbers and their spread."""
    per_seed = [{"seed": seed, **_seed_summary(c, settings.patience)} for seed, c in zip(seeds, curves, strict=True)]
    return {
        "train_rows": len(data.y_train),
        "val_rows": len(data.y_val),
        "reference_rows": len(data.y_ref),
        "n_inputs": int(data.x_train.shape[1]),
        "class_weight": data.class_weight,
        "curves": {name: _curve_spread([c[name] for c in curves]) for name in CURVES},
        "per_seed": per_seed,
        "summary": {name: _spread([s[name] for s in per_seed]) for name in SEED_NUMBERS},
        "dummy": _dummy_losses(data, n_classes),
        "duration_s": round(duration, 3),
    }


# --------------------------------------------------------------------------- verdict


def _paired(raw: dict, fixed: dict, raw_key: str, fixed_key: str) -> dict:
    """Per-seed differences raw minus fixed, summarised; seeds match by position."""
    pairs = zip(raw["per_seed"], fixed["per_seed"], strict=True)
    return _spread([_difference(r[raw_key], f[fixed_key]) for r, f in pairs])


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _beyond_spread(diff: dict) -> bool:
    """A mean difference larger than SPREAD_FACTOR standard deviations of itself over seeds."""
    return diff["mean"] is not None and diff["mean"] > SPREAD_FACTOR * (diff["std"] or 0.0)


def _relative(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else _finite(part / whole)


def _compare(raw: dict, fixed: dict) -> dict:
    """The numbers the verdict is made of, each with its seed spread."""
    mean = {name: {run: r["summary"][name]["mean"] for run, r in (("raw", raw), ("fixed", fixed))}
            for name in ("reference_loss_at_best", "end_gap", "best_val_loss", "climb_after_stall", "stall_epoch")}
    drop = _paired(raw, fixed, "reference_loss_at_best", "reference_loss_at_best")
    inflation = _spread([
        _difference(s["reference_loss_at_best"], s["best_val_loss"]) for s in raw["per_seed"]
    ])
    return {
        "reference_loss": mean["reference_loss_at_best"],
        "end_gap": mean["end_gap"],
        "best_val_loss": mean["best_val_loss"],
        "climb_after_stall": mean["climb_after_stall"],
        "stall_epoch": mean["stall_epoch"],
        "reference_loss_drop": drop,
        "reference_loss_drop_relative": _relative(drop["mean"], mean["reference_loss_at_best"]["raw"]),
        "reference_loss_drop_beyond_spread": _beyond_spread(drop),
        "end_gap_drop": _paired(raw, fixed, "end_gap", "end_gap"),
        "raw_val_inflation": inflation,
        "raw_val_inflation_relative": _relative(inflation["mean"], mean["reference_loss_at_best"]["raw"]),
        "raw_val_inflation_beyond_spread": _beyond_spread(inflation),
        "fixed_climb_relative": _relative(mean["climb_after_stall"]["fixed"], mean["best_val_loss"]["fixed"]),
        "fixed_gap_relative": _relative(mean["end_gap"]["fixed"], mean["best_val_loss"]["fixed"]),
        "thresholds": {
            "leak_min_inflation": LEAK_MIN_INFLATION,
            "data_min_drop": DATA_MIN_DROP,
            "spread_factor": SPREAD_FACTOR,
            "model_min_climb": MODEL_MIN_CLIMB,
            "model_min_gap": MODEL_MIN_GAP,
        },
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _fixed_overfits(c: dict) -> bool:
    gap = c["end_gap"]["fixed"]
    climb, gap_relative = c["fixed_climb_relative"], c["fixed_gap_relative"]
    climbs = climb is not None and climb >= MODEL_MIN_CLIMB
    gapped = gap is not None and gap >= MODEL_MIN_GAP and gap_relative is not None and gap_relative >= MODEL_MIN_CLIMB
    return climbs or gapped


def _verdict(c: dict) -> tuple[str, str]:
    """(verdict_code, one or two plain sentences with the numbers)."""
    ref, gap = c["reference_loss"], c["end_gap"]
    change = (
        f"the fixes took the reference loss from {_fmt(ref['raw'])} to {_fmt(ref['fixed'])} "
        f"and the end gap from {_fmt(gap['raw'])} to {_fmt(gap['fixed'])}"
    )
    overfit = (
        f"on fixed data the val loss bottoms out at epoch {_fmt_epoch(c['stall_epoch']['fixed'])}, "
        f"climbs {_fmt(c['climb_after_stall']['fixed'])} by the end and the end gap is {_fmt(gap['fixed'])}"
    )
    inflation = c["raw_val_inflation_relative"]
    if inflation is not None and inflation >= LEAK_MIN_INFLATION and c["raw_val_inflation_beyond_spread"]:
        return "leakage", (
            f"Leakage: the raw model's val loss ({_fmt(c['best_val_loss']['raw'])}) is {inflation:.0%} lower than "
            f"its loss on the clean reference set ({_fmt(ref['raw'])}), so the raw validation score is inflated "
            f"by rows the model has seen in training; trust the fixed validation split ({change})."
        )
    drop = c["reference_loss_drop_relative"]
    if drop is not None and drop >= DATA_MIN_DROP and c["reference_loss_drop_beyond_spread"]:
        text = (
            f"The data is to blame: {change}, a {drop:.0%} lower reference loss, "
            f"beyond the seed spread (std {_fmt(c['reference_loss_drop']['std'])})."
        )
        if _fixed_overfits(c):
            text += f" A gap remains ({overfit}): also {REMEDIES}."
        return "data", text
    if _fixed_overfits(c):
        return "model", (
            f"The model is to blame: {change}, little change, yet {overfit}; {REMEDIES}."
        )
    return "inconclusive", (
        f"Neither is clearly to blame: {change}, within the seed spread or under {DATA_MIN_DROP:.0%}, "
        f"and the fixed run does not clearly overfit (val loss climbs {_fmt(c['climb_after_stall']['fixed'])} "
        f"after its best epoch)."
    )


def _fmt_epoch(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"
