"""The encoded feature matrix: every split's features as one float32 array, computed once per audit.

Checks that compare rows by distance (near duplicates, near leakage) and models that need
numbers (out-of-fold probabilities for label issues) all start from the same encoding, so it
is built once through :meth:`~checks.base.AuditData.shared` and reused:

- numeric and boolean columns (and dates, as seconds) are centred on the train median and
  divided by the train interquartile range (the standard deviation where the IQR is 0, 1
  where both are), so one outlier does not squash a column and every split is scaled alike;
- NaN and infinities are imputed with the train median (0 after scaling), and a 0/1
  ``<column>__missing`` indicator is added for every column that has any, so a missing
  value does not look like a typical one;
- text and categorical columns with at most ``MAX_CATEGORIES`` distinct values in train are
  one-hot encoded (categories from train, in sorted order; a missing value, or one train
  lacks, sets a ``<column>__missing`` indicator instead), each indicator scaled by
  1/sqrt(2) so that two rows differing in one category are at distance 1, like two numeric
  values one IQR apart;
- identifier-like and high-cardinality columns (free text, text ids, whole-number columns
  unique per row that count up or fill their range) are left out;
  :attr:`EncodedFeatures.dropped` names each with the reason.

The result depends only on the data (no randomness), and is float32 to halve its memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from checks.base import AuditData

MAX_CATEGORIES = 50
# Integer columns unique per row are identifiers (a row counter, an account number); below
# this many rows "unique" says too little to drop a column.
MIN_ROWS_FOR_ID = 50
ONE_HOT_SCALE = np.float32(1 / np.sqrt(2))
Block = tuple[str, str, dict[str, np.ndarray]]  # (encoded name, input column, array per split)


@dataclass(frozen=True)
class EncodedFeatures:
    """The encoded matrices per split, the name of each matrix column, and what was left out.

    ``matrices[split]`` has one row per row of ``data.frames[split]``, in the same order, so
    position ``i`` of the matrix is the frame's ``index[i]`` (its data-row number).
    ``sources`` maps each encoded column to the input column it came from; ``dropped`` lists
    ``{"column", "reason"}`` for every feature column that is not in the matrix.
    """

    matrices: dict[str, np.ndarray]
    columns: list[str]
    sources: list[str]
    dropped: list[dict[str, str]] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        return len(self.columns)


def encoded_features(data: AuditData) -> EncodedFeatures:
    """The shared encoded feature matrix of ``data`` (computed on first use, then cached)."""
    return data.shared("encoded_features", encode_features)


def encode_features(data: AuditData) -> EncodedFeatures:
    """Encode ``data``'s feature columns; prefer :func:`encoded_features`, which caches."""
    splits = data.splits
    n_rows = {split: len(data.frames[split]) for split in splits}
    blocks: list[Block] = []
    dropped: list[dict[str, str]] = []
    for column in data.feature_columns:
        values = {split: data.frames[split][column] for split in splits}
        encoded, reason = encode_column(column, values)
        if reason is not None:
            dropped.append({"column": str(column), "reason": reason})
        blocks.extend(encoded)

    columns = [name for name, _, _ in blocks]
    sources = [source for _, source, _ in blocks]
    matrices = {}
    for split in splits:
        matrix = np.empty((n_rows[split], len(blocks)), dtype=np.float32)
        for j, (_, _, arrays) in enumerate(blocks):
            matrix[:, j] = arrays[split]
        matrices[split] = matrix
    return EncodedFeatures(matrices=matrices, columns=columns, sources=sources, dropped=dropped)


def encode_column(column: str, values: dict[str, pd.Series]) -> tuple[list[Block], str | None]:
    """The encoded columns of one input column, or none and the reason it was left out."""
    train = values["train"]
    if all(is_numeric(s) for s in values.values()):
        numbers = {split: as_float(s) for split, s in values.items()}
        if _is_integer_identifier(numbers["train"]):
            return [], integer_identifier_reason(len(train))
        return _numeric_blocks(str(column), numbers), None

    text = {split: _as_text(s) for split, s in values.items()}
    n_distinct = int(text["train"].nunique(dropna=True))
    if n_distinct > MAX_CATEGORIES:
        unique_per_row = n_distinct == int(text["train"].notna().sum())
        kind = "identifier-like: unique per row" if unique_per_row else "high-cardinality text"
        return [], f"{kind} ({n_distinct} distinct values in train, more than {MAX_CATEGORIES} to one-hot encode)"
    return _one_hot_blocks(str(column), text), None


