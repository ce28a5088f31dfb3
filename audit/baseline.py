"""Baseline Keras model on the raw and on the fixed data: is the data or the model to blame?

The same small network is trained on the raw split pair (raw train -> raw val) and on the
fixed pair (fixed train -> fixed val), with the same seeds. Every model, raw or fixed, is
also scored at every epoch on the clean *reference* set (fixed val minus val label issues),
so raw and fixed are compared like for like: raw val loss and fixed val loss are not
comparable, since the fixes changed the validation rows themselves.

Networks and data
-----------------
``default`` is Dense(128, relu), Dropout(0.5), Dense(K, softmax); ``wide`` is two
Dense(512, relu) layers without dropout; a model file supplies its own (see
:class:`BaselineSettings`). Adam, sparse categorical cross-entropy. Preprocessing is fitted
on each run's training split only: numbers get median imputation (infinities count as
missing) and standardisation, other columns a one-hot of the ``MAX_CATEGORIES`` most
frequent training values. Anything non-finite that still reaches the network is refused
with a ValueError. When the largest training class is ``IMBALANCE_RATIO`` (3) times the
smallest, rows carry "balanced" class weights.

Reading the numbers
-------------------
Losses are cross-entropy in nats. The train loss is the one Keras reports: the mean over
the epoch's batches with dropout active and class weights applied, so with dropout it sits
above the loss of the same weights in inference mode and the gap (val loss minus train
loss) can be negative. Per seed:

* best epoch: the epoch of minimum val loss over the full budget (1-based), which early
  stopping with ``restore_best_weights`` and unlimited patience would restore;
* early stopping: where ``EarlyStopping(monitor="val_loss", patience=patience,
  restore_best_weights=True)`` would have stopped, and the epoch it would restore;
* stall epoch: that restored epoch, when early stopping would have fired while the train
  loss still fell afterwards; None when the val loss never stopped improving for
  ``patience`` epochs. The plain argmin is not used for this: on a noisy plateau it lands
  wherever the val loss happens to dip lowest, often near the end;
* climb after stall: val loss at the end minus the best val loss;
* gap at the end and at the best epoch; reference loss/accuracy at the best epoch.

Runs report mean, sample standard deviation and min/max over seeds, per epoch for the
curves and for every per-seed number. A prior DummyClassifier's log-loss on val and on the
reference is the floor: a network not clearly below it has learnt nothing.

Verdict thresholds
------------------
Checked in this order; the first that holds decides ``verdict_code``:

1. ``leakage``: the raw model's val loss at its best epoch is at least
   ``LEAK_MIN_INFLATION`` (15 %) below the same model's reference loss at that epoch, by
   more than ``SPREAD_FACTOR`` (2) standard deviations of the per-seed difference.
   Validation rows copied from train are easy, so they pull val loss down; label noise in
   val and hard rows left out of the reference push the other way, so noise cannot fire it.
2. ``data``: the fixes lowered the mean reference loss at the best epoch by at least
   ``DATA_MIN_DROP`` (10 %) and by more than ``SPREAD_FACTOR`` standard deviations of the
   per-seed drop.
3. ``model``: fixing changed little, yet the fixed run still overfits on clean rows: its
   loss on the reference set climbs above its lowest by at least max(``MODEL_MIN_CLIMB``
   0.05 nats, 25 % of its reference loss), or ends at least max(``MODEL_MIN_GAP`` 0.25
   nats, 25 % of it) above the train loss. Without val label issues the reference is the
   fixed val split, so this is the val loss's climb and gap.
4. ``inconclusive`` otherwise.

Whatever the verdict, when the fixed val keeps rows flagged as label issues and its val
loss climbs clearly while the reference loss does not, the verdict adds a caution: the
model trained without rows like them predicts them ever more confidently against their
labels, a loss of calibration if those rows are hard rather than mislabelled.

Measured with 3 seeds and 40 epochs (the cases tests/test_baseline.py builds), which put
the thresholds between the cases that must fire them and those that must not:

* scikit-learn digits, 20 % of train labels flipped, fixed = flipped rows dropped. Default
  network: reference loss 0.408 -> 0.117 (-71 %, std of the drop 0.016); train loss stays
  at 0.86, above val, so the noise never shows as overfitting. Wide network: 0.334 ->
  0.115 (-65 %, std 0.039); raw stalls at epoch ~5 and ends with gap 0.38, fixed stalls
  at ~12 with gap 0.13.
* digits, 30 % of val rows exact copies of train rows: raw val loss 0.088 against 0.117 on
  the reference, 25 % inflation (wide: 30 %), seed std 0.004; with a clean val split it is
  0 % by construction, and val label noise can only push it below 0.
* 150 clean rows, 5 informative + 200 noise features, nothing to fix: val loss lowest at
  epoch ~11 (0.755, never below the class-prior floor 0.718) and climbing 0.09 by epoch
  40, while train loss falls to 0.02: end gap 0.82.
* clean digits, nothing to fix: climb 8 % / 0.009 (default), 6 % / 0.005 (wide), end gap
  0.09 in both: inconclusive, as it should be.

Speed
-----
The network is tiny, so Keras' per-step and per-epoch overhead dominates, not arithmetic.
All seeds of a run train together as copies side by side in one model (one fit, one
data pipeline, one trace); each copy has its own initialisation and dropout masks, while
all see the same batches, so the seed spread covers initialisation and dropout but not
batch order. ``steps_per_execution=32`` and a batch size growing with the data keep
epochs cheap; the reference is scored through the compiled test function. When the
fixed splits equal the raw ones, the fixed run reuses the raw results: with
deterministic ops and fixed threads it would be identical bit for bit.

TensorFlow is imported lazily (about 3 s and 0.7 GB) through :mod:`audit._keras_runtime`,
the only module that knows the backend.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
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
MODEL_MIN_RELATIVE = 0.25
MODEL_MIN_CLIMB = 0.05
MODEL_MIN_GAP = 0.25

CURVES = (
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "reference_loss",
    "reference_accuracy",
)
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
    "reference_climb",
    "reference_end_gap",
    "early_stop_epoch",
    "early_stop_restored_epoch",
)
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
    ``steps_per_execution``. With several seeds the per-seed losses are the data term
    only: a model file's regularisation penalties (L2 and the like) are not in them.
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
    prepared = {"raw": _prepare("raw", raw_train, raw_val, reference, classes)}
    prepared["fixed"] = prepared["raw"] if reuse else _prepare("fixed", fixed_train, fixed_val, reference, classes)

    with _deferred_interrupt() as interrupted:
        keras = _keras_runtime.load_keras()
        build = _model_builder(keras, settings, len(classes))
        batch_size = _batch_size(len(raw_train.labels), settings)
        runs = _train_both(keras, prepared, build, settings, batch_size, reuse, started, classes, interrupted)
    comparison = _compare(runs["raw"], runs["fixed"])
    code, verdict = _verdict(comparison)
    log.info("baseline verdict %s: %s", code, verdict)
    return {
        "settings": asdict(settings),
        "classes": [_json_label(c) for c in classes],
        "batch_size": batch_size,
        "steps_per_execution": STEPS_PER_EXECUTION,
        "seeds": list(range(settings.seeds)),
        "raw": runs["raw"],
        "fixed": runs["fixed"],
        "comparison": comparison,
        "verdict": verdict,
        "verdict_code": code,
        "environment": _keras_runtime.environment(),
        "duration_s": round(time.perf_counter() - started, 3),
    }


def run_variant(raw: dict, raw_train: BaselineSplit, raw_val: BaselineSplit, train: BaselineSplit,
                val: BaselineSplit, reference: BaselineSplit, settings: BaselineSettings = BaselineSettings()) -> dict:
    """Train one more run the way :func:`run_baseline` trains its fixed run, and compare it with raw.

    ``raw`` is ``run_baseline(...)["raw"]``, trained on ``raw_train``/``raw_val`` with the same
    ``settings`` and scored on the same ``reference``. The variant gets the raw run's classes,
    batch size, seeds and number of epochs, so its numbers compare with raw's exactly as the
    fixed run's do. Returns the run without its curves, ``comparison`` (the numbers
    :func:`run_baseline` builds its verdict from, "fixed" meaning this variant) and
    ``raw_val_inflation`` recomputed for the variant itself. Raises ValueError for unusable input.
    """
    started = time.perf_counter()
    _check_settings(settings)
    for name, split in (("variant_train", train), ("variant_val", val), ("reference", reference)):
        _check_split(name, split)
    classes = _classes([raw_train.labels, raw_val.labels, train.labels, val.labels, reference.labels])
    prepared = _prepare("variant", train, val, reference, classes)
    ran = raw["summary"]["epochs_run"]["max"]
    epochs = int(ran) if raw.get("stopped_by_time_budget") and ran else settings.epochs
    with _deferred_interrupt() as interrupted:
        keras = _keras_runtime.load_keras()
        build = _model_builder(keras, settings, len(classes))
        curves, _ = _train_run(keras, prepared, build, settings, epochs,
                               _batch_size(len(raw_train.labels), settings), None, interrupted)
    run = {**_run_result(prepared, curves, time.perf_counter() - started, settings, classes), "reused_raw": False}
    comparison = _compare(raw, run)
    run.pop("curves")
    inflation = _spread([_difference(s["reference_loss_at_best"], s["best_val_loss"]) for s in run["per_seed"]])
    return {**run, "comparison": comparison,
            "val_inflation_relative": _relative(inflation["mean"], comparison["reference_loss"]["fixed"])}


# Measured on 2 cores (tensorflow 2.21, keras 3.15, CPU time of 1.5k-100k rows x 64 features):
# the import; building and tracing one run's stacked model (most of it the first epoch); the
# fixed cost of an epoch (data pipelines, executions, callbacks); the cost per training row;
# and the cost per row x weight at batch 512 (smaller batches use the cores less well).
_IMPORT_S = 4.0
_RUN_S = 1.5
_RUN_PER_SEED_S = 0.7
_EPOCH_S = 0.125
_ROW_S = 7e-6
_WEIGHT_S = 9e-11
_TYPICAL_CLASSES = 10


def estimate_seconds(n_train_rows: int, n_features: int, settings: BaselineSettings, runs: int = 2) -> float:
    """Rough wall time of :func:`run_baseline` on 2 cores, so a caller can skip it when over budget.

    Counts the TensorFlow import and ``runs`` runs (raw and fixed), assumes val and reference are smaller than
    train and about ten classes; a model file is costed like the wide network. Within a
    factor of two on the measured sizes; a reused fixed run makes it pessimistic.
    """
    batch_size = _batch_size(n_train_rows, settings)
    width = 128 if settings.model == "default" and settings.model_file is None else 512
    weights = n_features * width + width * _TYPICAL_CLASSES + (0 if width == 128 else width * width)
    compute = n_train_rows * settings.seeds * weights * _WEIGHT_S * math.sqrt(512 / batch_size)
    epoch_s = _EPOCH_S + n_train_rows * _ROW_S + compute
    run_s = _RUN_S + _RUN_PER_SEED_S * settings.seeds + settings.epochs * epoch_s
    return _IMPORT_S + runs * run_s


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


def _numeric_block(frame: pd.DataFrame, columns: tuple, split: str) -> np.ndarray:
    """Numeric columns as float64, infinities turned into missing values."""
    try:
        values = frame[list(columns)].to_numpy(dtype="float64", na_value=np.nan, copy=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{split}: a column numeric in the training split holds non-numbers here ({error})") from None
    values[np.isinf(values)] = np.nan
    return values


def _text(column: pd.Series) -> pd.Series:
    """Non-numeric values as text, missing values kept missing."""
    return column.astype(object).where(column.notna()).map(lambda v: v if pd.isna(v) else str(v))


def _fit_encoder(train: pd.DataFrame) -> _Encoder:
    """Median fill and standardisation for numbers, top-K one-hot for the rest (train only)."""
    numeric = tuple(c for c in train.columns if _is_numeric(train[c]))
    values = _numeric_block(train, numeric, "train")
    observed = ~np.isnan(values)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused in _encode
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
    values = _numeric_block(frame, encoder.numeric, split)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused below
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
            f"{columns} (values too large to standardise); rescale or drop them"
        )


def _prepare(run: str, train: BaselineSplit, val: BaselineSplit, reference: BaselineSplit, classes: list) -> _Prepared:
    """Fit preprocessing on this run's train split and encode its three splits."""
    encoder = _fit_encoder(train.features)
    y_train = _encode_labels(train.labels, classes)
    return _Prepared(
        x_train=_encode(encoder, train.features, f"{run}_train"),
        y_train=y_train,
        x_val=_encode(encoder, val.features, f"{run}_val"),
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


def _even_batch(n_rows: int) -> int:
    """An evaluation batch size that splits n_rows into near-equal batches of <= EVAL_BATCH_SIZE.

    Keras averages a multi-output model's per-output losses over batches without
    weighting them by batch size, so equal batches keep the per-seed losses exact.
    """
    return math.ceil(n_rows / math.ceil(n_rows / EVAL_BATCH_SIZE))


def _model_builder(keras: Any, settings: BaselineSettings, n_classes: int) -> Callable[[int], Any]:
    """A function n_features -> one (possibly compiled) single-seed network."""
    if settings.model_file is not None:
        user_build = _load_build_model(settings.model_file)

        def build_user(n_features: int) -> Any:
            model = user_build(n_features, n_classes)
            _check_user_model(keras, model, n_features, n_classes, settings.model_file)
            return model

        return build_user

    def build_builtin(n_features: int) -> Any:
        layers = keras.layers
        hidden = {
            "default": [layers.Dense(128, activation="relu"), layers.Dropout(0.5)],
            "wide": [layers.Dense(512, activation="relu"), layers.Dense(512, activation="relu")],
        }[settings.model]
        return keras.Sequential(
            [keras.Input(shape=(n_features,)), *hidden, layers.Dense(n_classes, activation="softmax")]
        )

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


def _stacked_model(keras: Any, build: Callable[[int], Any], n_features: int, seeds: int) -> Any:
    """``seeds`` independently initialised copies of the network side by side, compiled.

    One fit then trains every seed: Keras' per-epoch and per-step overhead, which
    dominates for a network this small, is paid once instead of once per seed. Output
    ``seed_k`` is the k-th copy; each has its own loss and accuracy in the logs.
    """
    inputs = keras.Input(shape=(n_features,))
    copies = [build(n_features) for _ in range(seeds)]
    outputs = {}
    for k, copy in enumerate(copies):
        copy.name = f"seed_{k}"
        outputs[copy.name] = copy(inputs)
    model = keras.Model(inputs, outputs)
    optimizer, loss = _optimizer_and_loss(keras, copies[0])
    model.compile(
        optimizer=optimizer,
        loss=dict.fromkeys(outputs, loss),
        metrics={name: [keras.metrics.SparseCategoricalAccuracy(name="accuracy")] for name in outputs},
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    return model


def _optimizer_and_loss(keras: Any, model: Any) -> tuple[Any, Any]:
    """Adam and sparse cross-entropy, or the optimizer settings and loss a user compiled with."""
    if not getattr(model, "compiled", False):
        return keras.optimizers.Adam(), "sparse_categorical_crossentropy"
    optimizer = model.optimizer
    return type(optimizer).from_config(optimizer.get_config()), model.loss


# -------------------------------------------------------------------------- training


def _never() -> bool:
    return False


def _train_both(
    keras: Any,
    prepared: dict[str, _Prepared],
    build: Callable[[int], Any],
    settings: BaselineSettings,
    batch_size: int,
    reuse: bool,
    started: float,
    classes: list,
    interrupted: Callable[[], bool] = _never,
) -> dict[str, dict]:
    """Train raw, then fixed, and summarise each run.

    With a time budget, raw may use the first half of it; fixed then trains for no more
    epochs than raw got, so the two stay comparable. Identical splits reuse raw.
    """
    budget = settings.time_budget_s
    epochs = settings.epochs
    runs: dict[str, dict] = {}
    for name, share in (("raw", 0.5), ("fixed", 1.0)):
        if name == "fixed" and reuse:
            runs["fixed"] = {**runs["raw"], "reused_raw": True}
            break
        if interrupted():
            break  # _deferred_interrupt raises KeyboardInterrupt
        fit_started = time.perf_counter()
        deadline = None if budget is None else started + share * budget
        curves, out_of_time = _train_run(keras, prepared[name], build, settings, epochs, batch_size, deadline,
                                         interrupted)
        if out_of_time:
            epochs = len(curves[0]["train_loss"])
            log.warning("baseline %s run stopped by the time budget after %d epochs", name, epochs)
        runs[name] = {
            **_run_result(prepared[name], curves, time.perf_counter() - fit_started, settings, classes),
            "stopped_by_time_budget": out_of_time,
            "reused_raw": False,
        }
    return runs


def _train_run(
    keras: Any,
    data: _Prepared,
    build: Callable[[int], Any],
    settings: BaselineSettings,
    epochs: int,
    batch_size: int,
    deadline: float | None,
    interrupted: Callable[[], bool] = _never,
) -> tuple[list[dict], bool]:
    """Fit all seeds of one run at once; return per-seed curves and whether time ran out."""
    keras.backend.clear_session()  # clears global state, the seed included: seed after it
    _keras_runtime.seed_everything(settings.random_state)
    model = _stacked_model(keras, build, data.x_train.shape[1], settings.seeds)
    names = list(model.output_names)

    def per_seed(y: np.ndarray) -> dict:
        return dict.fromkeys(names, y)

    epoch_end = _epoch_end_callback(keras, data.x_ref, per_seed(data.y_ref), deadline, interrupted)
    weights = None if data.class_weight is None else per_seed(_row_weights(data.y_train, data.class_weight))
    history = model.fit(
        data.x_train,
        per_seed(data.y_train),
        sample_weight=weights,
        validation_data=(data.x_val, per_seed(data.y_val)),
        validation_batch_size=_even_batch(len(data.y_val)),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[keras.callbacks.TerminateOnNaN(), epoch_end],
        shuffle=True,
        verbose=0,
    )
    curves = [_seed_curves(history.history, epoch_end.scores, name, len(names)) for name in names]
    if len(history.history.get("loss", [])) < epochs and not epoch_end.out_of_time and not interrupted():
        log.warning("baseline training stopped at epoch %d on a non-finite loss", len(history.history["loss"]))
    return curves, epoch_end.out_of_time


def _row_weights(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-row weights from class weights (Keras takes class_weight for one output only)."""
    lookup = np.ones(int(y.max()) + 1)
    for code, weight in class_weight.items():
        lookup[code] = weight
    return lookup[y]


def _metric_key(output: str, metric: str, n_outputs: int) -> str:
    """Keras names per-output metrics ``<output>_<metric>`` only when there are several outputs."""
    return f"{output}_{metric}" if n_outputs > 1 else metric


def _seed_curves(history: dict, reference: list[dict], output: str, n_outputs: int) -> dict:
    """One seed's per-epoch curves out of the stacked model's logs."""
    curves = {}
    for metric in ("loss", "accuracy"):
        key = _metric_key(output, metric, n_outputs)
        curves[f"train_{metric}"] = [_finite(v) for v in history.get(key, [])]
        curves[f"val_{metric}"] = [_finite(v) for v in history.get(f"val_{key}", [])]
        curves[f"reference_{metric}"] = [_finite(scores.get(key)) for scores in reference]
    return curves


def _epoch_end_callback(keras: Any, x_ref: np.ndarray, y_ref: dict, deadline: float | None,
                        interrupted: Callable[[], bool] = _never) -> Any:
    """A callback scoring the reference set at every epoch end, enforcing the deadline and Ctrl-C.

    Scoring goes through the model's compiled test function (the one validation uses),
    so the reference loss is the same function as the val loss, at a few milliseconds an
    epoch; ``evaluate`` would build a new data pipeline each
    time. Metrics are reset first: the test function accumulates into them.
    """
    chunks = np.array_split(np.arange(len(x_ref)), math.ceil(len(x_ref) / EVAL_BATCH_SIZE))

    class EpochEnd(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.scores: list[dict] = []
            self.out_of_time = False

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.model.reset_metrics()
            for rows in chunks:
                result = self.model.test_on_batch(
                    x_ref[rows], {name: y[rows] for name, y in y_ref.items()}, return_dict=True
                )
            self.scores.append(result)
            if deadline is not None and time.perf_counter() > deadline:
                self.out_of_time = self.model.stop_training = True
            if interrupted():
                self.model.stop_training = True

    return EpochEnd()


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Hold a Ctrl-C back until training can stop cleanly, then raise KeyboardInterrupt.

    Raised inside TensorFlow's import or tracing, a KeyboardInterrupt surfaces as an
    unrelated error (SystemError, AttributeError) and the run looks like a crash. Held back,
    it stops training at the next epoch end (the callback asks the yielded function) and
    is raised as itself. Only the main thread can take signals; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield lambda: False
        return
    pending: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield lambda: bool(pending)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pending:
        raise KeyboardInterrupt


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


def _stall_epoch(train: list[float], val: list[float], patience: int) -> int | None:
    """Where val loss stopped improving while train loss kept falling (1-based), or None.

    "Stopped improving" is judged the way the user's early stopping would judge it: no new
    minimum for ``patience`` epochs. The plain argmin over the full budget is not used:
    on a noisy plateau it lands wherever the val loss happens to dip lowest, often near
    the end, long after it stopped improving in earnest.
    """
    stopped, restored = _early_stopping(val, patience)
    if stopped is None:
        return None
    return restored if min(train[restored:]) < train[restored - 1] else None


def curve_numbers(train: list[float], val: list[float], patience: int) -> dict:
    """What one seed's finite train and val curves say: best epoch, stall, gaps, early stopping.

    The baseline and the diagnosis both read a run this way; each adds its own numbers.
    """
    best = int(np.argmin(val))
    stopped, restored = _early_stopping(val, patience)
    return {
        "epochs_run": len(val),
        "best_epoch": best + 1,
        "best_val_loss": val[best],
        "stall_epoch": _stall_epoch(train, val, patience),
        "end_gap": val[-1] - train[-1],
        "best_gap": val[best] - train[best],
        "train_loss_end": train[-1],
        "val_loss_end": val[-1],
        "early_stop_epoch": stopped,
        "early_stop_restored_epoch": restored,
    }


def _seed_summary(curves: dict, patience: int) -> dict:
    """The numbers the verdict reads, for one seed."""
    n = _usable_epochs(curves)
    if n == 0:
        return dict.fromkeys(SEED_NUMBERS)
    train, val = curves["train_loss"][:n], curves["val_loss"][:n]
    numbers = curve_numbers(train, val, patience)
    best = numbers["best_epoch"] - 1
    return {
        **numbers,
        "val_accuracy_at_best": curves["val_accuracy"][best],
        "climb_after_stall": val[-1] - val[best],
        "reference_loss_at_best": curves["reference_loss"][best],
        "reference_accuracy_at_best": curves["reference_accuracy"][best],
        "reference_loss_end": curves["reference_loss"][n - 1],
        "reference_climb": _reference_climb(curves["reference_loss"][:n]),
        "reference_end_gap": _difference(curves["reference_loss"][n - 1], train[-1]),
    }


def _reference_climb(reference: list[float | None]) -> float | None:
    """How far the reference loss ends above its lowest epoch."""
    present = [value for value in reference if value is not None]
    return None if reference[-1] is None else reference[-1] - min(present)


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
    data: _Prepared, curves: list[dict], duration: float, settings: BaselineSettings, classes: list
) -> dict:
    """One run (raw or fixed): sizes, curves, per-seed numbers and their spread."""
    per_seed = [{"seed": k, **_seed_summary(c, settings.patience)} for k, c in enumerate(curves)]
    return {
        "train_rows": len(data.y_train),
        "val_rows": len(data.y_val),
        "reference_rows": len(data.y_ref),
        "n_inputs": int(data.x_train.shape[1]),
        "class_weight": None if data.class_weight is None else {
            str(_json_label(classes[code])): weight for code, weight in data.class_weight.items()
        },
        "curves": {name: _curve_spread([c[name] for c in curves]) for name in CURVES},
        "per_seed": per_seed,
        "summary": {name: _spread([s[name] for s in per_seed]) for name in SEED_NUMBERS},
        "dummy": _dummy_losses(data, len(classes)),
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
            for name in ("reference_loss_at_best", "end_gap", "best_val_loss", "climb_after_stall", "stall_epoch",
                         "reference_climb", "reference_end_gap", "reference_loss_end")}
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
        "reference_climb": mean["reference_climb"],
        "reference_end_gap": mean["reference_end_gap"],
        "reference_loss_end": mean["reference_loss_end"],
        "val_rows_kept_out_of_reference": fixed["val_rows"] - fixed["reference_rows"],
        "kept_out_rows_loss": _kept_out_rows_loss(fixed),
        "prior_val_loss": {"raw": raw["dummy"]["val_loss"], "fixed": fixed["dummy"]["val_loss"]},
        "fixes_changed_rows": not fixed["reused_raw"],
        "reference_loss_drop": drop,
        "reference_loss_drop_relative": _relative(drop["mean"], mean["reference_loss_at_best"]["raw"]),
        "reference_loss_drop_beyond_spread": _beyond_spread(drop),
        "end_gap_drop": _paired(raw, fixed, "end_gap", "end_gap"),
        "raw_val_inflation": inflation,
        "raw_val_inflation_relative": _relative(inflation["mean"], mean["reference_loss_at_best"]["raw"]),
        "raw_val_inflation_beyond_spread": _beyond_spread(inflation),
        "thresholds": {
            "leak_min_inflation": LEAK_MIN_INFLATION,
            "data_min_drop": DATA_MIN_DROP,
            "spread_factor": SPREAD_FACTOR,
            "model_min_relative": MODEL_MIN_RELATIVE,
            "model_min_climb": MODEL_MIN_CLIMB,
            "model_min_gap": MODEL_MIN_GAP,
        },
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _fixed_overfits(c: dict) -> bool:
    """Whether the fixed run's loss on the clean reference climbs, or its gap stays open, by a clear margin.

    Judged on the reference, not the fixed val: val keeps the rows flagged as label issues,
    and a model trained without their like predicts them ever more confidently against
    their labels, which is not overfitting (see :func:`_flagged_val_rows_diverge`). Without
    val label issues the two are the same rows. Each margin is absolute and relative to the
    reference loss, so that neither a tiny loss (where 25 % is noise) nor a large one
    (where 0.05 nats is noise) misleads.
    """
    best = c["reference_loss"]["fixed"]
    if best is None:
        return False
    climb, gap = c["reference_climb"]["fixed"], c["reference_end_gap"]["fixed"]
    relative = MODEL_MIN_RELATIVE * best
    return (climb is not None and climb >= max(MODEL_MIN_CLIMB, relative)) or (
        gap is not None and gap >= max(MODEL_MIN_GAP, relative)
    )


def _verdict(c: dict) -> tuple[str, str]:
    """(verdict_code, one or two plain sentences with the numbers)."""
    ref, gap = c["reference_loss"], c["end_gap"]
    if c["fixes_changed_rows"]:
        change = (
            f"the fixes took the loss on the clean reference set from {_fmt(ref['raw'])} to {_fmt(ref['fixed'])} "
            f"and the end gap (val minus train loss) from {_fmt(gap['raw'])} to {_fmt(gap['fixed'])}"
        )
    else:
        change = f"the fixes changed no row (reference loss {_fmt(ref['raw'])})"
    inflation = c["raw_val_inflation_relative"]
    if inflation is not None and inflation >= LEAK_MIN_INFLATION and c["raw_val_inflation_beyond_spread"]:
        return "leakage", (
            f"Leakage: the raw model's val loss ({_fmt(c['best_val_loss']['raw'])}) is {inflation:.0%} lower than "
            f"its loss on the clean reference set ({_fmt(ref['raw'])}), so rows it trained on inflate the raw "
            f"validation score; judge the model on the fixed validation split ({change})."
        )
    drop = c["reference_loss_drop_relative"]
    if drop is not None and drop >= DATA_MIN_DROP and c["reference_loss_drop_beyond_spread"]:
        text = (
            f"The data is to blame: the fixes lowered the loss on the clean reference set by {drop:.0%}, "
            f"from {_fmt(ref['raw'])} to {_fmt(ref['fixed'])}, beyond the seed spread "
            f"(std {_fmt(c['reference_loss_drop']['std'])}); the end gap (val minus train loss) went from "
            f"{_fmt(gap['raw'])} to {_fmt(gap['fixed'])}."
        )
        if _fixed_overfits(c):
            text += f" A gap remains on the fixed data ({_overfit_numbers(c)}): also {REMEDIES}."
        return "data", text + _divergence_note(c)
    if _fixed_overfits(c):
        return "model", (
            f"The model is to blame: {change}, yet on clean data it still overfits ({_overfit_numbers(c)}); "
            f"{REMEDIES}."
        ) + _divergence_note(c)
    if not c["fixes_changed_rows"]:
        return "inconclusive", (
            f"Nothing to blame: the checks found no row to fix (reference loss {_fmt(ref['raw'])}) and the model "
            f"does not clearly overfit ({_overfit_numbers(c)})."
        )
    return "inconclusive", (
        f"Neither is clearly to blame: {change}, not a clear improvement, and the fixed run does not "
        f"clearly overfit ({_overfit_numbers(c)})."
    ) + _divergence_note(c)


def _kept_out_rows_loss(run: dict) -> dict:
    """A run's mean loss on the val rows left out of the reference (val label issues), at its
    best epoch and at the end, derived from its val and reference losses (val is the
    reference plus those rows; the loss is a mean over rows). None without such rows."""
    n_val, n_ref = run["val_rows"], run["reference_rows"]
    s = run["summary"]
    if n_val <= n_ref:
        return {"at_best": None, "end": None}

    def rest(val: float | None, ref: float | None) -> float | None:
        return None if val is None or ref is None else _finite((val * n_val - ref * n_ref) / (n_val - n_ref))

    return {"at_best": rest(s["best_val_loss"]["mean"], s["reference_loss_at_best"]["mean"]),
            "end": rest(s["val_loss_end"]["mean"], s["reference_loss_end"]["mean"])}


def _flagged_val_rows_diverge(c: dict) -> bool:
    """Whether the fixed run's loss on the val rows flagged as label issues climbs clearly
    after its best epoch while its loss on the clean reference does not.

    That is the model, trained without rows like them, predicting them ever more
    confidently against their labels: right if those labels are wrong, a loss of
    calibration if the rows are merely hard, which is what label-issue detection flags in
    numbers when classes overlap.
    """
    kept_out, climb = c["kept_out_rows_loss"], c["reference_climb"]["fixed"]
    if kept_out["at_best"] is None or kept_out["end"] is None or climb is None:
        return False
    rise = kept_out["end"] - kept_out["at_best"]
    return rise >= max(MODEL_MIN_CLIMB, MODEL_MIN_RELATIVE * kept_out["at_best"]) and climb < MODEL_MIN_CLIMB


def _divergence_note(c: dict) -> str:
    if not _flagged_val_rows_diverge(c):
        return ""
    kept_out = c["kept_out_rows_loss"]
    return (
        f" The fixed val split keeps the {c['val_rows_kept_out_of_reference']} val rows flagged as label issues; "
        f"the fixed model's loss on them rises from about {_fmt(kept_out['at_best'])} at its best epoch to "
        f"{_fmt(kept_out['end'])} at the end while its loss on the clean reference does not: trained without rows "
        f"like them, it predicts them ever more confidently against their labels. If those labels are right "
        f"(hard, ambiguous rows rather than errors), dropping their like from train costs calibration; review a "
        f"sample of the flagged rows before trusting the label fixes."
    )


def _overfit_numbers(c: dict) -> str:
    """How the fixed run's loss on clean rows behaves, in words: where it stalls, how far it climbs."""
    if c["val_rows_kept_out_of_reference"]:
        loss = c["reference_loss_end"]["fixed"]
        text = (
            f"on the clean reference set its loss ends at {_fmt(loss)}, {_fmt(c['reference_climb']['fixed'])} above "
            f"its lowest, {_fmt(c['reference_end_gap']['fixed'])} above the train loss"
        )
    else:
        stall, loss = c["stall_epoch"]["fixed"], c["best_val_loss"]["fixed"]
        where = f"val loss stalls at epoch {stall:.0f}" if stall is not None else "val loss still improving"
        text = (
            f"{where}, climbs {_fmt(c['climb_after_stall']['fixed'])} above its best {_fmt(loss)} by the end, "
            f"end gap {_fmt(c['end_gap']['fixed'])}"
        )
    prior = c["prior_val_loss"]["fixed"]
    if loss is not None and prior is not None and loss >= prior:
        text += f"; it never beats predicting the class priors ({_fmt(prior)})"
    return text


# ------------------------------------------------------------------- shared pieces
# audit.diagnose trains variants of this network on the same matrices and reads their
# curves the same way; these are the pieces it reuses, under names it can rely on.

Prepared = _Prepared
spread = _spread
class_weight = _class_weight
batch_size_for = _batch_size
json_label = _json_label


def prepare_splits(train: BaselineSplit, val: BaselineSplit, reference: BaselineSplit | None = None,
                   run: str = "fixed") -> tuple[_Prepared, list]:
    """Encode a train/val pair as the baseline does, and the classes the codes refer to.

    Preprocessing is fitted on ``train`` only; labels become codes 0..K-1 of the sorted
    union of classes. Without a ``reference`` the val matrices stand in for it. Raises
    ValueError for unusable input, with the same messages as :func:`run_baseline`.
    """
    reference = reference if reference is not None else val
    for name, split in ((f"{run}_train", train), (f"{run}_val", val), ("reference", reference)):
        _check_split(name, split)
    classes = _classes([train.labels, val.labels, reference.labels])
    return _prepare(run, train, val, reference, classes), classes
