"""Turn files or DataFrames plus column roles into the :class:`~checks.base.AuditData` bundle.

This is the single place where input is validated: after it, checks may assume a label column
without empty cells, the same columns in both splits, and frames indexed by the 0-based
data-row number of the input they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit.errors import InputError
from audit.readers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_ROWS,
    closest_names,
    file_format,
    npy_declared_shape,
    npz_declared_shapes,
    read_csv_table,
    read_npz_arrays,
    read_npz_splits,
    read_parquet_table,
)
from audit.validate.files import refuse_missing, refuse_not_npy
from checks.base import AuditData
from checks.images.table import DEFAULT_MAX_IMAGE_PIXELS


PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def holds_pictures(train: object, options: "ReadOptions") -> bool:
    """Whether inputs are pictures: a folder of picture files, a table of their paths, or .npz picture arrays."""
    if options.image_column:
        return True
    if not isinstance(train, (str, Path)) or not Path(train).exists():
        return False
    path = Path(train)
    if path.is_dir():
        return any(p.suffix.lower() in PICTURE_SUFFIXES for p in path.rglob("*")) and not any(path.rglob("*.parquet"))
    return file_format(path) == "npz" and is_picture_array(npz_declared_shapes(path).get("x_train", ((),))[0])


def is_picture_array(shape: tuple[int, ...]) -> bool:
    """``(n, h, w)`` or ``(n, h, w, c)`` with 1, 3 or 4 channels: pictures, not columns."""
    return len(shape) == 3 or (len(shape) == 4 and shape[3] in (1, 3, 4))

SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "validation": "val"}


@dataclass(frozen=True)
class Roles:
    """What each special column is; every other column is a feature."""

    label: str
    id_column: str | None = None
    group_column: str | None = None
    time_column: str | None = None
    ignored: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()

    def literal_columns(self) -> set[str]:
        """Columns read as text exactly as written: ``007`` is an id, ``NA`` a class or a word."""
        return {c for c in (self.label, self.id_column, self.group_column, *self.text_columns) if c}

    def declared_kinds(self) -> dict[str, str]:
        """The kinds the user declared (``--text-column``); ``--ignore`` wins over a declaration."""
        return {column: "text" for column in self.text_columns if column not in self.ignored}

    def named(self) -> list[tuple[str, str]]:
        """(flag, column) for every role given, for error messages that name the flag."""
        pairs = [("--label", self.label), ("--id-column", self.id_column),
                 ("--group-column", self.group_column), ("--time-column", self.time_column)]
        pairs += [("--ignore", c) for c in self.ignored]
        pairs += [("--text-column", c) for c in self.text_columns]
        return [(flag, column) for flag, column in pairs if column]


DEFAULT_CNN_BUDGET_S = 180.0  # seconds of the small CNN of label issues on pictures (audit.images.cnn)


@dataclass(frozen=True)
class ReadOptions:
    """How to read files, and the size limits that keep a bad file from exhausting the machine."""

    sep: str | None = None
    encoding: str = "utf-8"
    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    image_column: str | None = None
    embeddings: tuple[str, ...] = ()
    image_model: str = "auto"
    cnn_budget_s: float = DEFAULT_CNN_BUDGET_S


@dataclass
class InputFiles:
    """Where the splits came from, kept so fixed splits can be written in the same format."""

    train: Path
    val: Path | None = None
    split_column: str | None = None
    options: ReadOptions = field(default_factory=ReadOptions)


def load_files(files: InputFiles, roles: Roles, random_state: int = 0) -> AuditData:
    """Read the files named in ``files`` and validate them against ``roles``."""
    if files.train.is_dir():
        from audit.images.folders import load_image_folders

        return load_image_folders(files.train, files.val, files.options.max_image_pixels, random_state)
    if files.options.image_column:
        return load_path_tables(files, roles, random_state)
    train_format = file_format(files.train)
    if train_format == "npz":
        if files.val is not None or files.split_column:
            raise InputError(f"{files.train}: an .npz file holds both splits; do not also pass --val or --split-column")
        options = files.options
        if is_picture_array(npz_declared_shapes(files.train).get("x_train", ((),))[0]):
            from audit.images.arrays import load_image_arrays

            arrays = read_npz_arrays(files.train, options.max_bytes, options.max_rows, options.max_columns)
            return load_image_arrays(files.train, arrays, roles.label or "label", options.max_image_pixels,
                                     random_state)
        frames = read_npz_splits(files.train, roles.label, options.max_bytes, options.max_rows, options.max_columns)
        sources = {split: str(files.train) for split in frames}
        return build(frames, roles, sources, random_state)

    if files.split_column:
        if files.val is not None:
            raise InputError("--split-column splits one file; do not also pass --val")
        frame = read_one(files.train, roles, files.options, extra_literal={files.split_column})
        frames = split_by_column(frame, files.split_column, files.train)
        sources = {split: str(files.train) for split in frames}
        return build(frames, roles, sources, random_state)

    frames = {"train": read_one(files.train, roles, files.options)}
    sources = {"train": str(files.train)}
    if files.val is not None:
        if file_format(files.val) == "npz":
            raise InputError(f"{files.val}: an .npz validation file is not supported; put x_val and y_val into the train .npz")
        frames["val"] = read_one(files.val, roles, files.options)
        sources["val"] = str(files.val)
    return build(frames, roles, sources, random_state)


def load_path_tables(files: InputFiles, roles: Roles, random_state: int) -> AuditData:
    """Pictures listed by CSV or Parquet files: a column of paths (``--image-column``) and the label."""
    from audit.images.tables import load_image_tables

    options = files.options
    sources = {"train": files.train, **({"val": files.val} if files.val is not None else {})}
    frames = {split: read_one(path, roles, options, extra_literal={options.image_column})
              for split, path in sources.items()}
    for split, frame in frames.items():
        if roles.label not in frame.columns:
            raise InputError(f"{sources[split]}: --label {roles.label!r} is not a column; "
                             f"{closest_names(roles.label, frame.columns)}")
        check_labels(frame[roles.label], roles.label, str(sources[split]))
    return load_image_tables(frames, sources, options.image_column, roles.label, options.max_image_pixels,
                             random_state)


def read_one(path: Path, roles: Roles, options: ReadOptions, extra_literal: set[str] = frozenset()) -> pd.DataFrame:
    if file_format(path) == "parquet":
        return read_parquet_table(path, options.max_rows, options.max_columns, options.max_bytes)
    return read_csv_table(path, roles.literal_columns() | set(extra_literal), options.sep,
                          options.encoding, options.max_bytes, options.max_rows, options.max_columns)


def split_by_column(frame: pd.DataFrame, column: str, path: Path) -> dict[str, pd.DataFrame]:
    """Cut one table into train and val by a column, keeping each row's position in the file."""
    if column not in frame.columns:
        raise InputError(f"{path}: the split column {column!r} is not in the file; {closest_names(column, frame.columns)}")
    names = frame[column].astype("string").str.strip().str.lower().map(SPLIT_NAMES)
    unknown = names.isna()
    if unknown.any():
        row = int(frame.index[unknown][0])
        raise InputError(
            f"{path}: row {row} has {frame[column].loc[row]!r} in the split column {column!r}; "
            f"use train or val (also accepted: valid, validation)"
        )
    frames = {split: frame[names == split].drop(columns=column) for split in ("train", "val")}
    if frames["train"].empty:
        raise InputError(f"{path}: no row has 'train' in the split column {column!r}")
    return {split: part for split, part in frames.items() if not part.empty}


