"""What the baseline network sees of pictures: each picture's colour histograms and 8x8 copy.

The baseline trains the same dense network on every input (see :mod:`audit.training`), so for
pictures it gets the numbers the out-of-fold model of label issues gets (the image kind's
model inputs, :mod:`checks.encoders.image`), one column each; a convolutional network on the
pixels is not among the baselines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.base import AuditData


def split_of(data: AuditData, frame: pd.DataFrame) -> str:
    """The split a (possibly fixed or relabelled) frame's rows come from: the one whose paths they carry."""
    column = next(c for c, kind in data.declared_kinds.items() if kind == "image")
    for split in data.splits:
        source = data.frames[split]
        if frame.index.isin(source.index).all() and (source[column].reindex(frame.index) == frame[column]).all():
            return split
    raise ValueError("the rows given to the baseline are not rows of the audited pictures")


def picture_features(data: AuditData, frame: pd.DataFrame) -> pd.DataFrame:
    """One row a picture of ``frame``: its model inputs as float columns ``picture_<j>``."""
    table = data.images.tables[split_of(data, frame)]
    position = pd.Series(np.arange(len(table)), index=table.rows)
    features = table.model_inputs[position.loc[frame.index].to_numpy()]
    return pd.DataFrame(features, index=frame.index, columns=[f"picture_{j}" for j in range(features.shape[1])])
