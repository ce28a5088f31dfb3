"""The baseline network for pictures: a small convolutional network on the resized pixels.

Pictures reach it as ``PICTURE_SIDE`` x ``PICTURE_SIDE`` RGB copies scaled to [0, 1] (made
once, when each file is decoded: :mod:`checks.images.decode`). ``CONV_FILTERS`` gives one
block a width: Conv2D(3x3, same padding, no bias), BatchNormalization, ReLU, then a 2x2 max
pool after every block but the last; global average pooling, Dropout(``CONV_DROPOUT``) and one
softmax output a class close it. It is kept small on purpose: the question the baseline
answers is whether fixing the data helps a typical network, not how good a network can be,
and it has to train in seconds on two cores for a few thousand pictures.

``AUGMENTATION`` are the Keras preprocessing layers the diagnosis tries in front of it; they
are active in training only, so scoring in inference mode sees the pictures as they are.

Keras is passed in, never imported here, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from typing import Any

from checks.images.decode import NETWORK_SIDE

PICTURE_SIDE = NETWORK_SIDE
CONV_FILTERS = (8, 16, 32)
CONV_KERNEL = 3
CONV_DROPOUT = 0.3
# Keras' default (0.99) leaves the inference-mode statistics far behind the weights for the
# first epochs of a few hundred pictures (a dozen steps an epoch), so val loss would wander.
BATCHNORM_MOMENTUM = 0.9

# (layer, its argument as Python source): the snippet writes them, the network builds them.
AUGMENTATION = (
    ("RandomFlip", '"horizontal"'),
    ("RandomRotation", "0.1"),
    ("RandomZoom", "0.1"),
    ("RandomContrast", "0.2"),
)


def picture_shape() -> tuple[int, int, int]:
    return (PICTURE_SIDE, PICTURE_SIDE, 3)


def build_cnn(keras: Any, input_shape: tuple[int, ...], n_classes: int, augment: bool = False,
              widths: tuple[int, ...] = CONV_FILTERS) -> Any:
    """One uncompiled copy of the network; ``augment`` puts the augmentation layers in front,
    ``widths`` gives each block its filters (the label-issue network is wider than the baseline's)."""
    layers = keras.layers
    stack: list[Any] = [keras.Input(shape=input_shape)]
    if augment:
        stack += augmentation_layers(keras)
    for block, filters in enumerate(widths):
        stack += [layers.Conv2D(filters, CONV_KERNEL, padding="same", use_bias=False),
                  layers.BatchNormalization(momentum=BATCHNORM_MOMENTUM), layers.ReLU()]
        if block < len(widths) - 1:
            stack.append(layers.MaxPooling2D())
    stack += [layers.GlobalAveragePooling2D(), layers.Dropout(CONV_DROPOUT),
              layers.Dense(n_classes, activation="softmax")]
    return keras.Sequential(stack)


def augmentation_layers(keras: Any) -> list[Any]:
    """RandomFlip, RandomRotation, RandomZoom and RandomContrast as ``AUGMENTATION`` sets them."""
    made = []
    for name, argument in AUGMENTATION:
        value = argument.strip('"') if argument.startswith('"') else float(argument)
        made.append(getattr(keras.layers, name)(value))
    return made


def multiply_adds(input_shape: tuple[int, ...], n_classes: int, widths: tuple[int, ...] = CONV_FILTERS) -> int:
    """Multiply-adds of one picture's forward pass: what the cost model scales with."""
    height, width, channels = input_shape
    total = 0
    for block, filters in enumerate(widths):
        total += height * width * CONV_KERNEL * CONV_KERNEL * channels * filters
        channels = filters
        if block < len(widths) - 1:
            height, width = math.ceil(height / 2), math.ceil(width / 2)
    return total + channels * n_classes


def describe(input_shape: tuple[int, ...]) -> dict[str, Any]:
    """The network as the report states it: its input and its layers."""
    return {
        "kind": "cnn",
        "input": {"height": input_shape[0], "width": input_shape[1], "channels": input_shape[2],
                  "scaling": "RGB / 255, in [0, 1]"},
        "blocks": [f"Conv2D({f}, {CONV_KERNEL}x{CONV_KERNEL}) + BatchNormalization + ReLU"
                   + (" + MaxPooling2D" if i < len(CONV_FILTERS) - 1 else "") for i, f in enumerate(CONV_FILTERS)],
        "head": f"GlobalAveragePooling2D + Dropout({CONV_DROPOUT:g}) + Dense(softmax)",
    }
