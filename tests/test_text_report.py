"""A ticket file with a text column through the command line: kinds, evidence, HTML pairs, bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audit.cli import main
from audit.tickets import LABEL, TEXT, make_text_pair
from checks.encoders import fit_network_inputs

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def ticket_run(tmp_path_factory):
    """Tickets with an HTML-looking near copy leaked into val, audited without the baseline."""
    folder = tmp_path_factory.mktemp("tickets")
    pair = make_text_pair(1200, 300, seed=2)
    val = pair.val.copy()
    val.loc[0] = pair.train.loc[7]
    val.loc[0, TEXT] = pair.train.loc[7, TEXT] + " " + SCRIPT
    pair.train.to_csv(folder / "train.csv", index=False)
    val.to_csv(folder / "val.csv", index=False)
    code = main(["run", "--train", str(folder / "train.csv"), "--val", str(folder / "val.csv"), "--label", LABEL,
                 "--text-column", TEXT, "--no-baseline", "--out", str(folder / "out"), "--quiet"])
    report = json.loads((folder / "out" / "train.json").read_text())
    return code, report, (folder / "out" / "train.html").read_text(), folder


def findings(report, code):
    return [f for check in report["checks"] for f in check["findings"] if f["code"] == code]


def test_the_report_lists_each_column_kind_and_the_declared_text_column(ticket_run):
    code, report, _, _ = ticket_run
    assert code == 1  # planted copies fail the gate
    kinds = {k["column"]: (k["kind"], k["reason"]) for k in report["inputs"]["column_kinds"]}
    assert kinds[TEXT] == ("text", "declared text by the user")
    assert kinds["priority"][0] == "categorical" and kinds[LABEL][0] == "label"
    assert report["settings"]["text_columns"] == [TEXT]


def test_near_leak_evidence_keeps_row_numbers_and_the_similarity(ticket_run):
    _, report, _, _ = ticket_run
    (leak,) = findings(report, "near_leakage")
    first = next(r for r in leak["rows"] if r["row"] == 0)
    assert first["train_row"] == 7 and 0.64 <= first["similarity"] < 1


def test_html_shows_text_pairs_side_by_side_escaped_with_the_added_words_marked(ticket_run):
    _, _, html, _ = ticket_run
    assert 'class="evidence text-pairs"' in html
    assert "<dt>text</dt><dd>text: declared text by the user</dd>" in html
    assert SCRIPT not in html
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in html


def test_an_unknown_text_column_is_one_line_and_exit_code_2(ticket_run, capsys):
    _, _, _, folder = ticket_run
    code = main(["run", "--train", str(folder / "train.csv"), "--label", LABEL, "--text-column", "body",
                 "--no-baseline", "--out", str(folder / "bad")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--text-column 'body' is not a column" in err[0]
    assert not (folder / "bad").exists()


def test_the_network_sees_a_text_column_as_normalised_word_counts():
    train = make_text_pair(600, 150, seed=4, plant=False).train.drop(columns=LABEL)
    inputs = fit_network_inputs(train)
    assert [k.kind for k in inputs.kinds] == ["text", "categorical", "categorical"]
    matrix = inputs.transform(train, "train")
    text_part = matrix[:, [name == TEXT for name in inputs.names]]
    assert text_part.shape[1] > 100 and pd.Series((text_part ** 2).sum(axis=1)).round(5).eq(1).all()
    unseen = inputs.transform(pd.DataFrame({TEXT: ["zzz qqq"], "priority": ["low"], "channel": ["web"]}), "val")
    assert not unseen[0, [name == TEXT for name in inputs.names]].any()
