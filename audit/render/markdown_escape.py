"""Text from the data made inert in GitHub-flavoured Markdown: shown as written, never rendered.

A label such as ``[Click](https://evil.example)`` or ``![x](https://evil.example/t.png)``
must not become a live link or an image in a job summary, nor a bare URL, an e-mail
address, emphasis, strikethrough, math or HTML. Markdown's punctuation is escaped with a
backslash, ``<``, ``>`` and ``&`` become entities, and a zero-width space is put after the
start of whatever GitHub would turn into a link by itself (``https://``, ``www.``, ``@``).
Line breaks become spaces, so a value stays in its table cell.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Every ASCII punctuation character that starts or ends inline Markdown or a table cell.
ESCAPED = set("\\`*_{}[]()!~|$")
AUTOLINK_START = re.compile(r"(?i)(https?|ftp|mailto|www|@)")


def inert_markdown(text: object) -> str:
    """``text`` on one line, every character of it shown literally by a Markdown renderer."""
    flat = " ".join(str(text).split())
    escaped = "".join(ENTITIES.get(char) or (f"\\{char}" if char in ESCAPED else char) for char in flat)
    return AUTOLINK_START.sub(lambda match: match.group(1) + ZERO_WIDTH_SPACE, escaped)
