"""Every image of a split decoded once, as arrays aligned with the split's rows.

:func:`decode_files` decodes a list of files (in two processes when there are many; the
order of the result never depends on it) into an :class:`ImageTable` of the readable ones and
the :class:`~checks.images.decode.Unreadable` reasons of the rest. An audit holds one table
a split in :class:`ImageSet` (``AuditData.images``); the image encoder and the image checks
read it, never the files again.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checks.images.decode import (
    COLOUR_GRID,
    N_FEATURES,
    NETWORK_SIDE,
    SHAPE_SIDE,
    DecodedImage,
    Unreadable,
    decode_image,
)

DEFAULT_MAX_IMAGE_PIXELS = 89_478_485  # Pillow's own decompression-bomb limit
# Below this many files a second process costs more than it saves.
PARALLEL_MIN_FILES = 400
CHUNK = 128


@dataclass(frozen=True)
class ImageTable:
    """The facts of a split's readable images, one row a picture, in the split's row order.

    ``model_inputs`` are what a model that tells classes apart reads: embeddings when there are
    any (the user's, or a pretrained network's), else the cheap ``features``.
    """

    rows: np.ndarray
    paths: np.ndarray
    width: np.ndarray
    height: np.ndarray
    mode: np.ndarray
    format: np.ndarray
    file_bytes: np.ndarray
    jpeg_quality: np.ndarray
    pixel_hash: np.ndarray
    dhash: np.ndarray
    shape: np.ndarray
    colour: np.ndarray
    features: np.ndarray
    pixels: np.ndarray
    """Each picture's small RGB copy (n, NETWORK_SIDE, NETWORK_SIDE, 3), uint8: the CNN's input."""
    brightness: np.ndarray
    dark_share: np.ndarray
    bright_share: np.ndarray
    contrast: np.ndarray
    sharpness: np.ndarray
    colourfulness: np.ndarray
    embedding: np.ndarray | None = None
    """Each picture's vector (the user's ``--embeddings`` or a pretrained network's), or None."""

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def model_inputs(self) -> np.ndarray:
        return self.features if self.embedding is None else self.embedding

    @classmethod
    def of(cls, rows: Sequence[int], paths: Sequence[str], decoded: Sequence[DecodedImage]) -> "ImageTable":
        def column(name: str, dtype) -> np.ndarray:
            return np.array([getattr(d, name) for d in decoded], dtype=dtype)

        def stacked(name: str, width: int) -> np.ndarray:
            if not decoded:
                return np.zeros((0, width), dtype=np.float32)
            return np.stack([getattr(d, name) for d in decoded]).astype(np.float32)

        return cls(
            rows=np.asarray(rows, dtype=np.int64), paths=np.asarray(paths, dtype=object),
            width=column("width", np.int64), height=column("height", np.int64),
            mode=column("mode", object), format=column("format", object),
            file_bytes=column("file_bytes", np.int64), jpeg_quality=column("jpeg_quality", np.int64),
            pixel_hash=column("pixel_hash", np.uint64), dhash=column("dhash", np.uint64),
            shape=stacked("shape", SHAPE_SIDE * SHAPE_SIDE), colour=stacked("colour", COLOUR_GRID * COLOUR_GRID * 3),
            features=stacked("features", N_FEATURES),
            pixels=(np.stack([d.pixels for d in decoded]) if decoded
                    else np.zeros((0, NETWORK_SIDE, NETWORK_SIDE, 3), dtype=np.uint8)),
            brightness=column("brightness", np.float64), dark_share=column("dark_share", np.float64),
            bright_share=column("bright_share", np.float64), contrast=column("contrast", np.float64),
            sharpness=column("sharpness", np.float64), colourfulness=column("colourfulness", np.float64),
        )


@dataclass(frozen=True)
class UnreadableFile:
    """A listed file that could not be decoded: its split, row, path and the reason."""

    split: str
    row: int
    path: str
    reason: str


