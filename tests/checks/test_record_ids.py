"""An undeclared code column distinct in every row (an order number, a file name) is left out of
row comparisons, as a row counter is, and the findings name it; free text and repeated codes are not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.encoders import ColumnFacts, decide_kind
from tests.conftest import LABEL, audit_checks, planted_pair

EXACT = ["duplicates", "exact_leakage"]


def flagged(report, code: str) -> set[tuple]:
    return {(r["split"], r["row"]) for _, f in report.all_findings if f.code == code for r in f.rows}


def test_an_undeclared_string_id_changes_no_exact_finding_and_is_named():
    pair = planted_pair()
    declared = audit_checks(pair.train, pair.val, label=LABEL, id_column="id", group_column="group",
                            time_column="time", checks=EXACT)
    undeclared = audit_checks(pair.train, pair.val, label=LABEL, group_column="group", time_column="time",
                              checks=EXACT)
    for code in ("exact_duplicates", "conflicting_labels", "exact_leakage"):
        assert flagged(undeclared, code) == flagged(declared, code) and flagged(declared, code), code
    messages = [f.message for _, f in undeclared.all_findings if f.code in ("exact_duplicates", "exact_leakage")]
    assert messages and all("compared without 'id' (unique per row" in m for m in messages)


def test_the_near_checks_name_the_column_they_compare_without():
    pair = planted_pair()
    train = pair.train.copy()
    copies = train.iloc[:10].copy()
    copies["f0"] = copies["f0"] + 1e-4
    copies["id"] = [f"n{i:06d}" for i in range(len(copies))]
    train = pd.concat([train, copies], ignore_index=True)
    report = audit_checks(train, pair.val, label=LABEL, group_column="group", time_column="time",
                          checks=["near_duplicates"])
    (finding,) = [f for _, f in report.all_findings if f.code == "near_duplicates"]
    assert {r["row"] for r in finding.rows} >= set(range(len(train) - 10, len(train)))
    assert "without 'id' (unique per row)" in finding.message


def facts(n_distinct: int, n_rows: int = 600, numeric: bool = False, multi_word: float = 0.0) -> ColumnFacts:
    return ColumnFacts("c", n_rows, numeric=numeric, n_distinct=n_distinct, n_present=n_rows,
                       multi_word_share=multi_word, letter_share=0.9, median_words=1, median_length=7)


def test_only_codes_distinct_in_nearly_every_row_are_record_ids():
    assert decide_kind(facts(600)).kind == "record_id"
    assert decide_kind(facts(595)).kind == "record_id"          # nearly every row
    assert decide_kind(facts(500)).kind == "identifier"         # many repeats: still compared
    assert decide_kind(facts(600, n_rows=40)).kind != "record_id"  # too few rows to tell
    assert decide_kind(facts(600, numeric=True)).kind == "numeric"  # measurements stay features


def test_free_text_distinct_in_every_row_stays_a_feature():
    rng = np.random.default_rng(0)
    words = np.array(["late", "refund", "parcel", "broken", "login", "invoice", "screen", "order", "again"])
    texts = pd.Series([" ".join(rng.choice(words, 8)) + f" ref {i}" for i in range(600)])
    from checks.encoders import measure_column

    kind = decide_kind(measure_column("note", {"train": texts}, None))
    assert kind.kind == "text", kind