def from_frames(train: pd.DataFrame, val: pd.DataFrame | None, roles: Roles, random_state: int = 0) -> AuditData:
    """Validate DataFrames given through the API; row numbers are their 0-based positions."""
    frames = {"train": train.reset_index(drop=True)}
    sources = {"train": "DataFrame"}
    if val is not None:
        frames["val"] = val.reset_index(drop=True)
        sources["val"] = "DataFrame"
    for split, frame in frames.items():
        if len(set(map(str, frame.columns))) != len(frame.columns):
            raise InputError(f"the {split} DataFrame has duplicate column names; rename them")
        if frame.empty:
            raise InputError(f"the {split} DataFrame has no rows")
    return build(frames, roles, sources, random_state)


def build(frames: dict[str, pd.DataFrame], roles: Roles, sources: dict[str, str], random_state: int) -> AuditData:
    """Check roles, columns and labels across splits, then assemble the bundle."""
    train_columns = list(frames["train"].columns)
    for flag, column in roles.named():
        if column not in train_columns:
            raise InputError(f"{sources['train']}: {flag} {column!r} is not a column; {closest_names(column, train_columns)}")
    if "val" in frames:
        frames["val"] = align_columns(frames["val"], train_columns, sources)
    for split, frame in frames.items():
        check_labels(frame[roles.label], roles.label, sources[split])
    normalise_numeric_labels(frames, roles.label, sources["train"])
    if roles.time_column:
        for split, frame in frames.items():
            frame[roles.time_column] = parse_times(frame[roles.time_column], roles.time_column, sources[split])
        check_times_comparable(frames, roles.time_column, sources)
    data = AuditData(frames=frames, label=roles.label, id_column=roles.id_column,
                     group_column=roles.group_column, time_column=roles.time_column,
                     ignored=tuple(roles.ignored), sources=sources, random_state=random_state,
                     declared_kinds=roles.declared_kinds())
    if not data.feature_columns:
        raise InputError(f"{sources['train']}: no feature columns are left after the label and the role columns; "
                         f"check --label, --id-column, --group-column, --time-column and --ignore")
    return data


