"""The text demo: its report names the planted copies, leaks and wrong labels of the generated tickets."""

from __future__ import annotations

import pytest

from audit.demo_text import run_text_demo
from tests.conftest import findings_by_code

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def text_demo(tmp_path_factory):
    return run_text_demo(tmp_path_factory.mktemp("demo-text"), baseline={"enabled": False})


def pairs_flagged(report, split, codes, partner):
    return {frozenset((r["row"], r[partner])) for code in codes for f in findings_by_code(report, code)
            for r in f.rows if r["split"] == split}


def test_text_demo_finds_the_planted_copies_and_leaks(text_demo):
    report, pair = text_demo
    for split, codes, partner in (("train", ("exact_duplicates", "near_duplicates"), "duplicate_of"),
                                  ("val", ("exact_leakage", "near_leakage"), "train_row")):
        truth = {frozenset((c.row, c.train_row)) for c in pair.truth.copies if c.split == split}
        found = pairs_flagged(report, split, codes, partner)
        assert len(found & truth) >= 0.95 * len(truth) and len(found & truth) >= 0.95 * len(found)


def test_text_demo_flags_most_wrong_labels(text_demo):
    report, pair = text_demo
    flagged = {r["row"] for f in findings_by_code(report, "label_issues") if f.metrics["split"] == "train"
               for r in f.rows}
    truth = pair.truth.label_issues["train"]
    assert 2 * len(flagged & truth) / (len(flagged) + len(truth)) >= 0.85