BUILT_IN_INPUTS = "colour histograms, a hue histogram and 8x8 colour copies"


@dataclass(frozen=True)
class PictureInputs:
    """What the out-of-fold model of label issues reads of the pictures, said in the report.

    ``source`` is ``built_in`` (the cheap ``features``), ``user`` (``--embeddings``) or
    ``pretrained`` (a Keras application's embeddings); ``described`` names them in words;
    ``note`` says why a preferred source was passed over, and ``remedy`` how to use it.
    """

    source: str = "built_in"
    described: str = BUILT_IN_INPUTS
    note: str | None = None
    remedy: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"source": self.source, "described": self.described, "note": self.note, "remedy": self.remedy}


@dataclass(frozen=True)
class NetworkProbabilities:
    """A network's class probabilities of every picture: one more candidate model of label issues.

    Checks never train Keras, so the network is trained outside them, on first use, by the
    ``network`` function of :class:`ImageSet`. ``pred_probs[split]`` holds a row a row of the
    split's frame and a column a train label (sorted as out-of-fold models sort them): train's
    from stratified cross-validation, each row from the fold model that never saw it; val's
    the average of the fold models. ``skipped`` says why no network was trained (then
    ``pred_probs`` is empty); ``described`` names the network, its inputs and its plan.
    """

    model: str
    described: str
    pred_probs: dict[str, np.ndarray] = field(default_factory=dict)
    n_folds: int | None = None
    skipped: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "described": self.described, "n_folds": self.n_folds,
                "skipped": self.skipped, "notes": list(self.notes)}


@dataclass(frozen=True)
class ImageSet:
    """The images of an audit: where each split's files live, their facts, the files that failed.

    ``roots[split]`` is the folder paths are relative to; ``n_listed[split]`` counts every file
    listed, readable or not; ``inputs`` says what the tables' ``model_inputs`` hold.
    ``network(data, n_folds)``, when set, trains a network on the pictures and gives its
    :class:`NetworkProbabilities` (out-of-fold models call it only when they need it).
    """

    roots: dict[str, str]
    tables: dict[str, ImageTable]
    unreadable: list[UnreadableFile] = field(default_factory=list)
    n_listed: dict[str, int] = field(default_factory=dict)
    max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    inputs: PictureInputs = PictureInputs()
    network: Callable[[Any, int], NetworkProbabilities] | None = None


def decode_files(root: str, paths: Sequence[str], max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
                 workers: int | None = None) -> list[DecodedImage | Unreadable]:
    """Decode ``paths`` (relative to ``root``, ``/``-separated), in order."""
    full = [os.path.join(root, *p.split("/")) for p in paths]
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    # A fork of a process that already runs TensorFlow's threads can hang: decode in this one.
    if workers <= 1 or len(full) < PARALLEL_MIN_FILES or "tensorflow" in sys.modules:
        return [decode_image(p, max_pixels) for p in full]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [full[i:i + CHUNK] for i in range(0, len(full), CHUNK)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = pool.map(_decode_chunk, chunks, [max_pixels] * len(chunks))
        return [item for chunk in results for item in chunk]


def _decode_chunk(paths: list[str], max_pixels: int) -> list[DecodedImage | Unreadable]:
    return [decode_image(p, max_pixels) for p in paths]


def split_table(split: str, rows: Sequence[int], paths: Sequence[str],
                results: Sequence[DecodedImage | Unreadable]) -> tuple[ImageTable, list[UnreadableFile]]:
    """The readable results as a table, the others as unreadable files."""
    keep = [i for i, r in enumerate(results) if isinstance(r, DecodedImage)]
    failed = [UnreadableFile(split, int(rows[i]), paths[i], r.reason)
              for i, r in enumerate(results) if isinstance(r, Unreadable)]
    table = ImageTable.of([rows[i] for i in keep], [paths[i] for i in keep], [results[i] for i in keep])
    return table, failed
