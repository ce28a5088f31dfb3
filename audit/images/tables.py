"""Pictures listed in a table: a CSV or Parquet file with a column of paths and a label column.

Paths are relative to the table's own folder (``/`` or the system's separator); a path that
is absolute, climbs out of that folder or names a folder is refused with its reason, like a
file that cannot be decoded, and the audit goes on with the rest. Rows keep the table's
row numbers; other columns are not read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audit.errors import InputError
from audit.images.listing import Listed, bundle, leads_outside
from checks.base import AuditData

OUTSIDE_FOLDER = "leads out of the table's folder; paths are relative to the folder of the table"
NO_PATH = "the path cell is empty"


def listed_table(frame: pd.DataFrame, image_column: str, label: str) -> Listed:
    """The table's rows as listed files (paths as written, ``\\`` read as ``/``)."""
    root_free = frame[image_column].astype("string").str.strip().str.replace("\\", "/", regex=False)
    paths = [p if isinstance(p, str) else "" for p in root_free.tolist()]
    refused = {i: NO_PATH for i, p in enumerate(paths) if not p}
    return Listed(frame.index.tolist(), paths, frame[label].astype("string").tolist(), refused)


def load_image_tables(frames: dict[str, pd.DataFrame], sources: dict[str, Path], image_column: str, label: str,
                      max_pixels: int, random_state: int = 0) -> AuditData:
    """The bundle of pictures the tables list; ``frames`` were read from ``sources``."""
    listings = {}
    for split, frame in frames.items():
        if image_column not in frame.columns:
            raise InputError(f"{sources[split]}: --image-column {image_column!r} is not a column; "
                             f"name the column that holds the pictures' paths")
        root = sources[split].parent
        listed = listed_table(frame, image_column, label)
        for i, path in enumerate(listed.paths):
            if i not in listed.refused and (path.startswith("/") or leads_outside(root, path)):
                listed.refused[i] = OUTSIDE_FOLDER
        listings[split] = (root, listed)
    return bundle(listings, {split: str(path) for split, path in sources.items()}, image_column, label, max_pixels,
                  random_state)
