"""The registered checks on tables with a text column: planted tickets, their clean pair, a mixed table.

Every check runs as the runner runs it (one AuditData, the checks' defaults); the figures are
those the issue of text columns asks for: duplicates and leakage (exact and near together)
at recall and precision 0.95, label issues at F1 0.85, nothing near or leaking on the clean
pair, a column naming the label flagged and the text beside it not.
"""

from __future__ import annotations

import pandas as pd
import pytest

from audit.tickets import LABEL, TEXT, TextPair
from checks import REGISTRY
from checks.base import AuditData, Severity
from checks.encoders import column_kinds


def audit_data(pair: TextPair, **kwargs) -> AuditData:
    return AuditData(frames={"train": pair.train.copy(), "val": pair.val.copy()}, label=LABEL, **kwargs)


def run(data: AuditData, *names: str) -> list:
    return [f for name in names for f in REGISTRY[name]().run(data)]


def found_pairs(findings: list, codes: tuple[str, ...], partner: str) -> set[frozenset]:
    return {frozenset((r["row"], r[partner])) for f in findings if f.code in codes for r in f.rows}


def recall_precision(found: set, truth: set) -> tuple[float, float]:
    hit = len(found & truth)
    return hit / len(truth), hit / len(found)


@pytest.fixture(scope="module")
def planted_findings(text_pair):
    data = audit_data(text_pair)
    return data, run(data, "duplicates", "exact_leakage", "near_duplicates", "near_leakage", "label_issues",
                     "target_leakage", "data_quality")


def test_the_text_column_is_text_and_the_others_categories(planted_findings):
    data, _ = planted_findings
    kinds = column_kinds(data)
    assert kinds[TEXT].kind == "text" and kinds[TEXT].reason.startswith("free text")
    assert kinds["priority"].kind == kinds["channel"].kind == "categorical"


def test_duplicates_exact_and_near_together(planted_findings, text_pair):
    _, findings = planted_findings
    truth = {frozenset((c.row, c.train_row)) for c in text_pair.copies if c.split == "train"}
    found = found_pairs([f for f in findings if f.metrics.get("split") == "train"],
                        ("exact_duplicates", "near_duplicates"), "duplicate_of")
    recall, precision = recall_precision(found, truth)
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)


def test_leakage_exact_and_near_together(planted_findings, text_pair):
    _, findings = planted_findings
    truth = {frozenset((c.row, c.train_row)) for c in text_pair.copies if c.split == "val"}
    found = found_pairs(findings, ("exact_leakage", "near_leakage"), "train_row")
    recall, precision = recall_precision(found, truth)
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)


def test_exact_copies_say_whether_they_were_equal_as_written(planted_findings, text_pair):
    _, findings = planted_findings
    kind = {(c.split, c.row): c.kind for c in text_pair.copies}
    rows = [r for f in findings if f.code in ("exact_duplicates", "exact_leakage") for r in f.rows]
    assert rows and all(r["text_match"] == {"byte": "as written", "case_space": "after normalisation"}[
        kind[(r["split"], r["row"])]] for r in rows if (r["split"], r["row"]) in kind)


def test_near_evidence_names_the_partner_and_the_similarity(planted_findings):
    _, findings = planted_findings
    near = next(f for f in findings if f.code == "near_leakage")
    assert near.severity == Severity.FAIL and "Jaccard similarity of word 2-grams >= 0.64" in near.message
    assert near.metrics["threshold"] == pytest.approx(0.36) and near.metrics["text_columns"] == [TEXT]
    assert all(0.64 <= r["similarity"] < 1 and {"train_row", "distance"} <= set(r) for r in near.rows)


def test_conflicting_copies_are_flagged(planted_findings, text_pair):
    _, findings = planted_findings
    conflicted = {c.row for c in text_pair.copies if c.split == "train" and c.label_conflict}
    flagged = {r["row"] for f in findings if f.code == "conflicting_labels" and f.metrics["split"] == "train"
               for r in f.rows}
    assert len(conflicted & flagged) >= 0.95 * len(conflicted)


def test_label_issues_from_tfidf(planted_findings, text_pair):
    _, findings = planted_findings
    for split in ("train", "val"):
        finding = next(f for f in findings if f.code == "label_issues" and f.metrics["split"] == split)
        assert finding.metrics["model"] == "tfidf_logistic_regression"
        flagged, truth = {r["row"] for r in finding.rows}, text_pair.label_issues[split]
        hit = len(flagged & truth)
        f1 = 2 * hit / (len(flagged) + len(truth))
        assert f1 >= 0.85, (split, f1)


def test_an_ordinary_text_column_is_no_target_leak(planted_findings):
    _, findings = planted_findings
    assert not [f for f in findings if f.code == "target_leakage"]


def test_clean_pair_has_nothing_near_and_no_target_leak(clean_text_pair):
    findings = run(audit_data(clean_text_pair), "duplicates", "exact_leakage", "near_duplicates", "near_leakage",
                   "target_leakage")
    assert findings == []


def test_a_column_naming_the_label_is_flagged_and_the_text_is_not(leaky_text_pair):
    data = audit_data(leaky_text_pair)
    (finding,) = run(data, "target_leakage")
    assert [c["column"] for c in finding.columns] == ["note"] and finding.severity == Severity.FAIL
    assert finding.metrics["scores"][TEXT] < finding.metrics["scores"]["note"]


def test_mixed_table_a_near_copy_must_be_near_in_every_column(text_pair):
    """The same text with another priority and channel is no near copy; with the same ones it is."""
    train = text_pair.train.iloc[:600].copy()
    copy = train.iloc[[10]].copy()
    copy[TEXT] = copy[TEXT] + " Thanks, Maria"
    other = copy.copy()
    other["priority"] = "urgent" if copy["priority"].iloc[0] != "urgent" else "low"
    other["channel"] = "phone" if copy["channel"].iloc[0] != "phone" else "web"
    val = pd.concat([copy, other], ignore_index=True)
    data = AuditData(frames={"train": train, "val": val}, label=LABEL)
    (finding,) = run(data, "near_leakage")
    assert [(r["row"], r["train_row"]) for r in finding.rows] == [(0, 10)]
    assert "other columns within distance" in finding.message


def test_declared_text_column_is_compared_by_its_words():
    """Short codes are no free text by the rule; declared, they are compared and modelled as text."""
    codes = [f"ref {i} alpha beta" if i % 2 else f"ref {i}" for i in range(200)]
    frame = pd.DataFrame({"note": codes, LABEL: ["a", "b"] * 100})
    val = pd.DataFrame({"note": ["REF 3 alpha beta!"], LABEL: ["b"]})
    data = AuditData(frames={"train": frame, "val": val}, label=LABEL, declared_kinds={"note": "text"})
    (leak,) = run(data, "exact_leakage")
    assert leak.rows == [{"split": "val", "row": 0, "train_row": 3, "text_match": "after normalisation"}]


def test_text_quality_issues_are_counted_with_rows(text_pair):
    train = text_pair.train.iloc[:800].copy()
    train.loc[5, TEXT] = "   "
    train.loc[7, TEXT] = "The caf\u00c3\u00a9 router is dead again, please send a new one today"
    train.loc[9, TEXT] = "My order <br> never arrived &amp; nobody answers the phone, please help me"
    data = AuditData(frames={"train": train}, label=LABEL)
    issues = {f.metrics["text_issue"]: [r["row"] for r in f.rows] for f in run(data, "data_quality")
              if "text_issue" in f.metrics}
    assert issues["whitespace_only"] == [5] and issues["mojibake"] == [7] and issues["markup"] == [9]
