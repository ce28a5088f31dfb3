"""What the baseline network sees of pictures: each picture's small RGB copy, and its cheap features.

The baseline trains its convolutional network (:mod:`audit.training.conv`) on the pictures'
RGB copies made when they were decoded; the diagnosis's dense experiments read the numbers the
out-of-fold model of label issues gets (the image kind's model inputs,
:mod:`checks.encoders.image`), one column each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.base import AuditData
from checks.images.table import ImageTable


def split_of(data: AuditData, frame: pd.DataFrame) -> str:
    """The split a (possibly fixed or relabelled) frame's rows come from: the one whose paths they carry."""
    column = next(c for c, kind in data.declared_kinds.items() if kind == "image")
    for split in data.splits:
        source = data.frames[split]
        if frame.index.isin(source.index).all() and (source[column].reindex(frame.index) == frame[column]).all():
            return split
    raise ValueError("the rows given to the baseline are not rows of the audited pictures")


def _table_positions(data: AuditData, frame: pd.DataFrame) -> tuple[ImageTable, np.ndarray]:
    """The table of ``frame``'s split, and the position in it of each of ``frame``'s rows."""
    table = data.images.tables[split_of(data, frame)]
    position = pd.Series(np.arange(len(table)), index=table.rows)
    return table, position.loc[frame.index].to_numpy()


def picture_features(data: AuditData, frame: pd.DataFrame) -> pd.DataFrame:
    """One row a picture of ``frame``: its model inputs as float columns ``picture_<j>``."""
    table, positions = _table_positions(data, frame)
    features = table.model_inputs[positions]
    return pd.DataFrame(features, index=frame.index, columns=[f"picture_{j}" for j in range(features.shape[1])])


def picture_pixels(data: AuditData, frame: pd.DataFrame) -> np.ndarray:
    """One small RGB copy (uint8) a picture of ``frame``, in its row order."""
    table, positions = _table_positions(data, frame)
    return table.pixels[positions]
