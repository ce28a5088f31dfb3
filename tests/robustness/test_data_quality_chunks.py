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
    assert (chunked.outcomes, chunked.invalid) == whole and chunked.not_validated == []
    failed = {(o.kind, o.column) for o in chunked.outcomes["val"] if not o.success}
    assert ("expect_column_values_to_be_between", "c0") in failed and ("expect_column_to_exist", "gone") in failed


def test_a_spent_time_budget_stops_after_the_first_chunk_of_columns_and_names_the_rest():
    data = drifting_pair()
    suite = inferred_suite(data)
    frames = {split: data.frames[split] for split in data.splits}
    cut = validate_in_chunks(suite, frames, columns_per_chunk=4, max_seconds=0.0)
    chunks = chunks_of(suite, columns_per_chunk=4)
    first_columns = chunks[1][0]
    assert cut.not_validated == [c for columns, _ in chunks[2:] for c in columns]
    validated = {o.column for o in cut.outcomes["val"] if o.column is not None}
    assert validated == set(first_columns)


def test_the_summary_says_what_the_time_budget_cut_and_warns():
    from checks import Severity
    from checks.expectations import DataQuality

    data = drifting_pair(n_columns=120)
    findings = DataQuality(max_seconds=0.0).run(data)
    (summary,) = [f for f in findings if f.metrics["kind"] == "summary"]
    assert summary.severity == Severity.WARN
    skipped = summary.metrics["not_validated_columns"]
    assert len(skipped) > 60 and "c119" in skipped and "c0" not in skipped
    assert "time budget" in summary.message and "max_seconds" in summary.message
    whole = DataQuality().run(data)
    (full,) = [f for f in whole if f.metrics["kind"] == "summary"]
    assert full.severity == Severity.INFO and full.metrics["not_validated_columns"] == []
