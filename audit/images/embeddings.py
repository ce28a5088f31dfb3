"""What the label-issue model reads of pictures: the user's embeddings, a pretrained network's, or neither.

In this order: the user's (``--embeddings``, one file a split); else MobileNetV3Small's when
its weights are in the Keras cache (``--image-model``, :mod:`audit.images.pretrained`); else
the built-in colour features, beside which (``--image-model auto``) a small CNN trained by
cross-validation within ``--cnn-budget`` competes (:mod:`audit.images.cnn`).
``data.images.inputs`` says which, for the report.

The user's file is an ``.npy`` with a row a listed file in the split's listing order (the
sorted files of a class folder, the rows of a table, the pictures of an array; a file that
turned out unreadable keeps its row), or a Parquet file of path and vector matched to the
listed files by path (:mod:`audit.images.vector_table`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from audit.data import ReadOptions, check_npy_declared_size
from audit.errors import InputError
from audit.images.cnn import attach_small_cnn
from audit.images.pretrained import AUTO, IMAGE_MODELS, MOBILENET_V3_SMALL, attach_pretrained
from audit.images.vector_table import matched_vectors, read_vector_table
from audit.progress import Progress, no_progress
from audit.readers import DEFAULT_MAX_BYTES
from checks.base import AuditData
from checks.images.table import ImageSet, PictureInputs

SUFFIXES = (".npy", ".parquet")


def attach_picture_inputs(data: AuditData, options: ReadOptions, progress: Progress = no_progress) -> AuditData:
    """``data`` with the vectors the label-issue model should read of its pictures, if any."""
    if options.image_model not in IMAGE_MODELS:
        raise InputError(f"image model {options.image_model!r} is not one of {', '.join(IMAGE_MODELS)}")
    if options.embeddings:
        if options.image_model == MOBILENET_V3_SMALL:
            raise InputError(f"--embeddings and --image-model {MOBILENET_V3_SMALL} both give the pictures' vectors; "
                             f"give one of them")
        return attach_embeddings(data, options.embeddings, options.max_bytes)
    if data.images is None:
        if options.image_model == MOBILENET_V3_SMALL:
            raise InputError(f"--image-model {MOBILENET_V3_SMALL} embeds pictures; the inputs are not pictures")
        return data
    data = attach_pretrained(data, options.image_model, progress)
    if options.image_model == AUTO and data.images.inputs.source == "built_in":
        attach_small_cnn(data, options.cnn_budget_s, progress)
    return data


def read_embedding(path: Path, n_listed: int, split: str) -> np.ndarray:
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


def split_vectors(images: ImageSet, split: str, path: Path, max_bytes: int) -> np.ndarray:
    """The vectors of ``split``'s readable pictures, in its table's order, from the user's file."""
    if not path.is_file() or path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: --embeddings takes one file a split (train first): an .npy saved with numpy.save, "
                         f"or a Parquet file of path and vector")
    table = images.tables[split]
    if path.suffix.lower() == ".npy":
        return read_embedding(path, images.n_listed[split], split)[table.rows]
    listed = set(table.paths.tolist()) | {f.path for f in images.unreadable if f.split == split}
    return matched_vectors(path, read_vector_table(path, max_bytes), table.paths.tolist(), listed, split,
                           images.roots[split])


def attach_embeddings(data: AuditData, paths: tuple[str, ...], max_bytes: int = DEFAULT_MAX_BYTES) -> AuditData:
    """``data`` with each split's table carrying its rows of the user's embeddings."""
    if data.images is None:
        raise InputError("--embeddings gives vectors of pictures; the inputs are not pictures")
    if len(paths) != len(data.splits):
        raise InputError(f"--embeddings needs one file a split ({', '.join(data.splits)}, in that order); "
                         f"got {len(paths)}")
    tables = dict(data.images.tables)
    widths = set()
    for split, path in zip(data.splits, paths):
        array = split_vectors(data.images, split, Path(path), max_bytes)
        widths.add(array.shape[1])
        tables[split] = replace(tables[split], embedding=array)
    if len(widths) > 1:
        raise InputError(f"--embeddings: the splits' vectors differ in length ({sorted(widths)}); give one length")
    names = ", ".join(Path(p).name for p in paths)
    inputs = PictureInputs("user", f"your embeddings ({names}; {widths.pop()} numbers a picture)")
    data.images = replace(data.images, tables=tables, inputs=inputs)
    return data
