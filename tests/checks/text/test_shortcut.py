"""A text column that names the label is a shortcut; ordinary ticket text is not."""

from __future__ import annotations

from audit.tickets import LABEL, QUEUES, TEXT
from checks.text.shortcut import text_shortcut


def test_a_note_naming_the_label_is_flagged_with_its_keywords(leaky_text_pair):
    train = leaky_text_pair.train
    found = text_shortcut("note", train["note"], train[LABEL], reference_score=0.05)
    assert found.flagged and found.score >= 0.95
    assert found.keywords == {q: q for q in QUEUES}
    assert "one word per class reads the label off this text" in found.reason


def test_ordinary_ticket_text_is_not_flagged(leaky_text_pair, clean_text_pair):
    for pair in (leaky_text_pair, clean_text_pair):
        found = text_shortcut("text", pair.train[TEXT], pair.train[LABEL], reference_score=0.05)
        assert not found.flagged and found.score < 0.7
        assert found.reason.startswith("no shortcut")


def test_no_margin_over_the_other_columns_no_flag(leaky_text_pair):
    train = leaky_text_pair.train
    assert not text_shortcut("note", train["note"], train[LABEL], reference_score=0.8).flagged


def test_same_seed_same_score_and_a_sample_above_max_rows(leaky_text_pair):
    train = leaky_text_pair.train
    first = text_shortcut("note", train["note"], train[LABEL], random_state=4, max_rows=1000)
    second = text_shortcut("note", train["note"], train[LABEL], random_state=4, max_rows=1000)
    assert first == second and first.n_rows == 1000 and first.flagged