def align_columns(val: pd.DataFrame, train_columns: list[str], sources: dict[str, str]) -> pd.DataFrame:
    """Put val's columns in train's order; a column in only one split is an error."""
    check_same_columns(train_columns, list(val.columns), sources["val"])
    return val[train_columns]


def check_same_columns(train_columns: list[str], val_columns: list[str], val_source: str) -> None:
    """A column in only one split is an error that names the columns (order may differ)."""
    missing = [c for c in train_columns if c not in val_columns]
    extra = [c for c in val_columns if c not in train_columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(map(repr, missing[:5]))}")
        if extra:
            parts.append(f"has extra {', '.join(map(repr, extra[:5]))}")
        raise InputError(f"{val_source}: the validation columns differ from train's ({'; '.join(parts)}); "
                         f"give both splits the same columns")


def check_labels(labels: pd.Series, column: str, source: str) -> None:
    """An empty label cell is an error: it is neither a class nor a safe guess."""
    empty = labels.isna() | (labels.astype("string").str.strip() == "")
    if empty.any():
        rows = labels.index[empty.to_numpy()]
        shown = ", ".join(str(r) for r in rows[:5]) + (" ..." if len(rows) > 5 else "")
        raise InputError(
            f"{source}: the label column {column!r} is empty in {len(rows)} row(s) (data rows {shown}, "
            f"counted from 0 after the header); fill in the labels or drop those rows"
        )


# Labels that are all numbers, some not whole, with this many distinct values are a measurement
# (a price, a score rounded to 0.1), not classes: no classification task has twenty classes
# called 0.1, 0.2 ... and auditing them as classes would flag and drop most rows.
CONTINUOUS_MIN_DISTINCT = 20


def normalise_numeric_labels(frames: dict[str, pd.DataFrame], column: str, source: str) -> None:
    """Make ``1`` and ``1.0`` one class; refuse a label that is a continuous measurement.

    Labels stay text (``007`` and ``NA`` are classes) unless every label in both splits is a
    number and some are written with a decimal point: then integral values become integers.
    A numeric label with some values not whole and at least ``CONTINUOUS_MIN_DISTINCT``
    distinct values is a regression target, which these checks cannot audit: refused.
    """
    labels = pd.concat([frame[column] for frame in frames.values()], ignore_index=True)
    numbers = pd.to_numeric(labels, errors="coerce")
    if numbers.isna().any() or not pd.api.types.is_numeric_dtype(numbers):
        return
    integral = bool((numbers == numbers.round()).all())
    written_as_float = pd.api.types.is_float_dtype(labels) or labels.astype("string").str.contains(r"[.eE]").any()
    if integral and written_as_float:
        for frame in frames.values():
            frame[column] = pd.to_numeric(frame[column]).astype("int64").astype(
                "string" if not pd.api.types.is_numeric_dtype(frame[column]) else "int64")
        return
    n_distinct = numbers.nunique()
    if not integral and n_distinct >= CONTINUOUS_MIN_DISTINCT:
        raise InputError(
            f"{source}: the label column {column!r} looks like a regression target ({n_distinct} distinct "
            f"numbers, not all whole, in {len(numbers):,} rows; {CONTINUOUS_MIN_DISTINCT} or more such values "
            f"are read as a measurement, not classes); the audit needs class labels: bin the target or pick "
            f"the class column"
        )


