"""Spark's Python values as the checks' finding builders expect them.

The checks build their findings from counts and flagged rows (``duplicates_finding``,
``ExactLeakage.finding``, ``ClassBalance.imbalance_finding``, ...), and Spark brings back only
those, so both engines call one builder. Spark's datetimes become pandas Timestamps with
:func:`plain`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd


def plain(value: Any) -> Any:
    """Spark's Python values as pandas gives them: datetimes become Timestamps."""
    if isinstance(value, (dt.datetime, dt.date)) and not isinstance(value, pd.Timestamp):
        return pd.Timestamp(value)
    return value
