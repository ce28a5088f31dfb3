"""Text pairs side by side: a flagged row's text beside its partner's, the differing words marked.

For findings on rows of a table with free text (exact copies after normalisation, near copies,
near leaks, conflicting labels), each shown pair gets its texts in two columns, cut to
``MAX_WORDS`` words each, with the words that differ marked (a word-level ``difflib``
alignment of the words case folded, punctuation at their ends dropped, so a copy changed
only in case shows no mark). The words are data: the template escapes them like every other value.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

MAX_WORDS = 80

# (evidence row, (split, row) flagged, (split, row, relation) of its partner or None, the
# flagged row's values, the partner's values): what the evidence table has read of a pair.
Pair = tuple[Mapping[str, Any], tuple[str, Any], tuple[str, Any, str] | None, "pd.Series | None", "pd.Series | None"]


def text_pairs(columns: list[str], shown: list[Pair]) -> list[dict[str, Any]]:
    """The shown rows' texts in ``columns`` beside their partners', one entry a pair and column."""
    pairs = []
    for evidence, flagged, partner, values, other in shown:
        if partner is None or values is None or other is None:
            continue
        for column in columns:
            left, right = marked_words(_text(values.get(column)), _text(other.get(column)))
            pairs.append({"flagged": f"{flagged[0]} row {flagged[1]}", "partner": f"{partner[0]} row {partner[1]}",
                          "column": column, "similarity": evidence.get("similarity"), "left": left, "right": right})
    return pairs


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def marked_words(left: str, right: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both texts as runs of words, each run marked when it differs from the other text."""
    a, b = left.split(), right.split()
    runs_a: list[dict[str, Any]] = []
    runs_b: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, [_key(w) for w in a], [_key(w) for w in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        differs = tag != "equal"
        _add(runs_a, a[i1:i2], differs)
        _add(runs_b, b[j1:j2], differs)
    return _cut(runs_a), _cut(runs_b)


def _key(word: str) -> str:
    """A word as compared: case folded, punctuation at its ends dropped (as the normalisation does)."""
    return re.sub(r"^\W+|\W+$", "", word.casefold())


def _add(runs: list[dict[str, Any]], words: list[str], differs: bool) -> None:
    if words:
        runs.append({"text": " ".join(words), "differs": differs, "n_words": len(words)})


def _cut(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs up to ``MAX_WORDS`` words, the last one cut with an ellipsis."""
    kept, n_words = [], 0
    for run in runs:
        if n_words + run["n_words"] > MAX_WORDS:
            words = run["text"].split()[:MAX_WORDS - n_words]
            kept.append({**run, "text": " ".join(words) + " \u2026"})
            break
        kept.append(run)
        n_words += run["n_words"]
    return kept
