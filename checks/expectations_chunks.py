"""Validating a suite column chunk by column chunk, so its cost grows linearly with the columns.

great-expectations resolves each expectation's metrics against the whole batch it is given,
so one batch of every column costs about columns squared. Here the column expectations are
validated a chunk of columns at a time, each chunk on a frame of only its columns; the
expectations on the table, or on several columns, see the whole frame once. The outcomes
come back numbered as in the full suite, so nothing downstream can tell the difference.

A time budget bounds the whole: once it is spent, the chunks left are not validated, and
the result names their columns so the report says what was cut (the table-wide chunk and
the first chunk of columns always run).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from checks.expectations_suite import Outcome, validate

COLUMNS_PER_CHUNK = 50


def chunks_of(suite: dict[str, Any], columns_per_chunk: int = COLUMNS_PER_CHUNK) -> list[tuple[list[str] | None, list[int]]]:
    """(columns, positions of the expectations on them): the table-wide ones first, with None."""
    whole: list[int] = []
    by_column: dict[str, list[int]] = {}
    for position, spec in enumerate(suite.get("expectations", [])):
        column = (spec.get("kwargs") or {}).get("column") if isinstance(spec, Mapping) else None
        if isinstance(column, str):
            by_column.setdefault(column, []).append(position)
        else:
            whole.append(position)
    names = list(by_column)
    chunks: list[tuple[list[str] | None, list[int]]] = [(None, whole)] if whole else []
    for start in range(0, len(names), columns_per_chunk):
        columns = names[start:start + columns_per_chunk]
        chunks.append((columns, [p for c in columns for p in by_column[c]]))
    return chunks


@dataclass(frozen=True)
class ChunkedValidation:
    """Each split's outcomes and the refused expectations, numbered as in the suite, and the
    columns whose expectations the time budget left unvalidated (in suite order)."""

    outcomes: dict[str, list[Outcome]]
    invalid: list[Outcome]
    not_validated: list[str]


def validate_in_chunks(suite: dict[str, Any], frames: Mapping[str, pd.DataFrame], verbose: bool = False,
                       columns_per_chunk: int = COLUMNS_PER_CHUNK,
                       max_seconds: float | None = None) -> ChunkedValidation:
    """What :func:`checks.expectations_suite.validate` answers, validated chunk by chunk until
    ``max_seconds`` (None: no limit) have passed."""
    outcomes: dict[str, list[Outcome]] = {split: [] for split in frames}
    invalid: list[Outcome] = []
    not_validated: list[str] = []
    expectations = suite.get("expectations", [])
    started = time.monotonic()
    column_chunks_run = 0
    for columns, positions in chunks_of(suite, columns_per_chunk):
        if columns is not None and column_chunks_run and max_seconds is not None \
                and time.monotonic() - started > max_seconds:
            not_validated += columns
            continue
        column_chunks_run += columns is not None
        part = {**suite, "expectations": [expectations[p] for p in positions]}
        # A column missing from a split stays missing, so its expectation fails as it would on the whole.
        chunk_frames = {split: frame if columns is None else frame[[c for c in columns if c in frame.columns]]
                        for split, frame in frames.items()}
        found, refused = validate(part, chunk_frames, verbose)
        for split, split_outcomes in found.items():
            outcomes[split] += [replace(o, position=positions[o.position]) for o in split_outcomes]
        invalid += [replace(o, position=positions[o.position]) for o in refused]
    return ChunkedValidation({split: sorted(found, key=lambda o: o.position) for split, found in outcomes.items()},
                             sorted(invalid, key=lambda o: o.position), not_validated)
