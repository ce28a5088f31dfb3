"""Column kinds: decided once with a reason, declared by the user, and extended by registering an encoder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from checks.base import AuditData
from checks.encoders import ENCODERS, Block, ColumnFacts, Encoder, column_kinds, decide_kind, register_encoder
from checks.features import encoded_features, model_inputs
from checks.hashing import feature_hashes, hashed_columns
from tests.checks.test_encoding_pins import LABEL, mixed_frames

KINDS = {
    "amount": "numeric", "count": "numeric", "flag": "numeric", "nullable": "numeric", "measure": "numeric",
    "sparse_whole": "numeric", "when": "date", "when_zoned": "date", "colour": "categorical", "size": "categorical",
    "grade": "categorical", "code": "identifier", "uuid": "record_id", "row_number": "row_counter",
    "shuffled_counter": "row_counter",
}


def mixed_bundle(**roles) -> AuditData:
    train, val = mixed_frames()
    return AuditData(frames={"train": train, "val": val}, label=LABEL, **roles)


def test_every_column_has_one_kind_and_the_reason_for_it():
    data = mixed_bundle()
    kinds = column_kinds(data)
    assert list(kinds) == list(data.frames["train"].columns)
    assert {column: kind.kind for column, kind in kinds.items() if column != LABEL} == KINDS
    assert kinds[LABEL].kind == "label"
    assert kinds["colour"].reason == "3 distinct values in train, at most 50: one indicator each"
    assert kinds["uuid"].reason.startswith("identifier-like: a code distinct in 120 of the 120 train rows")
    assert kinds["code"].reason.startswith("high-cardinality text (59 distinct values")
    assert kinds["when"].reason == "dates in every split, compared as seconds since 1970"
    assert kinds["amount"].to_dict() == {"column": "amount", "kind": "numeric",
                                         "reason": "numbers or true/false values in every split"}


def test_the_dropped_columns_reasons_are_their_kinds_reasons():
    data = mixed_bundle()
    kinds = column_kinds(data)
    assert encoded_features(data).dropped == [{"column": c, "reason": kinds[c].reason}
                                              for c in ("code", "uuid", "row_number", "shuffled_counter")]


def test_role_columns_are_listed_with_their_role_and_never_encoded():
    data = mixed_bundle(id_column="uuid", group_column="code", ignored=("measure",))
    kinds = column_kinds(data)
    assert (kinds["uuid"].kind, kinds["code"].kind, kinds["measure"].kind) == ("id", "group", "ignored")
    assert not {"uuid", "code", "measure"} & set(encoded_features(data).sources)


def test_a_rule_applies_to_a_column_of_a_few_numbers_in_val_and_text_in_train():
    data = mixed_bundle()
    assert column_kinds(data)["size"].kind == "categorical"     # "1" in train and 1.0 in val: one category
    columns = encoded_features(data).columns
    assert [c for c in columns if c.startswith("size")] == ["size=1.0", "size=2.0", "size=x", "size__missing"]


def test_a_declared_identifier_leaves_the_neighbour_space_and_stays_in_the_row_hashes():
    data = mixed_bundle()
    data.declared_kinds["colour"] = "identifier"
    kinds = column_kinds(data)
    assert kinds["colour"].kind == "identifier" and kinds["colour"].reason == "declared identifier by the user"
    assert "colour" not in encoded_features(data).sources
    assert "colour" in hashed_columns(data)


def test_a_kind_that_cannot_be_declared_is_refused_naming_the_column():
    with pytest.raises(ValueError, match="column 'x' is declared of kind 'numeric'; a column can be declared one of .*'identifier'"):
        decide_kind(ColumnFacts("x", 10, numeric=False, n_distinct=3, n_present=10, declared="numeric"))


@pytest.fixture
def yes_no_kind():
    """A kind registered for one test: text columns holding only yes and no, encoded as 0/1."""

    class YesNo(Encoder):
        kind = "yes_no"
        priority = 35

        def claim(self, facts):
            return "only yes and no" if facts.n_distinct == 2 and facts.column.startswith("answer") else None

        def neighbour_blocks(self, column, values):
            return [Block(column, column, {s: (v == "yes").to_numpy(np.float32) for s, v in values.items()})]

        def model_blocks(self, column, values):
            return [Block(f"{column}_yes", column, {s: (v == "yes").to_numpy(np.float32) for s, v in values.items()}),
                    Block(f"{column}_no", column, {s: (v == "no").to_numpy(np.float32) for s, v in values.items()})]

    register_encoder(YesNo)
    yield YesNo
    del ENCODERS["yes_no"]


def test_a_registered_kind_reaches_every_representation_without_touching_a_check(yes_no_kind):
    train = pd.DataFrame({"answer": ["yes", "no"] * 30, "x": np.arange(60) % 7, LABEL: ["a", "b", "c"] * 20})
    val = pd.DataFrame({"answer": ["no", "yes", "no"], "x": [1, 2, 3], LABEL: ["a", "b", "c"]})
    data = AuditData(frames={"train": train, "val": val}, label=LABEL)
    assert column_kinds(data)["answer"].kind == "yes_no"
    encoded = encoded_features(data)
    assert encoded.columns == ["answer", "x"]
    assert encoded.matrices["val"][:, 0].tolist() == [0, 1, 0]
    inputs = model_inputs(data)
    assert inputs.columns == ["answer_yes", "answer_no", "x"] and inputs.sources == ["answer", "answer", "x"]
    assert np.array_equal(inputs.matrices["val"][:, 2], encoded.matrices["val"][:, 1])
    hashes = feature_hashes(data)
    assert hashes["val"].iloc[1] == hashes["train"].iloc[2]           # (yes, 2) in both
    assert hashes["val"].iloc[1] != hashes["train"].iloc[0]           # (yes, 2) and (yes, 0)


def test_the_model_inputs_are_the_neighbour_space_itself_when_no_kind_has_its_own():
    data = mixed_bundle()
    assert model_inputs(data) is encoded_features(data)
