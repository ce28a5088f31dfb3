"""Every shared representation of a mixed table, against a stored copy.

The encoded matrix (near duplicates, near leakage), the row hashes (exact checks), the rows
the neighbour graph keeps, the out-of-fold probabilities (label issues) and the baseline
network's inputs of one table holding every column kind the loaders produce: numbers with
missing and infinite values, booleans, nullable integers, dates with and without a zone,
small categoricals with values train lacks, a pandas categorical, numbers written as text in
one split, high-cardinality codes, text ids, row counters. Restructuring the encoders must
leave each of them bit for bit as stored in ``tests/checks/pins/``; a change meant to alter
an encoding rewrites the copies with ``AUDIT_UPDATE_PINS=1 pytest tests/checks/test_encoding_pins.py``
and says why in its commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from checks.base import AuditData
from checks.features import encode_features
from checks.hashing import feature_hashes, hashed_columns, left_out
from checks.neighbours import neighbour_graph
from checks.oof import out_of_fold_probabilities

PINS = Path(__file__).parent / "pins"
LABEL = "label"
N_TRAIN, N_VAL = 120, 40


def mixed_frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and val with every column kind, missing values, unseen categories and infinities."""
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_VAL
    amount = rng.normal(100, 20, n).round(2)
    amount[[3, 50, 130]] = np.nan
    amount[[7, 140]] = np.inf
    amount[145] = -np.inf
    when = pd.Series(pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"))
    when[[5, 135]] = pd.NaT
    frame = pd.DataFrame({
        "amount": amount,
        "count": rng.integers(0, 6, n),
        "flag": rng.integers(0, 2, n).astype(bool),
        "nullable": pd.array([None if i % 17 == 0 else int(i % 9) for i in range(n)], dtype="Int64"),
        "when": when,
        "when_zoned": (pd.Timestamp("2024-01-01", tz="Europe/Paris")
                       + pd.to_timedelta(rng.integers(0, 5000, n), unit="min")),
        "colour": rng.choice(["red", "green", "blue"], n).astype(object),
        "size": rng.choice(["1", "2", "x"], n).astype(object),
        "grade": pd.Categorical(rng.choice(["low", "mid", "high"], n)),
        "code": [f"k{int(v)}" for v in rng.integers(0, 70, n)],
        "uuid": [f"u-{i * 7919 % 100003:06d}" for i in range(n)],
        "row_number": np.arange(n),
        "shuffled_counter": rng.permutation(n) + 1000,
        "sparse_whole": rng.choice(np.arange(0, 100_000, 37), n, replace=False).astype(float),
        "measure": rng.standard_normal(n),
        LABEL: rng.choice(["a", "b", "c"], n),
    })
    train = frame.iloc[:N_TRAIN].reset_index(drop=True)
    val = frame.iloc[N_TRAIN:].reset_index(drop=True)
    val.loc[[0, 1], "colour"] = ["purple", None]
    val.loc[2, "grade"] = np.nan
    source = int(np.flatnonzero(train["size"].isin(["1", "2"]))[0])
    val.iloc[8] = train.iloc[source]                                 # an exact leak
    val.loc[9, "measure"] = train.loc[11, "measure"] + 1e-3          # a near one
    sizes = rng.choice([1.0, 2.0, np.nan], N_VAL)                    # numbers in val, text in train
    sizes[8] = float(train.loc[source, "size"])
    val["size"] = sizes
    return train, val


def bundle(train: pd.DataFrame, val: pd.DataFrame) -> AuditData:
    return AuditData(frames={"train": train, "val": val}, label=LABEL)


def representations() -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the names of every representation of the mixed pair."""
    train, val = mixed_frames()
    data = bundle(train, val)
    encoded = encode_features(data)
    hashes = feature_hashes(data)
    graph = neighbour_graph(data)
    oof = out_of_fold_probabilities(data, "extra_trees", 3)
    arrays = {f"matrix_{s}": encoded.matrices[s] for s in data.splits}
    arrays |= {f"hash_{s}": hashes[s].to_numpy() for s in data.splits}
    arrays |= {f"distinct_{s}": graph.distinct[s] for s in data.splits}
    arrays |= {f"oof_{s}": oof.pred_probs[s] for s in data.splits}
    names = {"columns": encoded.columns, "sources": encoded.sources, "dropped": encoded.dropped,
             "hashed_columns": hashed_columns(data), "left_out": list(left_out(data))}
    return arrays, names


def test_encoded_matrices_hashes_and_out_of_fold_inputs_are_the_stored_ones():
    arrays, names = representations()
    if os.environ.get("AUDIT_UPDATE_PINS") == "1":
        PINS.mkdir(exist_ok=True)
        np.savez_compressed(PINS / "representations.npz", **arrays)
        (PINS / "representations.json").write_text(json.dumps(names, indent=1) + "\n", encoding="utf-8")
    stored_names = json.loads((PINS / "representations.json").read_text(encoding="utf-8"))
    assert names == stored_names
    with np.load(PINS / "representations.npz", allow_pickle=False) as stored:
        assert sorted(stored.files) == sorted(arrays)
        for key, array in arrays.items():
            assert array.dtype == stored[key].dtype, key
            if key.startswith("oof_"):
                assert np.allclose(array, stored[key], rtol=0, atol=1e-12), key
            else:
                assert np.array_equal(array, stored[key]), key


def test_the_pinned_pair_holds_what_it_claims():
    """The pins mean something only if the table really has the kinds they are meant to cover."""
    _, names = representations()
    dropped = {d["column"] for d in names["dropped"]}
    assert dropped == {"code", "uuid", "row_number", "shuffled_counter"}
    assert {"amount", "amount__missing", "when", "when__missing", "when_zoned", "flag", "nullable__missing",
            "colour__missing", "size=1.0", "size=x", "grade=high", "grade__missing", "sparse_whole"} <= set(names["columns"])
    assert names["left_out"][1] == ["uuid", "row_number", "shuffled_counter"]  # the text code too
    train, val = mixed_frames()
    hashes = feature_hashes(bundle(train, val))
    source = int(np.flatnonzero(train["size"].isin(["1", "2"]))[0])
    assert hashes["val"].iloc[8] == hashes["train"].iloc[source]
    assert hashes["val"].iloc[9] != hashes["train"].iloc[11]
