"""Which string columns are free text: the encoder seam's rule on a column of each kind, with the reason given."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from audit.tickets import TEXT
from checks.encoders import decide_kind, measure_column
from checks.text.kind import text_stats

N = 1000


def column_kind(name: str, values: pd.Series):
    return decide_kind(measure_column(name, {"train": values}))


def columns(tickets: pd.Series) -> dict[str, tuple[list, str]]:
    """Example columns and the kind each must get."""
    rng = np.random.default_rng(0)
    brands = ["Acme", "Globex", "Initech", "Hooli", "Stark", "Wayne"]
    things = ["Wireless Keyboard", "Steel Kettle", "Desk Lamp", "Hiking Backpack", "Noise Cancelling Headphones"]
    review_words = ["great", "terrible", "love", "works", "broke", "fast", "slow", "cheap", "quality", "returned"]
    first = ["John", "Mary", "Ahmed", "Li", "Sofia", "Lukas", "Ana", "Raj", "Emma", "Noah"]
    last = ["Smith", "Garcia", "Khan", "Wang", "Rossi", "Müller", "Silva", "Patel", "Jones", "Brown"]
    return {
        "ticket text": (tickets.iloc[:N].tolist(), "text"),
        "product title": ([f"{rng.choice(brands)} {rng.choice(things)} {rng.integers(1, 999)} Black"
                           for _ in range(N)], "text"),
        "short review": ([" ".join(rng.choice(review_words, rng.integers(3, 10))) + "!" for _ in range(N)], "text"),
        "row id": ([f"t{i:05d}" for i in rng.permutation(N)], "record_id"),
        "uuid": ([str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | int(rng.integers(0, 2**62))))
                  for _ in range(N)], "record_id"),
        "email": ([f"{rng.choice(first).lower()}.{rng.choice(last).lower()}{i}@example.com" for i in range(N)],
                  "record_id"),
        "url": ([f"https://shop.example.com/item/{i}?ref=mail" for i in range(N)], "record_id"),
        "category code": (rng.choice(["A1", "B2", "C3", "D4"], N).tolist(), "categorical"),
        "multi-word category": (rng.choice(["customer service", "billing and payments", "technical support desk"],
                                           N).tolist(), "categorical"),
        "person name": ([f"{rng.choice(first)} {rng.choice(last)}" for _ in range(N)], "identifier"),
        "numbers as text": ([f"{v:.2f}" for v in rng.normal(100, 20, N)], "identifier"),
        "timestamp": ([str(pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=int(m)))
                       for m in rng.permutation(10**6)[:N]], "record_id"),
    }


def test_each_kind_of_column(clean_text_pair):
    for name, (values, expected) in columns(clean_text_pair.train[TEXT]).items():
        kind = column_kind(name, pd.Series(values))
        assert kind.kind == expected, (name, kind.reason)
        assert kind.column == name and kind.reason


def test_the_measures_behind_the_rule(clean_text_pair):
    """Text columns have nearly all values with three words; every other kind none."""
    for name, (values, expected) in columns(clean_text_pair.train[TEXT]).items():
        stats = text_stats(pd.Series(values))
        if expected == "text":
            assert stats.multi_word_share >= 0.9, name
        elif name != "multi-word category":
            assert stats.multi_word_share == 0.0, name


def test_reasons_state_the_numbers(clean_text_pair):
    text = column_kind("text", clean_text_pair.train[TEXT])
    assert text.kind == "text" and text.reason.startswith("free text: 100% of the values have 3 words or more")
    few = column_kind("queue", pd.Series(["billing and payments", "technical support desk"] * 100))
    assert few.kind == "categorical" and "2 distinct values" in few.reason


@pytest.mark.parametrize("values", [[None, np.nan, None], ["12", "7.5", "-3", "1e3"] * 20,
                                    [f"{i} {i + 1} {i + 2} {i + 3}" for i in range(200)]])
def test_missing_values_numbers_and_number_lists_are_not_text(values):
    assert column_kind("c", pd.Series(values, dtype=object)).kind != "text"


def test_declared_text_is_kept_and_ignore_wins():
    from audit.data import Roles

    values = pd.Series([f"code{i}" for i in range(100)])
    assert decide_kind(measure_column("c", {"train": values}, "text")).reason == "declared text by the user"
    assert Roles("y", ignored=("c",), text_columns=("c", "d")).declared_kinds() == {"d": "text"}


def test_missing_values_are_left_out(clean_text_pair):
    values = clean_text_pair.train[TEXT].iloc[:400].astype(object)
    values.iloc[::2] = None
    assert column_kind("text", values).kind == "text" and text_stats(values).n_values == 200


def test_small_unique_columns_are_not_identifiers():
    """Below 50 values, "unique" says too little: a short column of codes stays categorical."""
    assert column_kind("c", pd.Series([f"x{i}" for i in range(20)])).kind == "categorical"
