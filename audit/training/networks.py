"""The networks the baseline trains: the built-in ones, and the user's model file.

``default`` is Dense(128, relu), Dropout(0.5), Dense(K, softmax); ``wide`` is two
Dense(512, relu) layers without dropout; both read a row of numbers. Pictures, which reach
the network as (height, width, channels) arrays, get the convolutional network of
:mod:`audit.training.conv` whichever is named. A model file supplies its own network (see
:class:`audit.training.inputs.BaselineSettings`); it is the one place that runs the user's
code, and only when the user names it. Every network ends in one softmax output a class;
Adam and sparse categorical cross-entropy train it unless a model file compiled its own.

Keras is passed in, never imported here, so importing this module stays cheap.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from audit.validate.model_file import model_file_errors

if TYPE_CHECKING:
    from audit.training.inputs import BaselineSettings

# Hidden layer widths and the dropout after each hidden layer, by network name.
NETWORKS: dict[str, tuple[tuple[int, ...], float]] = {"default": ((128,), 0.5), "wide": ((512, 512), 0.0)}


def weight_count(widths: Sequence[int], n_features: int, n_classes: int) -> int:
    """The kernel weights of a network with these hidden widths (biases left out)."""
    sizes = [n_features, *widths, n_classes]
    return sum(a * b for a, b in itertools.pairwise(sizes))


def model_builder(keras: Any, settings: BaselineSettings, n_classes: int) -> Callable[[tuple[int, ...]], Any]:
    """A function input shape -> one (possibly compiled) single-seed network.

    A row of n numbers has the shape ``(n,)`` and a model file's ``build_model`` gets ``n``;
    for pictures it gets the shape ``(height, width, channels)``.
    """
    if settings.model_file is not None:
        user_build = load_build_model(settings.model_file)

        def build_user(input_shape: tuple[int, ...]) -> Any:
            given = input_shape[0] if len(input_shape) == 1 else tuple(input_shape)
            with model_file_errors(settings.model_file, f"building the model (build_model({given}, {n_classes}))"):
                model = user_build(given, n_classes)
            check_user_model(keras, model, input_shape, n_classes, settings.model_file)
            return model

        return build_user

    def build_builtin(input_shape: tuple[int, ...]) -> Any:
        if len(input_shape) == 3:
            from audit.training.conv import build_cnn

            return build_cnn(keras, input_shape, n_classes)
        n_features = input_shape[0]
        # Every network's layers are made, in this order, whichever one is used: a layer draws
        # its initial seed from Python's random state when it is made, so making the same
        # layers in the same order is what keeps a seed's weights the same from run to run.
        hidden = {name: _hidden_layers(keras, widths, dropout) for name, (widths, dropout) in NETWORKS.items()}
        layers = keras.layers
        return keras.Sequential(
            [keras.Input(shape=(n_features,)), *hidden[settings.model], layers.Dense(n_classes, activation="softmax")]
        )

    return build_builtin


def _hidden_layers(keras: Any, widths: Sequence[int], dropout: float) -> list[Any]:
    layers = []
    for width in widths:
        layers.append(keras.layers.Dense(width, activation="relu"))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    return layers


def load_build_model(path: str) -> Callable:
    """Import a model file by path and return its build_model function."""
    spec = importlib.util.spec_from_file_location(f"audit_user_model_{Path(path).stem}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"model file {path!r} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    with model_file_errors(path, "running the file"):
        spec.loader.exec_module(module)
    build = getattr(module, "build_model", None)
    if not callable(build):
        raise ValueError(f"model file {path!r} defines no build_model(n_features, n_classes)")
    return build


def check_user_model(keras: Any, model: Any, input_shape: tuple[int, ...], n_classes: int, path: str) -> None:
    """A user model must be a keras.Model with one probability per class."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"build_model in {path!r} returned {type(model).__name__}, not a keras.Model")
    width = keras.ops.shape(model(np.zeros((1, *input_shape), dtype="float32")))[-1]
    if width != n_classes:
        raise ValueError(f"build_model in {path!r} gives {width} outputs for {n_classes} classes")
