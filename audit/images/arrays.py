"""Pictures held in an ``.npz``: ``x_*`` arrays of shape ``(n, h, w)`` or ``(n, h, w, c)``.

Such arrays are pictures, not ``h x w`` unrelated columns: each becomes one row, named by its
array and position (``x_train[17]``), measured as a decoded file would be. Values are read
as 0-255 (floats in [0, 1] are scaled); one channel is grey, three RGB, four RGBA.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audit.errors import InputError
from checks.base import AuditData
from checks.images.decode import measure
from checks.images.table import ImageSet, ImageTable

PATH_COLUMN = "path"
MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def as_rgb(images: np.ndarray, path: Path, name: str) -> tuple[np.ndarray, str]:
    """The pictures as uint8 RGB (n, h, w, 3) and their original mode."""
    if images.dtype.kind not in "fiub":
        raise InputError(f"{path}: {name} holds {images.dtype} values; pictures need numbers")
    values = images.astype(np.float64)
    if values.size and np.nanmax(values) <= 1.0 and images.dtype.kind == "f":
        values = values * 255
    values = np.clip(np.nan_to_num(values), 0, 255).astype(np.uint8)
    if values.ndim == 3:
        values = values[..., None]
    mode = MODES[values.shape[3]]
    if values.shape[3] == 1:
        values = np.repeat(values, 3, axis=3)
    return np.ascontiguousarray(values[..., :3]), mode


def load_image_arrays(path: Path, arrays: dict[str, np.ndarray], label: str, max_pixels: int,
                      random_state: int = 0) -> AuditData:
    """The bundle of the pictures in ``arrays`` (read from ``path``), one row a picture."""
    import pandas as pd

    frames, tables = {}, {}
    for split in ("train", "val"):
        if f"x_{split}" not in arrays:
            continue
        x, y = arrays[f"x_{split}"], arrays.get(f"y_{split}")
        if y is None or len(x) != len(y) or y.ndim != 1:
            raise InputError(f"{path}: x_{split} has {len(x)} pictures but y_{split} is missing or has another "
                             f"length or shape")
        pixels, mode = as_rgb(x, path, f"x_{split}")
        height, width = pixels.shape[1:3]
        if height * width > max_pixels:
            raise InputError(f"{path}: x_{split} holds {width}x{height} pictures, over the limit of {max_pixels:,} "
                             f"pixels (--max-image-pixels)")
        names = [f"x_{split}[{i}]" for i in range(len(x))]
        decoded = [measure(picture, width, height, mode, "array", picture.nbytes) for picture in pixels]
        tables[split] = ImageTable.of(range(len(x)), names, decoded)
        frames[split] = pd.DataFrame({PATH_COLUMN: pd.array(names, dtype="string"),
                                      label: pd.array([str(v) for v in y], dtype="string")})
    data = AuditData(frames=frames, label=label, sources={split: str(path) for split in frames},
                     random_state=random_state)
    data.images = ImageSet({split: str(path) for split in frames}, tables, [], {s: len(f) for s, f in frames.items()},
                           max_pixels)
    data.declared_kinds = {PATH_COLUMN: "image"}
    return data