def integer_identifier_reason(n_train_rows: int) -> str:
    return (f"identifier-like: whole numbers, unique in each of the {n_train_rows} train rows, "
            f"in file order or filling their range")


def integer_identifiers(data: AuditData) -> dict[str, str]:
    """Feature columns that are row counters or the like, each with the reason it is one.

    A column of whole numbers unique per train row (an index written by ``to_csv``, an
    undeclared record number) tells every row apart, so rows compared with it can never
    be equal: the row hashes leave such columns out, as the encoded matrix does.
    """
    return data.shared("integer_identifiers", _find_integer_identifiers)


def _find_integer_identifiers(data: AuditData) -> dict[str, str]:
    found = {}
    for column in data.feature_columns:
        train = data.frames["train"][column]
        if is_numeric(train) and _is_integer_identifier(as_float(train)):
            found[column] = integer_identifier_reason(len(train))
    return found


def is_numeric(series: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
            or pd.api.types.is_datetime64_any_dtype(series)) and not isinstance(series.dtype, pd.CategoricalDtype)


def as_float(series: pd.Series) -> np.ndarray:
    """float64 values with NaN for missing and infinite cells; dates as seconds since 1970."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.dt.tz_convert("UTC").dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None \
            else series
        seconds = stamps.astype("datetime64[ns]").to_numpy().astype("int64") / 1e9
        return np.where(series.isna().to_numpy(), np.nan, seconds)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def _is_integer_identifier(train: np.ndarray) -> bool:
    """Whole numbers, unique per row, and either in file order or filling most of their range.

    A counter or a shuffled counter is an identifier; prices or counts that happen to be
    unique in a small file are spread thinly over their range and stay features.
    """
    if len(train) < MIN_ROWS_FOR_ID or np.isnan(train).any() or not np.all(train == np.round(train)):
        return False
    distinct = np.unique(train)
    if len(distinct) < len(train):
        return False
    steps = np.diff(train)
    in_order = bool((steps > 0).all() or (steps < 0).all())
    dense = len(distinct) >= 0.5 * (distinct[-1] - distinct[0] + 1)
    return in_order or dense


def _numeric_blocks(name: str, numbers: dict[str, np.ndarray]) -> list[Block]:
    train = numbers["train"]
    present = train[~np.isnan(train)]
    if len(present):
        low, centre, high = np.quantile(present, [0.25, 0.5, 0.75])
        scale = high - low
        if not scale > 0:
            scale = float(np.std(present))
        if not scale > 0:
            scale = 1.0
    else:
        centre, scale = 0.0, 1.0
    scaled = {}
    missing = {}
    for split, values in numbers.items():
        is_missing = np.isnan(values)
        column = ((values - centre) / scale).astype(np.float32)
        column[is_missing] = 0.0
        scaled[split] = column
        missing[split] = is_missing.astype(np.float32)
    blocks = [(name, name, scaled)]
    if any(m.any() for m in missing.values()):
        blocks.append((f"{name}__missing", name, missing))
    return blocks


def _as_text(series: pd.Series) -> pd.Series:
    """Text keys with numbers written one way (``1`` and ``1.0`` agree), missing as NA."""
    as_number = pd.to_numeric(series, errors="coerce")
    text = series.astype("string")
    numeric_text = (as_number + 0.0).astype("float64").map(float.__repr__, na_action="ignore").astype("string")
    return numeric_text.where(as_number.notna(), text)


def _one_hot_blocks(name: str, text: dict[str, pd.Series]) -> list[Block]:
    categories = sorted(text["train"].dropna().unique().tolist())
    lookup = pd.Index(categories, dtype="string")
    codes = {split: lookup.get_indexer(s) for split, s in text.items()}
    blocks = []
    for k, category in enumerate(categories):
        blocks.append((f"{name}={category}", name,
                       {split: (c == k).astype(np.float32) * ONE_HOT_SCALE for split, c in codes.items()}))
    if any((c == -1).any() for c in codes.values()):
        # Missing (or unseen in train) is its own indicator, so it differs from every category.
        blocks.append((f"{name}__missing", name,
                       {split: (c == -1).astype(np.float32) * ONE_HOT_SCALE for split, c in codes.items()}))
    return blocks