def parse_times(values: pd.Series, column: str, source: str) -> pd.Series:
    """Numbers stay numbers; anything else must parse as a date or time."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    except ValueError:  # pandas refuses rows with different time zones
        parsed = mixed_zone_times(values, column, source)
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = values.index[bad.to_numpy()][0]
        raise InputError(f"{source}: row {row} of the time column {column!r} holds {values[row]!r}, "
                         f"which is not a date or time; fix it or pass the column with --ignore")
    return parsed


ZONE_SUFFIX = r"(?:Z|UTC|GMT|[+-]\d\d:?\d\d)$"


def mixed_zone_times(values: pd.Series, column: str, source: str) -> pd.Series:
    """Times whose rows carry different UTC offsets, in UTC; rows with and without one are refused."""
    text = values.astype("string").str.strip()
    zoned = text.str.contains(ZONE_SUFFIX, regex=True, na=False)
    plain = ~zoned & text.notna() & (text != "")
    if zoned.any() and plain.any():
        with_zone, without = values.index[zoned.to_numpy()][0], values.index[plain.to_numpy()][0]
        raise InputError(
            f"{source}: the time column {column!r} has a time zone in some rows (row {with_zone}: "
            f"{values[with_zone]!r}) and none in others (row {without}: {values[without]!r}); write every "
            f"time with its offset, or none"
        )
    return pd.to_datetime(values, errors="coerce", format="mixed", utc=True)


def check_times_comparable(frames: dict[str, pd.DataFrame], column: str, sources: dict[str, str]) -> None:
    """Train and val times must compare: numbers with numbers, dates with dates, time zones alike."""
    def kind(values: pd.Series) -> str:
        if not pd.api.types.is_datetime64_any_dtype(values):
            return "numbers"
        return "dates with a time zone" if getattr(values.dt, "tz", None) is not None else "dates without a time zone"

    kinds = {split: kind(frame[column]) for split, frame in frames.items()}
    if "val" in kinds and kinds["val"] != kinds["train"]:
        raise InputError(f"{sources['val']}: the time column {column!r} holds {kinds['val']} but train "
                         f"({sources['train']}) holds {kinds['train']}; write it the same way in both splits")


PROBABILITY_TOLERANCE = 1e-3


def attach_extra_inputs(data: AuditData, pred_probs: "str | Path | object | None" = None,
                        expectations: "str | Path | dict | None" = None, verbose: bool = False) -> AuditData:
    """Add ``--pred-probs``, ``--expectations`` and ``--verbose`` to a loaded bundle.

    Each may be a path (read and validated here) or, from the API, an array or a dict.
    """
    if pred_probs is not None:
        array = pred_probs if not isinstance(pred_probs, (str, Path)) else read_pred_probs(Path(pred_probs))
        data.pred_probs = check_pred_probs(array, data, str(pred_probs) if isinstance(pred_probs, (str, Path))
                                           else "pred_probs")
    if expectations is not None:
        data.expectations_suite = (check_expectations(expectations, "expectations")
                                   if isinstance(expectations, dict) else read_expectations(Path(expectations)))
    data.verbose = bool(verbose)
    return data


def read_pred_probs(path: Path):
    """A ``.npy`` array, loaded without pickle (an object array is refused, never run)."""
    import numpy as np

    if not path.is_file():
        refuse_missing(path, "--pred-probs takes a .npy file saved with numpy.save")
        raise InputError(f"{path}: not a file; --pred-probs takes a .npy file saved with numpy.save")
    refuse_not_npy(path, "--pred-probs")
    check_npy_declared_size(path)
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise InputError(f"{path}: cannot be read without pickle ({error}); save a float array with numpy.save") from None
    except (OSError, EOFError) as error:
        raise InputError(f"{path}: cannot be read as .npy ({error}); save the array with numpy.save") from None
    if not isinstance(array, np.ndarray):
        array.close()
        raise InputError(f"{path}: is an .npz archive; --pred-probs takes one array saved with numpy.save as .npy")
    return array


def check_npy_declared_size(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse an ``.npy`` whose header declares more than ``max_bytes``, before numpy allocates it."""
    import math

    with path.open("rb") as stream:
        if stream.read(6) != b"\x93NUMPY":
            return  # not an .npy: np.load says what it is
        stream.seek(0)
        try:
            shape, dtype = npy_declared_shape(stream)
        except ValueError as error:
            raise InputError(f"{path}: has a damaged .npy header ({error}); save the array with numpy.save") from None
    size = math.prod(shape) * dtype.itemsize
    if size > max_bytes:
        raise InputError(f"{path}: declares an array of shape {shape} ({size:,} bytes), over the limit of "
                         f"{max_bytes:,}; --pred-probs takes one row per train row and one column per class")


