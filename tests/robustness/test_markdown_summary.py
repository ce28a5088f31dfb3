"""Labels that are Markdown stay text in the GitHub job summary: no link, image, emphasis or HTML."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from audit.render.github import render_summary
from tests.conftest import audit_checks

HOSTILE_LABELS = [
    "[Click](https://evil.example)", "![x](https://evil.example/t.png)", "<img src=x onerror=alert(1)>",
    "https://bare.example/path", "www.evil.example", "mail me@evil.example", "**bold** _em_ ~~gone~~",
    "`code` | cell | break", "$x^2$ math", "<https://angle.example>", "[ref]: https://evil.example",
    "line\nbreak", "back\\slash [x]\\(y)",
]
OUR_TAGS = {"h2", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "strong"}


@pytest.fixture(scope="module", params=range(0, len(HOSTILE_LABELS), 5), ids=lambda start: f"labels {start}+")
def summary_html(request) -> tuple[str, str, list[str]]:
    """The summary of a val split whose labels (five at a time) train never has: each is listed."""
    labels = HOSTILE_LABELS[request.param:request.param + 5]
    train = pd.DataFrame({"a": range(40), "y": ["p", "q"] * 20})
    val = pd.DataFrame({"a": range(100, 100 + 2 * len(labels)), "y": labels * 2})
    report = audit_checks(train, val, label="y", checks=["class_balance"])
    summary = render_summary(report)
    return summary, MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(summary), labels


def test_no_markup_comes_from_the_data(summary_html):
    _, html, _ = summary_html
    tags = set(re.findall(r"<([a-z0-9]+)", html))
    assert tags <= OUR_TAGS, tags - OUR_TAGS
    assert "<a " not in html and "<img" not in html and "<em>" not in html and "<s>" not in html


def test_no_bare_link_github_would_make_by_itself(summary_html):
    _, html, _ = summary_html
    assert not re.search(r"(?i)(https?|ftp)://|www\.|\w@\w", html)


def test_the_values_read_as_written_each_in_its_cell(summary_html):
    summary, html, labels = summary_html
    rows = [line for line in summary.splitlines() if line.startswith("| fail |") or line.startswith("| warn |")]
    assert rows and all(line.count(" | ") == 4 for line in rows), rows  # five cells: no | ends a cell early
    text = html_text(html)
    for label in labels:
        assert " ".join(label.split()) in text, label


def html_text(html: str) -> str:
    """What a reader sees: tags dropped, entities decoded, zero-width spaces invisible."""
    import html as entities

    return entities.unescape(re.sub(r"<[^>]+>", "", html)).replace("\u200b", "")
