"""The documented normalisation, and exact and normalised copies with their partners."""

from __future__ import annotations

import pandas as pd
import pytest

from audit.tickets import TEXT
from checks.text.exact import normalise_all, text_duplicates, text_keys, text_leaks
from checks.text.normalise import normalise, token_text


@pytest.mark.parametrize("raw, expected", [
    ("  Refund\tPLEASE!! ", "refund please"),
    ("ﬁnancial\u00a0Ｒｅｆｕｎｄ", "financial refund"),  # ligature, non-breaking space, full width: NFKC
    ("STRASSE", "strasse"), ("Straße", "strasse"),       # case folding, not lower()
    ("line one\r\n\nline two", "line one line two"),
    ("...(quoted)...", "quoted"),
    ("price 2.5, not 25", "price 2.5, not 25"),           # inner punctuation stays
    ("", ""), ("?!", ""),
])
def test_normalisation(raw, expected):
    assert normalise(pd.Series([raw])).tolist() == [expected]


def test_missing_stays_missing_and_the_index_is_kept():
    normalised = normalise(pd.Series(["A", None, "b "], index=[7, 8, 9]))
    assert normalised.index.tolist() == [7, 8, 9]
    assert normalised[7] == "a" and pd.isna(normalised[8]) and normalised[9] == "b"


def test_token_text_keeps_words_only():
    assert token_text(pd.Series(["hello, world! it's 2.5 $"])).tolist() == ["hello world it s 2 5"]


def copies(result) -> set[tuple[int, int, bool]]:
    return {(c.row, c.partner, c.raw_identical) for c in result}


def test_duplicates_name_the_partner_and_whether_the_bytes_agree():
    values = pd.Series(["Refund please", "REFUND  please!", "Refund please", "other", "refund please!!"],
                       index=[10, 11, 12, 13, 14])
    found = copies(text_duplicates(text_keys(values)))
    # 12 repeats 10 byte for byte; 11 and 14 only once normalised (14's own bytes differ from 11's).
    assert found == {(11, 10, False), (12, 10, True), (14, 10, False)}


def test_a_raw_copy_prefers_its_earliest_identical_row():
    values = pd.Series(["Refund please", "REFUND please", "REFUND please"])
    assert copies(text_duplicates(text_keys(values))) == {(1, 0, False), (2, 1, True)}


def test_leaks_point_at_train_rows():
    train = pd.Series(["Refund please", "Where is my parcel", "refund PLEASE"])
    val = pd.Series(["refund please", "Where is my parcel", "new text"], index=[100, 101, 102])
    found = copies(text_leaks(text_keys(train), text_keys(val)))
    assert found == {(100, 0, False), (101, 1, True)}


def test_several_columns_compare_together():
    frame = pd.DataFrame({"title": ["Broken", "broken", "Broken"], "body": ["It fails.", "it fails", "It works"]})
    assert copies(text_duplicates(text_keys(frame))) == {(1, 0, False)}


def test_missing_texts_compare_equal():
    values = pd.Series(["a b c", None, None])
    assert copies(text_duplicates(text_keys(values))) == {(2, 1, True)}


def test_planted_exact_copies_are_found_exactly(text_pair):
    keys = {s: text_keys(f[TEXT], normalise_all(f[TEXT])) for s, f in (("train", text_pair.train),
                                                                      ("val", text_pair.val))}
    duplicates = text_duplicates(keys["train"])
    leaks = text_leaks(keys["train"], keys["val"])
    assert {(c.row, c.partner) for c in duplicates} == text_pair.duplicates(("byte", "case_space"))
    assert {(c.row, c.partner) for c in leaks} == text_pair.leaks(("byte", "case_space"))
    planted = {(max(c.row, c.train_row), c.kind) for c in text_pair.copies if c.split == "train"}
    for copy in duplicates:
        kind = dict(planted)[copy.row]
        assert copy.raw_identical == (kind == "byte")
    assert leaks.n_raw_identical == len(text_pair.leaks(("byte",)))


def test_clean_pair_has_no_exact_copies(clean_text_pair):
    keys = {s: text_keys(f[TEXT]) for s, f in (("train", clean_text_pair.train), ("val", clean_text_pair.val))}
    assert len(text_duplicates(keys["train"])) == 0
    assert len(text_leaks(keys["train"], keys["val"])) == 0
