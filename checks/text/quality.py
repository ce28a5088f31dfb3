"""Data-quality facts of a text column, per split, each with every row it concerns.

- ``empty``: the text is the empty string (missing cells are the tabular checks' business);
- ``whitespace_only``: spaces, tabs or line breaks and nothing else;
- ``too_short`` / ``too_long``: the length is extreme *for this column*: the robust z-score of
  log(1 + characters), centred on the train median and scaled by 1.4826 x the train median
  absolute deviation (the standard deviation when that is 0), is beyond ``max_abs_z``, and
  the length is at most a ``MIN_LENGTH_RATIO``-th of the train median or at least that many
  times it. Logs, because lengths are skewed (a ticket twice the typical length is ordinary,
  a tenth of it is not); median and MAD, because the outliers must not set their own
  yardstick; the ratio, because a column of very even lengths (templated tickets) has so
  small a spread that half the typical length would already be "extreme";
- ``mojibake``: text decoded with the wrong encoding: a UTF-8 lead byte read as Latin-1 or
  Windows-1252 followed by continuation bytes read the same way ("Ã©" for "é", "â€™" for "’",
  "Â " for a non-breaking space), or the replacement character U+FFFD;
- ``markup``: HTML or XML remnants: tags (``<br>``, ``</p>``, ``<div class=...>``) or
  character entities (``&amp;``, ``&#39;``, ``&nbsp;``).

The patterns run as Arrow regular-expression kernels (RE2: linear time, no backtracking).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from checks.base import Finding, Severity, agree, counted, row_evidence
from checks.text.normalise import arrow_strings

MAX_ABS_Z = 5.0
MIN_LENGTH_RATIO = 4.0
EXAMPLES_SHOWN = 3
EXAMPLE_CHARACTERS = 80
ISSUE_KINDS = ("empty", "whitespace_only", "too_short", "too_long", "mojibake", "markup")
# Bytes 0x80-0xBF of a UTF-8 sequence as Latin-1 (C1 controls and U+00A0-U+00BF) or as
# Windows-1252 (its printable characters at 0x80-0x9F).
_CONTINUATION = "[\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d" \
                "\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
MOJIBAKE = (f"[\u00c2-\u00df]{_CONTINUATION}|[\u00e0-\u00ef]{_CONTINUATION}{{2}}"
            f"|[\u00f0-\u00f4]{_CONTINUATION}{{3}}|\ufffd")
MARKUP = r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"


@dataclass(frozen=True)
class TextIssue:
    """One kind of problem in one text column of one split: how many rows, which, examples."""

    column: str
    split: str
    kind: str
    rows: np.ndarray
    examples: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)


ISSUE_WORDS = {  # verb (plural, singular), then what the rows are or hold
    "empty": ("are", "is", "empty"), "whitespace_only": ("are", "is", "whitespace only"),
    "too_short": ("are", "is", "extremely short for the column"),
    "too_long": ("are", "is", "extremely long for the column"),
    "mojibake": ("hold", "holds", "mojibake (text decoded with the wrong encoding)"),
    "markup": ("hold", "holds", "HTML or markup remnants"),
}


def issue_finding(issue: TextIssue, n_rows: int) -> Finding:
    """A data-quality finding (warn) on one text issue, with every row it concerns."""
    share = issue.count / n_rows if n_rows else 0.0
    plural, singular, what = ISSUE_WORDS[issue.kind]
    return Finding(
        code="data_quality", severity=Severity.WARN,
        message=(f"{issue.split}: {counted(issue.count)} ({share:.2%}) of the text column {issue.column!r} "
                 f"{agree(issue.count, plural, singular)} {what}; e.g. "
                 + "; ".join(repr(e) for e in issue.examples) + "."),
        metrics={"split": issue.split, "column": issue.column, "text_issue": issue.kind, "n_rows": issue.count,
                 "fraction": share, "examples": issue.examples},
        rows=row_evidence(issue.split, issue.rows.tolist()),
        columns=[{"column": issue.column, "text_issue": issue.kind}],
    )


@dataclass(frozen=True)
class LengthScale:
    """The train yardstick of lengths: median and robust scale of log(1 + characters)."""

    centre: float
    scale: float

    def z(self, lengths: np.ndarray) -> np.ndarray:
        return (np.log1p(lengths) - self.centre) / self.scale


def length_scale(train: pd.Series) -> LengthScale | None:
    """The yardstick from train's non-blank texts; None when fewer than two or all one length."""
    _, lengths = _arrow_texts(train)
    lengths = lengths[lengths > 0]
    if len(lengths) < 2:
        return None
    logs = np.log1p(lengths)
    centre = float(np.median(logs))
    scale = 1.4826 * float(np.median(np.abs(logs - centre)))
    if not scale > 0:
        scale = float(np.std(logs))
    return LengthScale(centre, scale) if scale > 0 else None


def text_quality(column: str, splits: dict[str, pd.Series], max_abs_z: float = MAX_ABS_Z) -> list[TextIssue]:
    """Every issue found in ``column``, split by split (train first), kinds in ``ISSUE_KINDS`` order."""
    import pyarrow.compute as pc

    scale = length_scale(splits["train"])
    issues = []
    for split, values in splits.items():
        present = values.notna().to_numpy()
        text, lengths = _arrow_texts(values)
        blank = pc.fill_null(pc.match_substring_regex(text, r"^\s*$"), False).to_numpy(zero_copy_only=False)
        masks = {
            "empty": present & (lengths == 0),
            "whitespace_only": present & blank & (lengths > 0),
            "mojibake": pc.fill_null(pc.match_substring_regex(text, MOJIBAKE), False).to_numpy(zero_copy_only=False),
            "markup": pc.fill_null(pc.match_substring_regex(text, MARKUP), False).to_numpy(zero_copy_only=False),
        }
        z = scale.z(lengths) if scale is not None else np.zeros(len(values))
        ratio = np.log1p(lengths) - (scale.centre if scale is not None else 0.0)
        sized = present & ~blank
        masks["too_short"] = sized & (z < -max_abs_z) & (ratio <= -np.log(MIN_LENGTH_RATIO))
        masks["too_long"] = sized & (z > max_abs_z) & (ratio >= np.log(MIN_LENGTH_RATIO))
        for kind in ISSUE_KINDS:
            where = np.flatnonzero(masks[kind])
            if len(where):
                shown = values.iloc[where[:EXAMPLES_SHOWN]].map(lambda v: str(v)[:EXAMPLE_CHARACTERS]).tolist()
                issues.append(TextIssue(str(column), split, kind, values.index.to_numpy()[where], shown))
    return issues


def _arrow_texts(values: pd.Series):
    """The values as Arrow strings (missing as null) and their lengths in characters (0 if missing)."""
    import pyarrow.compute as pc

    text = arrow_strings(values)
    return text, pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False).astype(np.int64)
