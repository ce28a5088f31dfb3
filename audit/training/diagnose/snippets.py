"""Remedies as code: a pasteable Keras recipe of the base network with the winning change.

A snippet is built from numbers the diagnosis measured and from the data's class labels;
labels are written into a comment only, quoted, escaped and shortened, so no label can
become code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.training.diagnose.plan import (
    BASE_LEARNING_RATE,
    DECAY_TO,
    PLATEAU_FACTOR,
    WARMUP_EPOCHS,
    BaseSetup,
    plateau_patience,
)
from audit.training.encoding import json_label


def snippet(setup: BaseSetup, *, widths: tuple[int, ...] | None = None, dropout: float | None = None,
            l2: float = 0.0, lr_mode: str = "constant", lr_factor: float = 1.0, patience: int | None = None,
            early_stopping: bool = False, class_weight: Mapping[int, float] | None = None,
            epochs: int | None = None, resample: bool = False) -> str:
    """A pasteable Keras recipe: the base network with the winning change, compiled and fitted.

    It expects ``x_train, y_train, x_val, y_val``: the encoded features (numbers
    standardised, categories one-hot) and class codes 0..K-1, as the baseline trains on
    (NumPy arrays, with ``np`` imported). ``resample`` first redraws the train rows so that
    every class has an equal share.
    """
    widths = widths or setup.widths
    dropout = setup.dropout if dropout is None else dropout
    epochs = epochs or setup.epochs
    regulariser = f", kernel_regularizer=keras.regularizers.L2({l2:g})" if l2 else ""
    lines = []
    if resample:
        lines += [
            "rng = np.random.default_rng(0)  # every class drawn with replacement to an equal share",
            f"share = len(y_train) // {setup.n_classes}",
            f"rows = np.concatenate([rng.choice(np.flatnonzero(y_train == c), share) for c in range({setup.n_classes})])",
            "x_train, y_train = x_train[rows], y_train[rows]",
            "",
        ]
    lines += ["model = keras.Sequential([", f"    keras.Input(shape=({setup.n_features},)),"]
    for width in widths:
        lines.append(f"    keras.layers.Dense({width}, activation=\"relu\"{regulariser}),")
        if dropout:
            lines.append(f"    keras.layers.Dropout({dropout:g}),")
    lines.append(f"    keras.layers.Dense({setup.n_classes}, activation=\"softmax\"{regulariser}),")
    lines.append("])")
    rate = BASE_LEARNING_RATE * (lr_factor if lr_mode == "constant" else 1.0)
    lines.append(f"model.compile(optimizer=keras.optimizers.Adam(learning_rate={rate:.2g}),")
    lines.append("              loss=\"sparse_categorical_crossentropy\", metrics=[\"accuracy\"])")
    callbacks = []
    if lr_mode == "decay":
        decay = DECAY_TO ** (1 / max(epochs - WARMUP_EPOCHS, 1))
        lines += [
            "",
            "def schedule(epoch, lr):  # warm start, then exponential decay",
            f"    if epoch < {WARMUP_EPOCHS}:",
            f"        return {rate:.2g} * (epoch + 1) / {WARMUP_EPOCHS}",
            f"    return {rate:.2g} * {decay:.4f} ** (epoch - {WARMUP_EPOCHS - 1})",
        ]
        callbacks.append("keras.callbacks.LearningRateScheduler(schedule)")
    if lr_mode == "plateau":
        callbacks.append(f"keras.callbacks.ReduceLROnPlateau(monitor=\"val_loss\", factor={PLATEAU_FACTOR:g}, "
                         f"patience={plateau_patience(setup.patience)})")
    if early_stopping:
        callbacks.append(f"keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience={patience}, "
                         "restore_best_weights=True)")
    weights_arg = ""
    if class_weight:
        labels = setup.classes
        pairs = ", ".join(f"{int(code)}: {weight:.3g}" for code, weight in sorted(class_weight.items()))
        names = ", ".join(f"{code}={_label_text(labels[code])}" for code in sorted(class_weight)[:4]
                          if code < len(labels))
        lines += ["", f"class_weight = {{{pairs}}}  # by class code: {names}{', ...' if len(class_weight) > 4 else ''}"]
        weights_arg = ", class_weight=class_weight"
    lines.append("")
    if callbacks:
        lines.append("callbacks = [")
        lines += [f"    {c}," for c in callbacks]
        lines.append("]")
    fit = (f"model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs={epochs}, "
           f"batch_size={setup.batch_size}{weights_arg}" + (", callbacks=callbacks" if callbacks else "") + ")")
    lines.append(fit)
    return "\n".join(lines) + "\n"


def conv_snippet(input_shape: tuple[int, ...], n_classes: int, epochs: int, batch_size: int, patience: int,
                 augment: bool = True) -> str:
    """A pasteable Keras recipe of the baseline's CNN, with the augmentation layers in front.

    It expects ``x_train, y_train, x_val, y_val``: pictures resized to the input size as
    float arrays (rows, height, width, 3) scaled to [0, 1], and class codes 0..K-1.
    """
    from audit.training.conv import AUGMENTATION, BATCHNORM_MOMENTUM, CONV_DROPOUT, CONV_FILTERS, CONV_KERNEL

    height, width, channels = input_shape
    lines = [f"inputs = keras.Input(shape=({height}, {width}, {channels}))  # RGB scaled to [0, 1]", "x = inputs"]
    if augment:
        lines += ["augment = keras.Sequential([",
                  *[f"    keras.layers.{name}({argument})," for name, argument in AUGMENTATION],
                  "])", "x = augment(x)  # active in training only"]
    lines += [
        f"for block, filters in enumerate({CONV_FILTERS!r}):",
        f"    x = keras.layers.Conv2D(filters, {CONV_KERNEL}, padding=\"same\", use_bias=False)(x)",
        f"    x = keras.layers.BatchNormalization(momentum={BATCHNORM_MOMENTUM:g})(x)",
        "    x = keras.layers.ReLU()(x)",
        f"    if block < {len(CONV_FILTERS) - 1}:",
        "        x = keras.layers.MaxPooling2D()(x)",
        "x = keras.layers.GlobalAveragePooling2D()(x)",
        f"x = keras.layers.Dropout({CONV_DROPOUT:g})(x)",
        f"outputs = keras.layers.Dense({n_classes}, activation=\"softmax\")(x)",
        "model = keras.Model(inputs, outputs)",
        f"model.compile(optimizer=keras.optimizers.Adam(learning_rate={BASE_LEARNING_RATE:.2g}),",
        "              loss=\"sparse_categorical_crossentropy\", metrics=[\"accuracy\"])",
        "",
        f"callbacks = [keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience={patience}, "
        "restore_best_weights=True)]",
        f"model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs={epochs}, batch_size={batch_size}, "
        "callbacks=callbacks)",
    ]
    return "\n".join(lines) + "\n"


def _label_text(label: Any) -> str:
    """A class label safe inside a Python comment: quoted, escaped, short."""
    label = json_label(label)
    text = repr(label if isinstance(label, (int, float)) else str(label))
    return text if len(text) <= 24 else text[:21] + "...'"
