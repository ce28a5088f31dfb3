"""The user's embeddings of pictures (``--embeddings``): one ``.npy`` a split, a row a listed file.

Rows follow the split's listing (the sorted files of a class folder, the rows of a table, the
pictures of an array); a file that turned out unreadable keeps its row in the array. The
label-issue model and the baseline read them in place of the cheap picture features.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from audit.data import check_npy_declared_size
from audit.errors import InputError
from checks.base import AuditData


def read_embedding(path: Path, n_listed: int, split: str) -> np.ndarray:
    if not path.is_file() or path.suffix.lower() != ".npy":
        raise InputError(f"{path}: --embeddings takes one .npy file a split (train first), saved with numpy.save")
    check_npy_declared_size(path)
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise InputError(f"{path}: cannot be read as .npy without pickle ({error}); save a float array") from None
    if array.ndim != 2 or len(array) != n_listed or array.dtype.kind not in "fiu":
        raise InputError(f"{path}: has shape {array.shape} and dtype {array.dtype}; the {split} split lists "
                         f"{n_listed} files, so give {n_listed} rows of numbers, one a file in listing order")
    if not np.isfinite(array).all():
        raise InputError(f"{path}: holds NaN or infinite values; give finite numbers")
    return array.astype(np.float32)


def attach_embeddings(data: AuditData, paths: tuple[str, ...]) -> AuditData:
    """``data`` with each split's table carrying its rows of the user's embeddings."""
    if data.images is None:
        raise InputError("--embeddings gives vectors of pictures; the inputs are not pictures")
    if len(paths) != len(data.splits):
        raise InputError(f"--embeddings needs one .npy a split ({', '.join(data.splits)}, in that order); "
                         f"got {len(paths)}")
    tables = dict(data.images.tables)
    widths = set()
    for split, path in zip(data.splits, paths):
        array = read_embedding(Path(path), data.images.n_listed[split], split)
        widths.add(array.shape[1])
        tables[split] = replace(tables[split], embedding=array[tables[split].rows])
    if len(widths) > 1:
        raise InputError(f"--embeddings: the splits' vectors differ in length ({sorted(widths)}); give one length")
    data.images = replace(data.images, tables=tables)
    return data
