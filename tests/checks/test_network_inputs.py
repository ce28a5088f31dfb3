"""The baseline network's inputs: fitted on a training split, applied unchanged to the others.

Pinned to the stored matrices of the mixed table (``tests/checks/pins/network.npz``, made
by the baseline's own encoder before the seam existed; the baseline now encodes through
this seam, so the pins hold it to what it always did).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from checks.encoders import fit_network_inputs
from tests.checks.test_encoding_pins import LABEL, mixed_frames

PINS = Path(__file__).parent / "pins"


def network_splits():
    """The raw run (train -> val, reference) and a fixed run fitted on fewer train rows."""
    train, val = mixed_frames()
    features = [c for c in train.columns if c != LABEL]
    fixed_train = train.drop(index=range(0, 40, 3))
    reference = val.drop(index=[8, 9])
    return {"raw": (train[features], {"train": train[features], "val": val[features], "reference": reference[features]}),
            "fixed": (fixed_train[features], {"train": fixed_train[features], "val": val[features].iloc[2:]})}


def network_matrices() -> dict[str, np.ndarray]:
    found = {}
    for run, (train, splits) in network_splits().items():
        inputs = fit_network_inputs(train)
        for split, frame in splits.items():
            found[f"{run}_{split}"] = inputs.transform(frame, f"{run}_{split}")
    return found


def test_network_inputs_are_the_stored_ones():
    arrays = network_matrices()
    if os.environ.get("AUDIT_UPDATE_PINS") == "1":
        np.savez_compressed(PINS / "network.npz", **arrays)
    with np.load(PINS / "network.npz", allow_pickle=False) as stored:
        assert sorted(stored.files) == sorted(arrays)
        for key, array in arrays.items():
            assert array.dtype == np.float32 and np.array_equal(array, stored[key]), key


def test_numbers_lead_and_every_other_column_is_a_one_hot_of_its_top_train_values():
    train, val = mixed_frames()
    features = train.drop(columns=LABEL)
    inputs = fit_network_inputs(features)
    numbers = ["amount", "count", "flag", "nullable", "row_number", "shuffled_counter", "sparse_whole", "measure"]
    assert list(inputs.numbers.columns) == numbers
    assert [part.column for part in inputs.parts] == ["when", "when_zoned", "colour", "size", "grade", "code", "uuid"]
    assert inputs.names[:len(numbers)] == numbers
    uuid = next(part for part in inputs.parts if part.column == "uuid")
    assert uuid.width == 50                                         # capped: rare ids do not explode the width
    matrix = inputs.transform(val.drop(columns=LABEL), "val")
    colour = [j for j, name in enumerate(inputs.names) if name == "colour"]
    assert matrix[0, colour].sum() == 0 and matrix[1, colour].sum() == 0   # unseen and missing: no indicator
    amount = inputs.names.index("amount")
    assert matrix[10, amount] == matrix[20, amount] == matrix[25, amount]  # NaN, inf and -inf: the train median
    assert np.isfinite(matrix).all() and matrix.dtype == np.float32


UNUSABLE = {
    "missing column": "val: feature column(s) ['y'] are in the training split but missing here",
    "text in a number column": ("val: a column numeric in the training split holds non-numbers here "
                                "(could not convert string to float: 'two')"),
    "too large": ("val: 3 non-finite values would reach the network in column(s) ['x'] (values too large to "
                  "standardise); rescale or drop them"),
    "no columns": "val: no usable feature columns for the baseline",
}


def unusable(case: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A training split and another split the network cannot be given, for each way that happens."""
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "a"]})
    if case == "missing column":
        return train, train.drop(columns="y")
    if case == "text in a number column":
        return train, train.assign(x=["1", "two", "3"])
    if case == "too large":
        train = train.assign(x=[1e308, 1e308, 1.0])              # the mean overflows
        return train, train
    return train[[]], train[[]]


@pytest.mark.parametrize("case", UNUSABLE)
def test_unusable_inputs_are_refused_with_one_line_naming_the_split_and_columns(case):
    train, other = unusable(case)
    with pytest.raises(ValueError) as refused:
        fit_network_inputs(train).transform(other, "val")
    assert str(refused.value) == UNUSABLE[case]


def test_a_declared_kind_is_kept_when_fitting():
    train = pd.DataFrame({"code": [f"c{i}" for i in range(60)], "n": np.arange(60) % 7})
    inputs = fit_network_inputs(train, declared={"code": "identifier"})
    assert [(k.column, k.kind) for k in inputs.kinds] == [("code", "identifier"), ("n", "numeric")]
    assert inputs.kinds[0].reason == "declared identifier by the user"