def check_pred_probs(array, data: AuditData, source: str):
    """Rows x classes of probabilities: one row per train row, columns in sorted label order."""
    import numpy as np

    from checks.oof import label_classes

    classes = label_classes(data.labels("train"))
    expected = (len(data.frames["train"]), len(classes))
    shown = ", ".join(str(c) for c in classes[:10]) + (" ..." if len(classes) > 10 else "")
    array = np.asarray(array)
    if array.dtype.kind not in "fiu":
        raise InputError(f"{source}: holds {array.dtype} values; --pred-probs needs float probabilities")
    if array.shape != expected:
        raise InputError(
            f"{source}: has shape {array.shape} but train has {expected[0]} rows and {expected[1]} classes; "
            f"give one row per train row (in file order) and one column per class, in sorted label order: {shown}"
        )
    array = array.astype(np.float64)
    bad = ~np.isfinite(array).all(axis=1) | (array < -PROBABILITY_TOLERANCE).any(axis=1) | (
        np.abs(array.sum(axis=1) - 1.0) > PROBABILITY_TOLERANCE)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{source}: row {row} is not a probability distribution (values {np.round(array[row, :5], 4).tolist()}"
            f"{' ...' if expected[1] > 5 else ''}, sum {array[row].sum():.4f}), nor are {int(bad.sum()) - 1} other "
            f"row(s); each row must be non-negative and sum to 1 (within {PROBABILITY_TOLERANCE}): apply "
            f"softmax to logits before saving"
        )
    return np.clip(array, 0.0, 1.0)


def read_expectations(path: Path) -> dict:
    """A great-expectations suite saved as JSON (``Infinity`` accepted, read as an open bound)."""
    import json

    if not path.is_file():
        raise InputError(f"{path}: no such file; --expectations takes a suite JSON file (see --write-expectations)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: is not valid JSON ({error}); give a suite written by --write-expectations "
                         f"or by great-expectations") from None
    return check_expectations(document, str(path))


def check_expectations(document, source: str) -> dict:
    """The suite's shape: an object whose ``expectations`` list holds ``{"type", "kwargs"}`` objects."""
    from checks.expectations_suite import json_safe

    if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
        raise InputError(f"{source}: a suite is a JSON object with an \"expectations\" list; "
                         f"write one with --write-expectations to see the layout")
    for position, item in enumerate(document["expectations"]):
        if not (isinstance(item, dict) and isinstance(item.get("type"), str)
                and isinstance(item.get("kwargs", {}), dict)):
            raise InputError(f"{source}: expectation {position} needs a \"type\" string and a \"kwargs\" object; "
                             f"got {str(item)[:80]}")
    return json_safe(document)
