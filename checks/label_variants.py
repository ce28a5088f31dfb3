"""Labels written several ways: ``cat``, ``cat `` and ``Cat`` are one class spelt three ways.

Read as text, each spelling is a class of its own: the imbalance, the label issues and the
fix plan all count them apart, and a terminal or a table shows ``cat`` and ``cat `` alike.
So the spellings that differ only in letter case or in spaces around the text are named
here, each quoted (its spaces visible) with its row count, from the label counts alone, so
every engine reports them alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from checks.base import Finding, Severity, agree, counted, row_evidence

GROUPS_SHOWN = 5


def spelling_key(label: Any) -> str:
    """What two spellings of one class share: the text without surrounding spaces, case folded."""
    return str(label).strip().casefold()


def variant_groups(label_counts: pd.Series) -> list[list[tuple[Any, int]]]:
    """Groups of two or more spellings of one class, each (label, rows) by rows then text."""
    groups: dict[str, list[tuple[Any, int]]] = {}
    for label, count in label_counts.items():
        if isinstance(label, str):
            groups.setdefault(spelling_key(label), []).append((label, int(count)))
    found = [sorted(group, key=lambda item: (-item[1], item[0])) for group in groups.values() if len(group) > 1]
    return sorted(found, key=lambda group: (-sum(n for _, n in group), group[0][0]))


def variants_finding(split: str, label_counts: pd.Series, rows: Iterable[int] = (),
                     labels: Iterable[Any] = ()) -> Finding | None:
    """``label_variants`` (fail) for one split's label counts, or None when each class is spelt one way.

    ``rows`` and ``labels``: the rows carrying a spelling other than the most common of its
    class, and that spelling, as the evidence.
    """
    groups = variant_groups(label_counts)
    if not groups:
        return None
    shown = "; ".join(", ".join(f"{label!r} ({counted(n)})" for label, n in group) for group in groups[:GROUPS_SHOWN])
    more = f"; and {len(groups) - GROUPS_SHOWN} more" if len(groups) > GROUPS_SHOWN else ""
    ways = f"written {len(groups[0])} ways" if len(groups) == 1 else "written several ways"
    return Finding(
        code="label_variants",
        severity=Severity.FAIL,
        message=(f"{split}: {counted(len(groups), 'label')} {agree(len(groups), 'are', 'is')} {ways} that differ "
                 f"only in case or surrounding spaces: {shown}{more}. Each spelling counts as a class of its own: "
                 f"write each class one way (strip the spaces, pick one case)."),
        metrics={"split": split, "n_labels": len(groups),
                 "variants": [{str(label): n for label, n in group} for group in groups]},
        rows=row_evidence(split, rows, label=labels),
    )


def split_variants_finding(split: str, labels: pd.Series) -> Finding | None:
    """:func:`variants_finding` for a split's labels, with the rows of each less common spelling."""
    counts = labels.value_counts(sort=False)
    groups = variant_groups(counts)
    if not groups:
        return None
    minor = {label for group in groups for label, _ in group[1:]}
    flagged = labels[labels.isin(minor)]
    return variants_finding(split, counts, flagged.index, flagged.to_numpy())
