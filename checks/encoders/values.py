"""How a column's cells are read: as numbers, as text keys, as the canonical form rows are hashed in.

Every encoder reads cells through these few functions, so ``1`` in one file and ``1.0`` in
another, a date with a zone and the same instant without one, or a missing cell and an
infinity, mean the same thing in every representation. Each engine that cannot run pandas
(Spark) writes the same rules as its own expressions and names the function it follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MISSING_TEXT = "\x00<missing>"


def is_numeric(series: pd.Series) -> bool:
    """Numbers, booleans or dates (a pandas categorical is never numeric, whatever it holds)."""
    return (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
            or pd.api.types.is_datetime64_any_dtype(series)) and not isinstance(series.dtype, pd.CategoricalDtype)


def is_dates(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


def as_float(series: pd.Series) -> np.ndarray:
    """float64 values with NaN for missing and infinite cells; dates as seconds since 1970."""
    if is_dates(series):
        stamps = series.dt.tz_convert("UTC").dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None \
            else series
        seconds = stamps.astype("datetime64[ns]").to_numpy().astype("int64") / 1e9
        return np.where(series.isna().to_numpy(), np.nan, seconds)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def as_text(series: pd.Series) -> pd.Series:
    """Text keys with numbers written one way (``1``, ``"1"`` and ``1.0`` agree), missing as NA."""
    as_number = pd.to_numeric(series, errors="coerce")
    text = series.astype("string")
    numeric_text = (as_number + 0.0).astype("float64").map(float.__repr__, na_action="ignore").astype("string")
    return numeric_text.where(as_number.notna(), text)


def canonical_column(values: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """One representation of a column across splits, for the row hashes.

    Floats where every split holds numbers or booleans: equal numbers hash equally whatever
    their dtype (``-0.0`` like ``0.0``, every NaN alike). A column that is anything else in
    any split (text, dates, a pandas categorical) is compared as text keys (:func:`as_text`),
    missing cells as one marker.
    """
    if all(pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) for s in values.values()):
        # hash_pandas_object already hashes every NaN alike and -0.0 like 0.0; float64 is the
        # one dtype both splits must share.
        return {split: s.astype("float64") for split, s in values.items()}
    return {split: as_text(s).fillna(MISSING_TEXT) for split, s in values.items()}
