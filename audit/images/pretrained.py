"""Pictures' embeddings from a pretrained Keras application: MobileNetV3Small without its top.

Its ImageNet weights are read from the cache Keras fills when it downloads them
(``$KERAS_HOME/models``, else ``~/.keras/models``), under the file name Keras gives them. An
audit never downloads: where the file is missing it says so and the label-issue model reads
the built-in colour features instead (``--image-model auto``), or refuses to start
(``--image-model mobilenet_v3_small``). A file whose checksum is not the published ImageNet
file's is still loaded, and the report names the file rather than calling it ImageNet.

The network sees each picture's small RGB copy (the one the baseline trains on), scaled up to
``INPUT_SIDE``; its global average pooling gives one vector a picture.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from audit.errors import InputError
from audit.progress import Progress, no_progress
from checks.base import AuditData
from checks.images.table import BUILT_IN_INPUTS, PictureInputs

AUTO = "auto"
MOBILENET_V3_SMALL = "mobilenet_v3_small"
NONE = "none"
IMAGE_MODELS = (AUTO, MOBILENET_V3_SMALL, NONE)

# The names and checksum keras.applications.MobileNetV3Small(include_top=False, weights="imagenet")
# uses for its cached file (keras/src/applications/mobilenet_v3.py, alpha 1.0, not minimalistic).
WEIGHTS_FILE = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
IMAGENET_MD5 = "d3e8ec802a04aa4fc771ee12a9a9b836"
FETCH_COMMAND = ("python -c \"import keras; keras.applications.MobileNetV3Small(include_top=False, "
                 "weights='imagenet')\"")
INPUT_SIDE = 96  # the smallest size ImageNet weights were published for
BATCH = 128
CHUNK = 4096  # pictures converted to floats at a time, so memory stays flat on large sets


def keras_cache() -> Path:
    """The folder Keras downloads weights to: ``$KERAS_HOME/models``, else ``~/.keras/models``
    (``/tmp/.keras/models`` when the home folder cannot be written), as Keras decides it."""
    home = os.environ.get("KERAS_HOME")
    if home is None:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    return Path(home).expanduser() / "models"


def is_imagenet_file(path: Path) -> bool:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == IMAGENET_MD5


def mobilenet_embedder(weights: Path):
    """A Keras model from small RGB copies (0-255) to MobileNetV3Small's pooled features."""
    import keras

    from checks.images.decode import NETWORK_SIDE

    base = keras.applications.MobileNetV3Small(input_shape=(INPUT_SIDE, INPUT_SIDE, 3), include_top=False,
                                               pooling="avg", weights=str(weights))
    inputs = keras.Input((NETWORK_SIDE, NETWORK_SIDE, 3))
    return keras.Model(inputs, base(keras.layers.Resizing(INPUT_SIDE, INPUT_SIDE)(inputs), training=False))


def embed(model, pixels: np.ndarray) -> np.ndarray:
    parts = [model.predict(pixels[i:i + CHUNK].astype(np.float32), batch_size=BATCH, verbose=0)
             for i in range(0, len(pixels), CHUNK)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 0), dtype=np.float32)


def fallback_inputs(reason: str) -> PictureInputs:
    return PictureInputs("built_in", BUILT_IN_INPUTS, f"not MobileNetV3Small: {reason}",
                         f"to use MobileNetV3Small, run once where there is network: {FETCH_COMMAND}")


def attach_pretrained(data: AuditData, image_model: str = AUTO, progress: Progress = no_progress) -> AuditData:
    """``data`` with MobileNetV3Small's embedding of every readable picture, when its weights are cached.

    ``auto`` falls back to the built-in features (and says why in ``data.images.inputs``) when
    the weights are missing or cannot be loaded; ``mobilenet_v3_small`` refuses to go on.
    """
    if image_model == NONE:
        data.images = replace(data.images, inputs=PictureInputs(described=f"{BUILT_IN_INPUTS} (--image-model none)"))
        return data
    weights = keras_cache() / WEIGHTS_FILE
    if not weights.is_file():
        reason = f"no pretrained weights in the Keras cache ({weights}) and an audit never downloads"
        if image_model == MOBILENET_V3_SMALL:
            raise InputError(f"--image-model {MOBILENET_V3_SMALL}: {reason}; run once where there is network: "
                             f"{FETCH_COMMAND} (or set KERAS_HOME to the folder holding models/{WEIGHTS_FILE})")
        data.images = replace(data.images, inputs=fallback_inputs(reason))
        return data
    progress("embedding the pictures with MobileNetV3Small")
    try:
        model = mobilenet_embedder(weights)
    except (ValueError, OSError) as error:  # a damaged or foreign file in the cache
        reason = f"the cached weights {weights} cannot be loaded ({type(error).__name__}: {error})"
        if image_model == MOBILENET_V3_SMALL:
            raise InputError(f"--image-model {MOBILENET_V3_SMALL}: {reason}; delete the file and fetch it again: "
                             f"{FETCH_COMMAND}") from None
        data.images = replace(data.images, inputs=fallback_inputs(reason))
        return data
    tables = {split: replace(table, embedding=embed(model, table.pixels))
              for split, table in data.images.tables.items()}
    width = next(iter(tables.values())).embedding.shape[1]
    origin = ("ImageNet weights from the Keras cache" if is_imagenet_file(weights)
              else f"weights from {weights}, whose checksum is not the published ImageNet file's")
    inputs = PictureInputs("pretrained", f"MobileNetV3Small embeddings ({origin}; {width} numbers a picture, "
                                         f"pictures scaled to {INPUT_SIDE} px)")
    data.images = replace(data.images, tables=tables, inputs=inputs)
    return data
