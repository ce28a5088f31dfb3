"""Encoding for the network: features and labels as matrices, fitted on the training split only.

The features go through the network side of the encoder seam
(:func:`checks.encoders.fit_network_inputs`): each column kind says how the network sees it,
fitted on the run's training split and applied unchanged to val and to the reference set, so
nothing of their rows leaks into the preprocessing; anything non-finite is refused there.
Pictures (a split's ``pictures``) need no fitting: their RGB copies are scaled to [0, 1] and
the matrices are (rows, height, width, channels). Labels become codes 0..K-1 of the sorted
union of classes over every split.
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
from checks.encoders import fit_network_inputs

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


def encode_run(run: str, train: BaselineSplit, val: BaselineSplit, reference: BaselineSplit,
               classes: list) -> Encoded:
    """Fit preprocessing on this run's train split and encode its three splits."""
    names = (f"{run}_train", f"{run}_val", "reference")
    splits = (train, val, reference)
    if train.pictures is not None:
        x_train, x_val, x_ref = (scaled_pictures(name, split) for name, split in zip(names, splits))
    else:
        inputs = fit_network_inputs(train.features)
        x_train, x_val, x_ref = (inputs.transform(split.features, name) for name, split in zip(names, splits))
    y_train = encode_labels(train.labels, classes)
    return Encoded(
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=encode_labels(val.labels, classes),
        x_ref=x_ref,
        y_ref=encode_labels(reference.labels, classes),
        class_weight=class_weight(y_train),
    )


def scaled_pictures(name: str, split: BaselineSplit) -> np.ndarray:
    """A split's RGB copies as float32 in [0, 1], the convolutional network's input."""
    if split.pictures is None:
        raise ValueError(f"{name}: no pictures, while the training split is pictures")
    return split.pictures.astype("float32") / np.float32(255)


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
    return balanced_class_weight(y)


def balanced_class_weight(y: np.ndarray) -> dict:
    """Balanced class weights (n / (classes x class count), as scikit-learn's "balanced"), whatever the ratio."""
    codes, counts = np.unique(y, return_counts=True)
    return {int(c): len(y) / (len(codes) * int(n)) for c, n in zip(codes, counts, strict=True)}


def prior_loss(y_train: np.ndarray, y: np.ndarray, n_classes: int) -> float | None:
    """Log-loss on ``y`` of predicting the train class shares: the floor a network must beat.

    Probabilities are clipped as Keras clips them in its cross-entropy, so a class train
    never had costs as much as Keras would charge for it.
    """
    counts = np.bincount(y_train, minlength=n_classes)
    prior = np.clip(counts / counts.sum(), PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)
    return finite(-np.log(prior[y]).mean())
