"""The image kind: a column of picture files, compared by what the pictures show.

Its cells are paths; its representations come from the decoded pictures
(:class:`~checks.images.table.ImageTable`, one a split in ``AuditData.images``):

- row hashes: the hash of the decoded pixels, so a byte copy or a lossless re-save of a
  picture is an exact duplicate (or leak) whatever its file name;
- neighbour space: a 16x16 grey copy at unit spread (brightness and contrast changes move it
  little) beside a 4x4 colour grid at a quarter of its weight, so near copies (resized,
  re-encoded, slightly cropped or brightened) lie close and different pictures far;
- out-of-fold inputs: the user's embeddings (``--embeddings``), else a joint colour
  histogram, a hue histogram and an 8x8 colour copy, what a shallow model can tell classes by
  without a network.

The kind is never guessed from text: the image loaders declare it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from checks.encoders.base import Block, ColumnFacts, Encoder, NetworkPart, register_encoder

if TYPE_CHECKING:
    from checks.base import AuditData
    from checks.images.table import ImageTable

COLOUR_WEIGHT = np.float32(0.25)


@register_encoder
class ImageEncoder(Encoder):
    """Paths of picture files, read once by the image loaders."""

    kind = "image"
    priority = 5
    scored_alone = False

    def values(self, data: "AuditData", column: str) -> dict[str, Any]:
        if data.images is None:
            raise ValueError(f"column {column!r} is declared of kind 'image' but no pictures were read; "
                             f"load image folders or give --image-column")
        return {split: data.images.tables[split] for split in data.splits}

    def claim(self, facts: ColumnFacts) -> str | None:
        return None

    def hash_keys(self, values: dict[str, "ImageTable"]) -> dict[str, pd.Series]:
        return {split: pd.Series(table.pixel_hash, index=table.rows) for split, table in values.items()}

    def neighbour_blocks(self, column: str, values: dict[str, "ImageTable"]) -> list[Block]:
        blocks = matrix_blocks(f"{column}__shape", column, {s: t.shape for s, t in values.items()})
        return blocks + matrix_blocks(f"{column}__colour", column,
                                      {s: t.colour * COLOUR_WEIGHT for s, t in values.items()})

    def model_blocks(self, column: str, values: dict[str, "ImageTable"]) -> list[Block]:
        return matrix_blocks(f"{column}__feature", column, {s: t.model_inputs for s, t in values.items()})

    def fit_network(self, column: str, train: pd.Series) -> NetworkPart:
        raise ValueError(f"column {column!r} holds pictures: the baseline network for tables cannot read them")


def matrix_blocks(prefix: str, source: str, matrices: dict[str, np.ndarray]) -> list[Block]:
    """One block a matrix column, named ``<prefix>_<j>``."""
    width = next(iter(matrices.values())).shape[1]
    return [Block(f"{prefix}_{j}", source, {split: m[:, j] for split, m in matrices.items()}) for j in range(width)]
