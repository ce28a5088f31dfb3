"""Values as a reader sees them: printable, short, with numbers written the same way everywhere.

Escaping is the template's job (Jinja2 autoescaping, every attribute quoted); these helpers
only make a value printable and short, and keep the full text for a tooltip when they cut it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

MAX_TIP_CHARS = 400
MAX_LISTED = 12

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text(value: Any, limit: int) -> str:
    """Printable text of at most ``limit`` characters (escaping is the template's job)."""
    flat = _CONTROL.sub("\ufffd", str(value)).replace("\r\n", "\n")
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def fmt(value: Any, digits: int = 4) -> str:
    """A value as a person reads it: numbers short, lists and mappings abbreviated."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return "NA" if math.isnan(number) else ("inf" if number > 0 else "-inf")
        return f"{number:.{digits}g}" if abs(number) < 1e15 else f"{number:.{digits}e}"
    if isinstance(value, Mapping):
        items = list(value.items())
        shown = ", ".join(f"{fmt(k)}: {fmt(v)}" for k, v in items[:MAX_LISTED])
        return shown + (f", \u2026 ({len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return listing(items)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None:
        return "none"
    return str(value)


def listing(items: Sequence[Any], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(fmt(item) for item in list(items)[:limit])
    if len(items) > limit:
        shown += f", \u2026 ({len(items) - limit} more)"
    return shown or "none"


def items(mapping: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """(key, value text, full text when shortened) for settings, parameters and metrics."""
    shown_items = []
    for key, value in (mapping or {}).items():
        full = fmt(value)
        if isinstance(key, str) and key.endswith("fraction") and is_number(value) and 0 <= value <= 1:
            full = f"{fmt(value)} ({float(value):.2%})"
        shown = text(full, 160)
        shown_items.append((text(key, 60), shown, text(full, MAX_TIP_CHARS) if shown != full else ""))
    return shown_items


def unset(value: Any) -> bool:
    return value is None or (isinstance(value, (Mapping, list, tuple, set, str)) and len(value) == 0)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def epoch_text(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"~{value:.1f}"


def paragraphs(doc: str) -> list[list[dict[str, Any]]]:
    """Reflow a docstring section into paragraphs; ````code```` spans become code segments.

    A line opening with ````name````: starts a new paragraph, as the checks write one per code.
    """
    found, current = [], []
    for line in doc.splitlines():
        stripped = line.strip()
        if not stripped or (current and re.match(r"``[^`]+``:", stripped)):
            if current:
                found.append(" ".join(current))
            current = [stripped] if stripped else []
            continue
        current.append(stripped)
    if current:
        found.append(" ".join(current))
    return [[{"code": i % 2 == 1, "text": text(part, 2000)} for i, part in enumerate(p.split("``")) if part]
            for p in found]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-")[:40] or "check"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
