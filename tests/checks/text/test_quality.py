"""Text data-quality facts: each kind counted with its rows; a clean column has none."""

from __future__ import annotations

import pandas as pd

from audit.tickets import TEXT
from checks.text.quality import text_quality


def by_kind(issues, split: str = "train") -> dict[str, list[int]]:
    return {i.kind: i.rows.tolist() for i in issues if i.split == split}


def test_clean_column_has_no_issue(clean_text_pair):
    assert text_quality("text", {"train": clean_text_pair.train[TEXT], "val": clean_text_pair.val[TEXT]}) == []


def test_each_kind_with_its_rows(clean_text_pair):
    train = clean_text_pair.train[TEXT].iloc[:500].copy()
    train.index = train.index + 1000
    train[1003] = ""
    train[1010] = "  \n\t "
    train[1020] = "ok"
    train[1021] = " ".join([train[1022]] * 15)
    train[1030] = "The CafÃ© was closed and I donâ€™t know why, please send a refund for my order today"
    train[1031] = "Price was 10Â\u00a0Euro more than the shop said, please refund the difference to my card"
    train[1040] = "Hello<br>my order never arrived &amp; the tracking link does not work at all, please help me"
    train[1041] = "<p class='x'>Order missing</p> and the courier left no note, I need it before Friday please"
    train[1050] = "São Paulo résumé naïve – “quoted” text: 5 < 6 and 7 > 3, AT&T and Müller are fine here too"
    val = pd.Series(["a reply with a broken \ufffd character in the middle of the sentence, please fix it", None])
    issues = text_quality("text", {"train": train, "val": val})
    found = by_kind(issues)
    assert found == {"empty": [1003], "whitespace_only": [1010], "too_short": [1020], "too_long": [1021],
                     "mojibake": [1030, 1031], "markup": [1040, 1041]}
    assert by_kind(issues, "val") == {"mojibake": [0]}  # a missing cell is not an empty text
    markup = next(i for i in issues if i.kind == "markup")
    assert markup.count == 2 and markup.column == "text" and markup.examples[0].startswith("Hello<br>")


def test_a_column_of_one_length_has_no_extremes():
    values = pd.Series(["abcd efgh"] * 40)
    assert text_quality("t", {"train": values}) == []
