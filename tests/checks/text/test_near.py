"""Near duplicates and near leaks in text: planted copies found exactly, different tickets never."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.tickets import NEAR_KINDS, TEXT
from checks.text.near import DEFAULT_MAX_DISTANCE, near_text, pair_similarities

THRESHOLD = 1 - DEFAULT_MAX_DISTANCE
TICKET = ("Hi team, I was charged twice for the Pro plan on March 14 and my bank statement lists three "
          "payments I do not recognise. Please refund the duplicate payment of $49.99 to my card as soon "
          "as possible, it is urgent for my business. Thanks in advance.")
EDITS = {
    "one word": TICKET.replace("duplicate", "second"),
    "two words": TICKET.replace("duplicate", "second").replace("urgent", "important"),
    "typo": TICKET.replace("statement", "statment"),
    "signature": TICKET + "\n-- Sent from my iPhone",
    "cut 10%": " ".join(TICKET.split(" ")[:-5]),
    "case and spacing": "  " + TICKET.upper().replace(" ", "   ") + "!!",
}
# Same queue, same greeting, closing and template phrases, another ticket.
DIFFERENT = ("Hi team, I was charged twice for the basic plan on June 2 and my bank statement lists two "
             "payments that look wrong. Please refund the extra payment of $19.00 to my card, I already "
             "called support on Friday. Thanks in advance.")


def pairs_of(result) -> set[tuple[int, int]]:
    return set(zip(result.rows.tolist(), result.partners.tolist()))


@pytest.mark.parametrize("edit", EDITS)
def test_every_planted_edit_stays_above_the_threshold(edit):
    similarity = pair_similarities(pd.Series([TICKET]), pd.Series([EDITS[edit]]))[0]
    assert similarity >= THRESHOLD, (edit, similarity)


def test_a_different_ticket_sharing_the_template_stays_below():
    similarity = pair_similarities(pd.Series([TICKET]), pd.Series([DIFFERENT]))[0]
    assert similarity < THRESHOLD - 0.2


def test_planted_pair_near_copies_found_exactly(text_pair):
    found = near_text({"train": text_pair.train[TEXT], "val": text_pair.val[TEXT]})
    assert pairs_of(found.duplicates("train")) == text_pair.duplicates(NEAR_KINDS)
    assert pairs_of(found.leaks()) == text_pair.leaks(NEAR_KINDS)
    assert (found.duplicates("train").similarity >= THRESHOLD).all()
    assert len(found.duplicates("val")) == 0


def test_clean_pair_has_nothing_near(clean_text_pair):
    found = near_text({"train": clean_text_pair.train[TEXT], "val": clean_text_pair.val[TEXT]})
    assert len(found.pairs) == 0
    assert found.n_candidates > 0  # the banding did propose pairs; verification turned them down


def test_max_distance_overrides_the_threshold(text_pair):
    strict = near_text({"train": text_pair.train[TEXT]}, max_distance=0.15)
    assert strict.threshold == pytest.approx(0.85)
    kinds = {max(c.row, c.train_row): c.kind for c in text_pair.copies if c.split == "train"}
    found = strict.duplicates("train")
    assert 0 < len(found) < len(text_pair.duplicates(NEAR_KINDS))
    assert (found.similarity >= 0.85).all()
    assert {kinds[row] for row in found.rows.tolist()} <= set(NEAR_KINDS)


@pytest.mark.parametrize("bad", [1.0, -0.1, 2])
def test_max_distance_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="max_distance must be a float in"):
        near_text({"train": pd.Series(["a b c"])}, max_distance=bad)


def test_pairs_carry_every_placement_and_similarity():
    train = pd.Series([TICKET, DIFFERENT, EDITS["typo"]], index=[5, 6, 7])
    val = pd.Series([EDITS["one word"], EDITS["one word"], "unrelated words entirely here"], index=[0, 1, 2])
    found = near_text({"train": train, "val": val})
    placed = {(a, int(r), b, int(q)) for a, r, b, q in zip(found.pairs.first_split, found.pairs.first_row,
                                                            found.pairs.second_split, found.pairs.second_row)}
    assert placed == {("train", 5, "train", 7), ("train", 5, "val", 0), ("train", 7, "val", 0)}
    # both val copies leak (the second is an exact copy of the first within val), to the closer train row
    leaks = found.leaks()
    assert leaks.rows.tolist() == [0, 1] and leaks.partners.tolist() == [5, 5]
    assert pairs_of(found.duplicates("train")) == {(7, 5)}
    assert np.all(found.pairs.similarity >= THRESHOLD)


def test_exact_leaks_are_not_near_leaks():
    train = pd.Series([TICKET, EDITS["typo"]])
    val = pd.Series([TICKET.lower()])
    assert len(near_text({"train": train, "val": val}).leaks()) == 0


def test_a_kept_row_is_never_a_flagged_rows_partner():
    texts = pd.Series([TICKET, EDITS["one word"], EDITS["two words"]])
    found = near_text({"train": texts}).duplicates("train")
    assert pairs_of(found) == {(1, 0), (2, 0)}


def test_several_text_columns_must_all_be_near():
    frame = pd.DataFrame({"subject": ["Charged twice for my plan", "Charged twice for my plan",
                                      "Charged twice for my plan"],
                          "body": [TICKET, EDITS["typo"], DIFFERENT]})
    found = near_text({"train": frame})
    assert pairs_of(found.duplicates("train")) == {(1, 0)}


def test_empty_texts_are_never_near():
    found = near_text({"train": pd.Series(["", "", TICKET, "  "])})
    assert len(found.pairs) == 0


def test_same_seed_same_pairs(text_pair):
    splits = {"train": text_pair.train[TEXT].iloc[:1500], "val": text_pair.val[TEXT].iloc[:400]}
    first, second = near_text(splits, seed=3), near_text(splits, seed=3)
    assert first.describe() == second.describe()
    for name in ("first_row", "second_row", "similarity"):
        assert np.array_equal(getattr(first.pairs, name), getattr(second.pairs, name))


def test_describe_states_the_threshold_and_the_search(text_pair):
    facts = near_text({"train": text_pair.train[TEXT].iloc[:300]}).describe()
    assert facts["similarity"] == "Jaccard similarity of word 2-grams"
    assert facts["threshold"] == pytest.approx(THRESHOLD) and facts["max_distance"] == DEFAULT_MAX_DISTANCE
    assert facts["rows_per_band"] * facts["n_bands"] <= 256
