"""The baseline network's inputs: fitted on a training split, applied unchanged to the others."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

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


def baseline_matrices() -> dict[str, np.ndarray]:
    from audit.baseline import _encode, _fit_encoder

    found = {}
    for run, (train, splits) in network_splits().items():
        encoder = _fit_encoder(train)
        for split, frame in splits.items():
            found[f"{run}_{split}"] = _encode(encoder, frame, f"{run}_{split}")
    return found


def test_the_stored_network_inputs_are_what_the_baseline_encoder_gives():
    arrays = baseline_matrices()
    if os.environ.get("AUDIT_UPDATE_PINS") == "1":
        np.savez(PINS / "network.npz", **arrays)
    with np.load(PINS / "network.npz", allow_pickle=False) as stored:
        assert sorted(stored.files) == sorted(arrays)
        for key, array in arrays.items():
            assert array.dtype == np.float32 and np.array_equal(array, stored[key]), key
