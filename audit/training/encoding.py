"""Encoding for the network: features and labels as matrices, fitted on the training split only.

Numbers get median imputation (infinities count as missing) and standardisation, other
columns a one-hot of the ``MAX_CATEGORIES`` most frequent training values, so a rare ID
does not explode the input. The same fitted encoder is applied unchanged to val and to the
reference set: nothing of their rows leaks into the preprocessing. Anything non-finite that
still reaches the network is refused with a ValueError (Keras would train on NaN and report
``loss=nan``). Labels become codes 0..K-1 of the sorted union of classes over every split.
When the largest training class is ``IMBALANCE_RATIO`` (3) times the smallest, rows carry
"balanced" class weights.

This is the one place that turns a split into the network's inputs; the baseline, its
attribution runs and the diagnosis all train on what it makes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.training.inputs import BaselineSplit, check_split
from audit.training.numbers import finite

MAX_CATEGORIES = 50
IMBALANCE_RATIO = 3.0
PROBABILITY_EPSILON = 1e-7  # Keras clips probabilities the same way in its cross-entropy


@dataclass(frozen=True)
class Encoded:
    """One run's matrices, ready for the network: train, val and the clean reference set."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_ref: np.ndarray
    y_ref: np.ndarray
    class_weight: dict | None


@dataclass(frozen=True)
class _Encoder:
    """Preprocessing fitted on one training split, applied unchanged to the others."""

    columns: tuple
    numeric: tuple
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    categories: dict


def encode_run(run: str, train: BaselineSplit, val: BaselineSplit, reference: BaselineSplit,
               classes: list) -> Encoded:
    """Fit preprocessing on this run's train split and encode its three splits."""
    encoder = _fit_encoder(train.features)
    y_train = encode_labels(train.labels, classes)
    return Encoded(
        x_train=_encode(encoder, train.features, f"{run}_train"),
        y_train=y_train,
        x_val=_encode(encoder, val.features, f"{run}_val"),
        y_val=encode_labels(val.labels, classes),
        x_ref=_encode(encoder, reference.features, "reference"),
        y_ref=encode_labels(reference.labels, classes),
        class_weight=class_weight(y_train),
    )


def encode_pair(train: BaselineSplit, val: BaselineSplit, reference: BaselineSplit | None = None,
                run: str = "fixed") -> tuple[Encoded, list]:
    """Encode a train/val pair as the baseline does, and the classes the codes refer to.

    Without a ``reference`` the val matrices stand in for it. Raises ValueError for
    unusable input, with the same messages as the baseline.
    """
    reference = reference if reference is not None else val
    for name, split in ((f"{run}_train", train), (f"{run}_val", val), ("reference", reference)):
        check_split(name, split)
    classes = classes_of([train.labels, val.labels, reference.labels])
    return encode_run(run, train, val, reference, classes), classes


# ---------------------------------------------------------------------------- labels


def classes_of(label_arrays: Sequence[np.ndarray]) -> list:
    """The union of labels over all splits, sorted when comparable, else by text."""
    seen = pd.unique(np.concatenate([np.asarray(labels, dtype=object) for labels in label_arrays]))
    try:
        return sorted(seen)
    except TypeError:
        return sorted(seen, key=lambda label: (type(label).__name__, str(label)))


def encode_labels(labels: np.ndarray, classes: list) -> np.ndarray:
    """Labels as integer codes 0..K-1 in the order of ``classes``."""
    return pd.Index(classes, dtype=object).get_indexer(np.asarray(labels, dtype=object)).astype("int32")


def json_label(label: Any) -> Any:
    """A label as JSON can hold it: numbers and strings as they are, others as text."""
    if isinstance(label, np.generic):
        label = label.item()
    if isinstance(label, bool | int | str) or (isinstance(label, float) and math.isfinite(label)):
        return label
    return str(label)


def class_weight(y: np.ndarray) -> dict | None:
    """Balanced class weights when the largest train class is 3x the smallest, else None."""
    codes, counts = np.unique(y, return_counts=True)
    if counts.max() / counts.min() < IMBALANCE_RATIO:
        return None
    return {int(c): len(y) / (len(codes) * int(n)) for c, n in zip(codes, counts, strict=True)}


def prior_loss(y_train: np.ndarray, y: np.ndarray, n_classes: int) -> float | None:
    """Log-loss on ``y`` of predicting the train class shares: the floor a network must beat.

    Probabilities are clipped as Keras clips them in its cross-entropy, so a class train
    never had costs as much as Keras would charge for it.
    """
    counts = np.bincount(y_train, minlength=n_classes)
    prior = np.clip(counts / counts.sum(), PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)
    return finite(-np.log(prior[y]).mean())


# -------------------------------------------------------------------------- features


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
