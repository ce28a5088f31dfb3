"""The shared encoded feature matrix: scaling, imputation, one-hot, dropped columns, caching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.data import Roles, from_frames
from checks.encoders import MAX_CATEGORIES
from checks.features import encode_features, encoded_features

LABEL = "label"


def frames(n: int = 100):
    rng = np.random.default_rng(0)
    train = pd.DataFrame({
        "id": [f"r{i}" for i in range(n)],
        "amount": rng.permutation(n) * 4.0,                              # median 198, IQR 198
        "flag": rng.integers(0, 2, n).astype(bool),
        "colour": rng.choice(["red", "green"], n),
        "note": [f"free text {i % 70}" for i in range(n)],              # 70 distinct: left out
        "row_number": np.arange(n),                                      # whole numbers unique per row
        "measure": rng.standard_normal(n),                               # unique floats: a feature
        LABEL: rng.choice(["a", "b"], n),
    })
    val = train.iloc[:5].copy().reset_index(drop=True)
    val.loc[0, "amount"] = np.nan
    val.loc[1, "amount"] = np.inf
    val.loc[2, "colour"] = "purple"                                      # unseen in train
    return train, val


def test_numeric_columns_are_scaled_by_train_median_and_iqr_and_missing_values_imputed():
    train, val = frames()
    data = from_frames(train, val, Roles(LABEL, id_column="id"))
    encoded = encode_features(data)
    j = encoded.columns.index("amount")
    assert encoded.matrices["train"][:, j] == pytest.approx((train["amount"] - 198.0) / 198.0, abs=1e-6)
    assert encoded.matrices["val"][0, j] == 0 and encoded.matrices["val"][1, j] == 0  # NaN and inf -> median
    missing = encoded.columns.index("amount__missing")
    assert encoded.matrices["val"][:, missing].tolist() == [1, 1, 0, 0, 0]
    assert not encoded.matrices["train"][:, missing].any()
    assert encoded.sources[missing] == "amount"


def test_small_categoricals_are_one_hot_and_unseen_values_get_the_missing_indicator():
    train, val = frames()
    encoded = encode_features(from_frames(train, val, Roles(LABEL, id_column="id")))
    assert [c for c in encoded.columns if c.startswith("colour")] == ["colour=green", "colour=red", "colour__missing"]
    onehot = encoded.matrices["val"][:, [encoded.columns.index(c) for c in ("colour=green", "colour=red", "colour__missing")]]
    assert onehot[2].tolist() == pytest.approx([0, 0, 1 / np.sqrt(2)])
    assert np.allclose(onehot.sum(axis=1), 1 / np.sqrt(2))  # exactly one indicator a row
    assert "flag" in encoded.columns


def test_identifiers_and_high_cardinality_text_are_left_out_with_the_reason():
    train, val = frames()
    encoded = encode_features(from_frames(train, val, Roles(LABEL, id_column="id")))
    dropped = {d["column"]: d["reason"] for d in encoded.dropped}
    assert set(dropped) == {"note", "row_number"}
    assert dropped["note"].startswith("high-cardinality text (70 distinct values in train")
    assert str(MAX_CATEGORIES) in dropped["note"]
    assert dropped["row_number"].startswith("identifier-like: whole numbers, unique")
    assert "measure" in encoded.columns
    # Role columns are never features.
    assert not {"id", LABEL} & set(encoded.sources)


def test_matrices_are_float32_one_row_per_input_row_deterministic_and_cached():
    train, val = frames()
    data = from_frames(train, val, Roles(LABEL, id_column="id"))
    first = encoded_features(data)
    assert encoded_features(data) is first
    again = encode_features(from_frames(train, val, Roles(LABEL, id_column="id")))
    for split, n in (("train", len(train)), ("val", len(val))):
        assert first.matrices[split].dtype == np.float32
        assert first.matrices[split].shape == (n, len(first.columns))
        assert np.isfinite(first.matrices[split]).all()
        assert np.array_equal(first.matrices[split], again.matrices[split])
    assert first.n_features == len(first.columns) == len(first.sources)


def test_a_text_column_that_is_numeric_in_one_split_is_encoded_as_categories_alike():
    train = pd.DataFrame({"size": ["1", "2", "2", "x"] * 5, LABEL: ["a", "b"] * 10})
    val = pd.DataFrame({"size": [1.0, 2.0, np.nan, 1.0], LABEL: ["a", "b", "a", "b"]})
    encoded = encode_features(from_frames(train, val, Roles(LABEL)))
    assert encoded.columns == ["size=1.0", "size=2.0", "size=x", "size__missing"]
    assert encoded.matrices["val"].argmax(axis=1).tolist() == [0, 1, 3, 0]


def test_a_column_without_spread_is_scaled_by_one_not_divided_by_zero():
    train = pd.DataFrame({"constant": [5.0] * 60, "rare": [0.0] * 59 + [1.0], LABEL: ["a", "b"] * 30})
    encoded = encode_features(from_frames(train, None, Roles(LABEL)))
    assert np.isfinite(encoded.matrices["train"]).all()
    assert (encoded.matrices["train"][:, 0] == 0).all()
    rare = encoded.matrices["train"][:, 1]
    assert rare[-1] == pytest.approx(1 / np.std([0.0] * 59 + [1.0]))


def test_time_zone_aware_dates_encode_as_their_utc_instant():
    """A date with a zone and the same instant without one are the same value, in seconds."""
    from checks.encoders.values import as_float

    aware = pd.Series(pd.to_datetime(["2024-01-01 01:00", "2024-01-02 00:00"]).tz_localize("Europe/Paris"))
    naive = pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-01 23:00"]))
    assert as_float(aware).tolist() == as_float(naive).tolist() == [1704067200.0, 1704150000.0]
