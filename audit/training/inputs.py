"""What training is given: the splits, the settings, and the checks that refuse them early.

A setting or a split that would fail deep inside Keras (an unknown network, no rows, labels
that do not line up with the rows, a missing label) is refused here with a ValueError that
names the split or the setting, before TensorFlow is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from audit.training.networks import NETWORKS


@dataclass(frozen=True)
class BaselineSplit:
    """One split as the network sees it: feature columns and the labels as given.

    ``pictures``, for picture inputs, holds each row's small RGB copy (n, side, side, 3),
    uint8; the baseline then trains its convolutional network on them, while ``features``
    (the pictures' cheap features) stay what the dense experiments of the diagnosis read.
    """

    features: pd.DataFrame
    labels: np.ndarray
    pictures: np.ndarray | None = None


@dataclass(frozen=True)
class BaselineSettings:
    """What to train and for how long.

    ``model`` names a built-in network (see :data:`audit.training.networks.NETWORKS`).
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


def check_settings(settings: BaselineSettings) -> None:
    """Refuse settings that would fail deep inside Keras, with a message that says why."""
    if settings.model_file is None and settings.model not in NETWORKS:
        raise ValueError(f"unknown baseline model {settings.model!r}; choose one of {', '.join(NETWORKS)}")
    if settings.model_file is not None and not Path(settings.model_file).is_file():
        raise ValueError(f"model file {settings.model_file!r} does not exist")
    for name in ("seeds", "epochs", "patience"):
        if getattr(settings, name) < 1:
            raise ValueError(f"baseline setting {name} must be at least 1, got {getattr(settings, name)}")
    if settings.batch_size is not None and settings.batch_size < 1:
        raise ValueError(f"baseline batch_size must be at least 1, got {settings.batch_size}")


def check_split(name: str, split: BaselineSplit) -> None:
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
    if split.pictures is not None and (split.pictures.ndim != 4 or len(split.pictures) != len(labels)):
        raise ValueError(f"{name}: pictures of shape {split.pictures.shape} for {len(labels)} labels; "
                         "give one (height, width, channels) array a row")


def same_split(a: BaselineSplit, b: BaselineSplit) -> bool:
    """Whether two splits hold the same rows in the same order."""
    same_pictures = (a.pictures is None) == (b.pictures is None) and (
        a.pictures is None or np.array_equal(a.pictures, b.pictures))
    return same_pictures and a.features.equals(b.features) and np.array_equal(np.asarray(a.labels),
                                                                             np.asarray(b.labels))
