"""The encoded feature matrices: every split's features as one float32 array, computed once per audit.

Checks that compare rows by distance (near duplicates, near leakage) read the neighbour space
(:func:`encoded_features`); models that need numbers (out-of-fold probabilities for label
issues) read :func:`model_inputs`, which is the same matrix unless a column kind gives the
model inputs of its own. Both are assembled column by column from each column's encoder
(:mod:`checks.encoders`; :mod:`checks.encoders.tabular` says how numbers and categories are
scaled), in column order, and a column its encoder gives no block is listed in
:attr:`EncodedFeatures.dropped` with the reason of its kind.

The result depends only on the data (no randomness), and is float32 to halve its memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from checks.base import AuditData
from checks.encoders import Block, Encoder, column_kinds, encoder_for

# Candidate pairs measured in one step of :func:`pair_distances`.
PAIR_BLOCK = 16_384

BlockMaker = Callable[[Encoder, str, dict[str, pd.Series]], list[Block]]


@dataclass(frozen=True)
class EncodedFeatures:
    """The encoded matrices per split, the name of each matrix column, and what was left out.

    ``matrices[split]`` has one row per row of ``data.frames[split]``, in the same order, so
    position ``i`` of the matrix is the frame's ``index[i]`` (its data-row number).
    ``sources`` maps each encoded column to the input column it came from; ``dropped`` lists
    ``{"column", "reason"}`` for every feature column that is not in the matrix.
    """

    matrices: dict[str, np.ndarray]
    columns: list[str]
    sources: list[str]
    dropped: list[dict[str, str]] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        return len(self.columns)


def encoded_features(data: AuditData) -> EncodedFeatures:
    """The shared neighbour space of ``data`` (computed on first use, then cached)."""
    return data.shared("encoded_features", encode_features)


def encode_features(data: AuditData) -> EncodedFeatures:
    """Encode ``data``'s feature columns; prefer :func:`encoded_features`, which caches."""
    return assemble(data, lambda encoder, column, values: encoder.neighbour_blocks(column, values))


def model_inputs(data: AuditData) -> EncodedFeatures:
    """The out-of-fold model's inputs: the neighbour space, unless a kind has inputs of its own."""
    return data.shared("model_inputs", _model_inputs)


def _model_inputs(data: AuditData) -> EncodedFeatures:
    own = {column: encoder.model_blocks(column, values) for column, encoder, values in _columns(data)}
    if all(blocks is None for blocks in own.values()):
        return encoded_features(data)
    return assemble(data, lambda encoder, column, values: (own[column] if own[column] is not None
                                                           else encoder.neighbour_blocks(column, values)))


def _columns(data: AuditData) -> list[tuple[str, Encoder, dict[str, pd.Series]]]:
    kinds = column_kinds(data)
    encoders = {column: encoder_for(kinds[column].kind) for column in data.feature_columns}
    return [(column, encoder, encoder.values(data, column)) for column, encoder in encoders.items()]


def assemble(data: AuditData, blocks_of: BlockMaker) -> EncodedFeatures:
    """One matrix a split from each feature column's blocks, in column order."""
    kinds = column_kinds(data)
    blocks: list[Block] = []
    dropped: list[dict[str, str]] = []
    for column, encoder, values in _columns(data):
        encoded = blocks_of(encoder, column, values)
        if not encoded:
            dropped.append({"column": str(column), "reason": kinds[column].reason})
        blocks.extend(encoded)
    matrices = {}
    for split in data.splits:
        matrix = np.empty((len(data.frames[split]), len(blocks)), dtype=np.float32)
        for j, block in enumerate(blocks):
            matrix[:, j] = block.arrays[split]
        matrices[split] = matrix
    return EncodedFeatures(matrices=matrices, columns=[b.name for b in blocks], sources=[b.source for b in blocks],
                           dropped=dropped)


def pair_distances(left: np.ndarray, left_pos: np.ndarray, right: np.ndarray, right_pos: np.ndarray) -> np.ndarray:
    """Distance of each pair (``left[left_pos[i]]``, ``right[right_pos[i]]``), a block of pairs at a time.

    Near checks verify millions of candidate pairs: gathering both sides of all of them at once
    would hold two copies of the rows' vectors per pair.
    """
    result = np.empty(len(left_pos), dtype=np.float64)
    for start in range(0, len(left_pos), PAIR_BLOCK):
        block = slice(start, start + PAIR_BLOCK)
        difference = left[left_pos[block]].astype(np.float64) - right[right_pos[block]]
        result[block] = np.sqrt(np.einsum("ij,ij->i", difference, difference))
    return result
