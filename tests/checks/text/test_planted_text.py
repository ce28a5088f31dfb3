"""The planted ticket generator records the truth it plants, and plants nothing when asked not to."""

from __future__ import annotations

import numpy as np

from audit.tickets import COPY_KINDS, LABEL, TEXT, make_text_pair


def test_every_copy_kind_is_planted_and_recorded(text_pair):
    kinds = {c.kind for c in text_pair.copies}
    assert kinds == set(COPY_KINDS)
    for copy in text_pair.copies:
        frame = text_pair.train if copy.split == "train" else text_pair.val
        copied, source = frame.at[copy.row, TEXT], text_pair.train.at[copy.train_row, TEXT]
        assert (copied == source) == (copy.kind == "byte")
        assert frame.at[copy.row, "priority"] == text_pair.train.at[copy.train_row, "priority"]
        assert copy.label_conflict == (frame.at[copy.row, LABEL] != text_pair.train.at[copy.train_row, LABEL])
    assert any(c.label_conflict for c in text_pair.copies)


def test_about_six_percent_of_labels_are_wrong(text_pair):
    for split, frame in (("train", text_pair.train), ("val", text_pair.val)):
        wrong = np.flatnonzero(frame[LABEL].to_numpy() != text_pair.true_labels[split])
        assert set(wrong.tolist()) == text_pair.label_issues[split]
        assert abs(len(wrong) / len(frame) - 0.06) < 0.002


def test_clean_pair_has_no_copies_and_no_flips(clean_text_pair):
    assert clean_text_pair.copies == []
    assert clean_text_pair.label_issues == {"train": set(), "val": set()}
    texts = list(clean_text_pair.train[TEXT]) + list(clean_text_pair.val[TEXT])
    assert len(set(texts)) == len(texts)


def test_texts_are_about_forty_words(clean_text_pair):
    words = clean_text_pair.train[TEXT].str.split().str.len()
    assert 35 <= words.median() <= 45


def test_same_seed_same_pair():
    first, second = make_text_pair(600, 150, seed=5), make_text_pair(600, 150, seed=5)
    assert first.train.equals(second.train) and first.val.equals(second.val)
    assert first.copies == second.copies
