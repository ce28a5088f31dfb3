"""What the pandas checks' finding builders need from Spark results, in pandas' terms.

The checks build their findings from counts and flagged rows (``duplicates_finding``,
``ExactLeakage.finding``, ...), and Spark brings back only those, so both engines call one
builder. Where a finding depends on nothing but label counts (``class_imbalance``,
``label_shift``), the check's own method is called with :class:`CountedLabels`, which answers
``value_counts`` from counts. Spark's datetimes become pandas Timestamps with :func:`plain`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd


class CountedLabels:
    """Stands in for a label Series where only ``value_counts`` is asked for.

    ``counts`` is ordered by each class's first row, as pandas' hash table sees the classes,
    so ties in ``value_counts`` (a stable sort by count) come out in pandas' order.
    """

    def __init__(self, counts: Sequence[tuple[Any, int]]):
        self._counts = pd.Series([n for _, n in counts], index=pd.Index([k for k, _ in counts], dtype=object),
                                 dtype="int64")

    def value_counts(self, normalize: bool = False) -> pd.Series:
        result = self._counts.sort_values(ascending=False, kind="stable")
        return result / result.sum() if normalize else result

    def __len__(self) -> int:
        return int(self._counts.sum())


def plain(value: Any) -> Any:
    """Spark's Python values as pandas gives them: datetimes become Timestamps."""
    if isinstance(value, (dt.datetime, dt.date)) and not isinstance(value, pd.Timestamp):
        return pd.Timestamp(value)
    return value
