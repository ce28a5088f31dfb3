"""Read CSV (plain or gzipped), Parquet and NumPy ``.npz`` files into DataFrames.

Every problem a user can fix becomes an :class:`InputError` naming the file and the line,
column or byte; nothing here executes or unpickles anything from the file.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import math
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from audit.errors import InputError
from audit.validate.files import refuse_missing, refuse_not_csv_text

# What counts as a missing feature value. The label, id and group columns are read as text
# with none of these, so a class called "NA" stays a class.
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None",
                  "#N/A", "#NA", "<NA>")
LIKELY_SEPARATORS = (";", "\t", "|")
DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_MAX_ROWS = 20_000_000
DEFAULT_MAX_COLUMNS = 10_000
NPZ_KEYS = ("x_train", "y_train", "x_val", "y_val")


def file_format(path: Path) -> str:
    """The format by file name: ``csv``, ``parquet`` or ``npz``."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".npz"):
        return "npz"
    raise InputError(f"{path}: unknown file type; give a .csv, .csv.gz, .parquet or .npz file")


def check_readable(path: Path) -> None:
    refuse_missing(path)
    if not path.is_file():
        raise InputError(f"{path}: not a file; give the path of a data file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; it needs a header line and data rows")


def read_text(path: Path, encoding: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The file's text, decompressed if gzipped; a byte-order mark is dropped.

    A gzipped file is decompressed twice: once counting (nothing kept), so a file expanding
    past ``max_bytes`` is refused holding one chunk, then once keeping the text.
    """
    check_readable(path)
    compressed = path.name.lower().endswith(".gz")
    opener = gzip.open if compressed else open
    try:
        size = decompressed_size(path, max_bytes) if compressed else path.stat().st_size
        if size > max_bytes:
            expanded = " once decompressed" if compressed else ""
            raise InputError(f"{path}: more than {max_bytes:,} bytes of text{expanded}, over the limit; "
                             f"raise --max-bytes if this is expected")
        with opener(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as error:
        what = "gzip file" if compressed else "file"
        raise InputError(f"{path}: cannot be read ({error}); check that it is a valid, complete {what}") from None
    refuse_not_csv_text(path, raw[:64])
    if not raw.strip():
        raise InputError(f"{path}: the file is empty; it needs a header line and data rows")
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: byte 0x{raw[error.start]:02x} at offset {error.start} is not valid {encoding}; "
            f"pass --encoding with the file's encoding (for example --encoding latin-1)"
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass a Python codec name to --encoding, such as utf-8") from None


GZIP_CHUNK_BYTES = 4 * 1024**2


def decompressed_size(path: Path, max_bytes: int) -> int:
    """The size of a gzipped file's content, counted while streaming; past ``max_bytes`` it stops."""
    total = 0
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(GZIP_CHUNK_BYTES):
            total += len(chunk)
            if total > max_bytes:
                break
    return total


def csv_records(text: str, sep: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the 1-based line it ends on, header first.

    The same walk serves the width check here and the byte-faithful copy of rows in
    the fix plan, so both number rows the way pandas does (blank lines skipped).
    """
    # The csv module refuses cells over 128 KiB by default; a long text cell is data, and
    # the whole file is already bounded by --max-bytes.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        for record in reader:
            if record:
                yield reader.line_num, record
    except csv.Error as error:
        raise InputError(f"line {reader.line_num}: {error}; check the quoting of that line") from None


def read_csv_table(path: Path, text_columns: Iterable[str], sep: str | None = None,
                   encoding: str = "utf-8", max_bytes: int = DEFAULT_MAX_BYTES,
                   max_rows: int = DEFAULT_MAX_ROWS, max_columns: int = DEFAULT_MAX_COLUMNS) -> pd.DataFrame:
    """Read a CSV with features typed and the given columns kept as literal text.

    Rows are checked for width first: pandas silently pads a short row with NaN, which
    would turn a broken export into missing values instead of an error.
    """
    text = read_text(path, encoding, max_bytes)
    sep = sep or ","
    header = check_csv_shape(path, text, sep, max_rows, max_columns)
    literal = set(text_columns) & set(header)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype={c: str for c in literal}, keep_default_na=False,
            na_values={c: list(MISSING_TOKENS) for c in header if c not in literal},
            skip_blank_lines=True, low_memory=False,
        )
    except (pd.errors.ParserError, ValueError) as error:
        raise InputError(f"{path}: cannot be parsed as CSV ({error})") from None
    if frame.empty:
        raise InputError(f"{path}: has a header but no data rows")
    return frame


def check_csv_shape(path: Path, text: str, sep: str, max_rows: int = DEFAULT_MAX_ROWS,
                    max_columns: int = DEFAULT_MAX_COLUMNS) -> list[str]:
    """Validate the header, the size and every row's width; return the header's column names."""
    records = csv_records(text, sep)
    try:
        previous_line, header = next(records)
    except StopIteration:
        raise InputError(f"{path}: the file is empty; it needs a header line and data rows") from None
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    check_header(path, header, sep)
    check_limit(path, "columns", len(header), max_columns, "--max-columns")
    try:
        for n_rows, (line, record) in enumerate(records, start=1):
            if n_rows > max_rows:
                check_limit(path, "data rows", n_rows, max_rows, "--max-rows", at_least=True)
            if len(record) != len(header):
                if any("\n" in field for field in record):  # a quoted value ran over line ends
                    start = max(previous_line + 1, line - sum(field.count("\n") for field in record))
                    quotes = sum(part.count('"') for part in text.splitlines()[start - 1:line])
                    cause = (f"a quote opened on line {start} is never closed: close it, or double a quote "
                             f"meant as text (\"\")" if quotes % 2 else
                             f"check the quotes and the {sep!r} delimiters in those lines")
                    raise InputError(f"{path}: the record on lines {start}-{line} has {len(record)} fields but "
                                     f"the header has {len(header)}; {cause}")
                raise InputError(
                    f"{path}: line {line} has {len(record)} fields but the header has {len(header)}; "
                    f"fix that row (an unquoted {sep!r} inside a value is the usual cause)"
                )
            previous_line = line
    except InputError as error:
        if str(error).startswith(str(path)):
            raise
        raise InputError(f"{path}: {error}") from None
    return header


def check_limit(path: Path, what: str, count: int, limit: int, flag: str, at_least: bool = False) -> None:
    """Refuse input over a size limit before it can exhaust the machine."""
    if count > limit:
        amount = f"more than {limit:,}" if at_least else f"{count:,}"
        raise InputError(f"{path}: has {amount} {what}, over the limit of {limit:,}; "
                         f"raise {flag} if the machine can hold it")


def check_header(path: Path, header: list[str], sep: str) -> None:
    if len(header) == 1:
        for candidate in LIKELY_SEPARATORS:
            if candidate in header[0] and candidate != sep:
                raise InputError(
                    f"{path}: only one column was found, but the header contains {candidate!r}; "
                    f"pass --sep {candidate!r} if that is the delimiter"
                )
    seen: set[str] = set()
    for position, name in enumerate(header):
        if not name.strip():
            raise InputError(f"{path}: column {position + 1} of the header has no name; give every column a name")
        if name in seen:
            raise InputError(f"{path}: the column name {name!r} appears more than once in the header; rename one of them")
        seen.add(name)


def read_parquet_table(path: Path, max_rows: int = DEFAULT_MAX_ROWS, max_columns: int = DEFAULT_MAX_COLUMNS,
                       max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    check_readable(path)
    try:
        import pyarrow.parquet as pq

        metadata = pq.ParquetFile(path).metadata
        check_limit(path, "data rows", metadata.num_rows, max_rows, "--max-rows")
        check_limit(path, "columns", metadata.num_columns, max_columns, "--max-columns")
        # Parquet compresses well, so a small file can expand a thousandfold in memory.
        expanded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        if expanded > max_bytes:
            raise InputError(f"{path}: declares {expanded:,} bytes of uncompressed data, over the limit of "
                             f"{max_bytes:,}; raise --max-bytes if the machine can hold it")
        from audit.validate.parquet import flat_columns, read_bounded_table

        frame = flat_columns(read_bounded_table(path, max_bytes)).to_pandas()
    except InputError:
        raise
    except Exception as error:  # pyarrow raises many types for a damaged file
        raise InputError(f"{path}: cannot be read as Parquet ({type(error).__name__}: {error})") from None
    if len(set(frame.columns)) != len(frame.columns):
        duplicated = frame.columns[frame.columns.duplicated()][0]
        raise InputError(f"{path}: the column name {duplicated!r} appears more than once; rename one of them")
    if frame.empty:
        raise InputError(f"{path}: has columns but no data rows")
    return frame.reset_index(drop=True)


def npy_declared_shape(stream) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an ``.npy`` stream's header declares; the stream is left after the header."""
    version = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read_header(stream)
    return tuple(int(n) for n in shape), dtype


def npz_declared_shapes(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each array's shape and dtype as its header declares them, read without loading the array."""
    import zipfile

    declared = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as stream:
                    declared[member.removesuffix(".npy")] = npy_declared_shape(stream)
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise InputError(f"{path}: cannot be read as .npz ({error})") from None
    return declared


def npz_declared_bytes(path: Path) -> dict[str, int]:
    """Each array's size as its header declares it, read without loading the array."""
    # Python integers: a crafted shape must not wrap around to a small int64 product.
    return {name: math.prod(shape) * dtype.itemsize for name, (shape, dtype) in npz_declared_shapes(path).items()}


def read_npz_arrays(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = DEFAULT_MAX_ROWS,
                    max_columns: int = DEFAULT_MAX_COLUMNS) -> dict[str, np.ndarray]:
    """The ``x_*``/``y_*`` arrays of an ``.npz``, sizes checked from the headers before loading, no pickle."""
    check_readable(path)
    for name, (shape, dtype) in npz_declared_shapes(path).items():
        size = math.prod(shape) * dtype.itemsize
        if size > max_bytes:
            raise InputError(f"{path}: array {name} declares {size:,} bytes, over the limit of {max_bytes:,}; "
                             f"raise --max-bytes if the machine can hold it")
        if name in NPZ_KEYS and shape:
            check_limit(path, f"rows in array {name}", shape[0], max_rows, "--max-rows")
            if name.startswith("x_"):
                check_limit(path, f"columns in array {name}", math.prod(shape[1:]), max_columns, "--max-columns")
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = set(archive.files)
            if not {"x_train", "y_train"} <= keys:
                raise InputError(f"{path}: needs arrays x_train and y_train (and optionally x_val, y_val); "
                                 f"found {', '.join(sorted(keys)) or 'none'}")
            arrays = {k: archive[k] for k in NPZ_KEYS if k in keys}
    except ValueError as error:
        raise InputError(f"{path}: {error}; save the arrays with a numeric or string dtype") from None
    except (OSError, EOFError) as error:
        raise InputError(f"{path}: cannot be read as .npz ({error})") from None
    return arrays


def read_npz_splits(path: Path, label: str, max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = DEFAULT_MAX_ROWS,
                    max_columns: int = DEFAULT_MAX_COLUMNS) -> dict[str, pd.DataFrame]:
    """Read ``x_train``/``y_train`` and optionally ``x_val``/``y_val`` as feature frames.

    Images and other arrays of more than two dimensions are flattened per row. Object
    arrays are refused: loading them would need pickle, which can run code. Declared sizes,
    rows and columns are checked from the headers first, so a crafted file cannot make us
    allocate terabytes.
    """
    arrays = read_npz_arrays(path, max_bytes, max_rows, max_columns)
    splits = {}
    for split in ("train", "val"):
        if f"x_{split}" not in arrays:
            continue
        x, y = arrays[f"x_{split}"], arrays.get(f"y_{split}")
        if y is None or len(x) != len(y) or y.ndim != 1:
            raise InputError(f"{path}: x_{split} has {len(x)} rows but y_{split} is missing or has another length or shape")
        x = x.reshape(len(x), -1)
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
        frame[label] = y
        splits[split] = frame
    return splits


def closest_names(name: str, columns: Iterable[str]) -> str:
    """A suggestion for a misspelt column name, in the words the error message uses."""
    columns = list(columns)
    lowered = {c.lower(): c for c in columns}
    matches = [lowered[name.lower()]] if name.lower() in lowered else difflib.get_close_matches(name, columns, n=3)
    if matches:
        return "did you mean " + " or ".join(repr(m) for m in matches) + "?"
    shown = ", ".join(repr(c) for c in columns[:10])
    return f"the columns are {shown}{' ...' if len(columns) > 10 else ''}"
