"""data_quality validated a chunk of columns at a time answers exactly as one whole batch does."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.data import Roles, from_frames
from checks.expectations_chunks import chunks_of, validate_in_chunks
from checks.expectations_suite import inferred_suite, validate


def drifting_pair(n_columns: int = 12):
    """Train and val with a missing column in val, a type change, values out of range and new categories."""
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.integers(0, 5, (30, n_columns)), columns=[f"c{i}" for i in range(n_columns)])
    train["kind"] = ["a", "b", "c"] * 10
    train["y"] = ["x", "z"] * 15
    val = train.iloc[:10].copy()
    val["c0"] = 1000
    val["c1"] = "text"
    val["kind"] = "new"
    return from_frames(train, val, Roles("y"))


def test_chunks_cover_every_expectation_once_with_table_ones_whole():
    suite = inferred_suite(drifting_pair())
    chunks = chunks_of(suite, columns_per_chunk=4)
    positions = sorted(p for _, found in chunks for p in found)
    assert positions == list(range(len(suite["expectations"])))
    assert chunks[0][0] is None and all(len(columns) <= 4 for columns, _ in chunks[1:])


def test_chunked_outcomes_equal_the_whole_batch():
    data = drifting_pair()
    suite = inferred_suite(data)
    suite["expectations"].append({"type": "expect_column_to_exist", "kwargs": {"column": "gone"}})
    suite["expectations"].append({"type": "expect_no_such_thing", "kwargs": {"column": "c2"}})
    frames = {split: data.frames[split] for split in data.splits}
    whole = validate(suite, frames)
    chunked = validate_in_chunks(suite, frames, columns_per_chunk=3)
    assert chunked == whole
    failed = {(o.kind, o.column) for o in chunked[0]["val"] if not o.success}
    assert ("expect_column_values_to_be_between", "c0") in failed and ("expect_column_to_exist", "gone") in failed
