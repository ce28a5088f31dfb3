"""A Parquet file of pictures' vectors: a ``path`` column and the vector, matched to the listed files.

Paths are relative to the split's folder and ``/``-separated, as evidence rows carry them
(``\\`` and a leading ``./`` are accepted). The vector is one list column (``list<float>``,
any name) or number columns, taken in the order of the numbers their names end with
(``e0 .. e127``; in file order when they do not all end with one); the index pandas
writes beside a DataFrame's columns is not part of it. Every readable listed
picture needs a row and every row must name a listed file (an unreadable one may keep its
row); the file's row order does not matter. Read with pyarrow, never unpickled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audit.errors import InputError
from audit.readers import check_readable

PATH_COLUMN = "path"
FORM = ("give a 'path' column (relative to the split's folder, with /) and the vector as one list<float> column "
        "or as number columns")


@dataclass(frozen=True)
class VectorTable:
    """The rows of a vector file: each path (normalised) and its vector."""

    paths: list[str]
    vectors: np.ndarray


def read_vector_table(path: Path, max_bytes: int) -> VectorTable:
    """The file's paths and vectors; one line naming the file and the column when it is malformed."""
    from audit.validate.parquet import read_bounded_table

    check_readable(path)
    try:
        table = read_bounded_table(path, max_bytes)
    except InputError:
        raise
    except Exception as error:  # pyarrow raises many types for a damaged file
        raise InputError(f"{path}: cannot be read as Parquet ({type(error).__name__}: {error})") from None
    if PATH_COLUMN not in table.column_names:
        raise InputError(f"{path}: has no {PATH_COLUMN!r} column; {FORM}")
    if table.num_rows == 0:
        raise InputError(f"{path}: has no rows; {FORM}")
    paths = path_cells(path, table.column(PATH_COLUMN))
    index = set(pandas_index_columns(table))
    vectors = vector_matrix(path, table, [name for name in table.column_names if name not in (PATH_COLUMN, *index)])
    if not np.isfinite(vectors).all():
        row = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
        raise InputError(f"{path}: the vector of row {row} ({paths[row]!r}) holds an empty, NaN or infinite value; "
                         f"give finite numbers")
    return VectorTable(paths, vectors)


def pandas_index_columns(table: Any) -> list[str]:
    """The columns pandas wrote for a DataFrame's index: row labels, never part of a vector."""
    metadata = table.schema.pandas_metadata or {}
    return [name for name in metadata.get("index_columns", []) if isinstance(name, str)]


def path_cells(path: Path, column: Any) -> list[str]:
    import pyarrow as pa

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise InputError(f"{path}: the {PATH_COLUMN!r} column holds {column.type}, not text; {FORM}")
    cells = column.to_pylist()
    if None in cells:
        raise InputError(f"{path}: the {PATH_COLUMN!r} cell of row {cells.index(None)} is empty; give every row a path")
    return [normalised(cell) for cell in cells]


def normalised(cell: str) -> str:
    text = cell.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def vector_matrix(path: Path, table: Any, columns: list[str]) -> np.ndarray:
    """(rows, width) float32 from one list column or from number columns."""
    import pyarrow as pa

    if not columns:
        raise InputError(f"{path}: has only the {PATH_COLUMN!r} column; {FORM}")
    types = {name: table.column(name).type for name in columns}
    lists = [name for name, kind in types.items()
             if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)]
    if lists:
        if len(columns) > 1:
            raise InputError(f"{path}: has the list column {lists[0]!r} beside {len(columns) - 1} other column(s); "
                             f"give the path and one vector column only")
        return list_matrix(path, lists[0], table.column(lists[0]))
    wrong = [name for name, kind in types.items() if not (pa.types.is_floating(kind) or pa.types.is_integer(kind))]
    if wrong:
        raise InputError(f"{path}: the column {wrong[0]!r} holds {types[wrong[0]]}, not numbers; {FORM}")
    return np.column_stack([table.column(name).to_numpy(zero_copy_only=False).astype(np.float32)
                            for name in numbered(columns)])


def numbered(columns: list[str]) -> list[str]:
    """The columns in the order of the number each name ends with, else as they are."""
    numbers = [re.search(r"(\d+)$", name) for name in columns]
    if not all(numbers):
        return columns
    return [name for _, name in sorted(zip((int(m.group(1)) for m in numbers), columns))]


def list_matrix(path: Path, name: str, column: Any) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    value_type = column.type.value_type
    if not (pa.types.is_floating(value_type) or pa.types.is_integer(value_type)):
        raise InputError(f"{path}: the list column {name!r} holds {value_type}, not numbers; {FORM}")
    column = column.combine_chunks()
    if column.null_count:
        row = column.is_null().to_numpy(zero_copy_only=False).argmax()
        raise InputError(f"{path}: row {row} of {name!r} has no vector; give every row a vector")
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    differing = np.flatnonzero(lengths != lengths[0])
    if len(differing):
        other = differing[0]
        raise InputError(f"{path}: the vectors in {name!r} have {lengths[0]} numbers (row 0) and {lengths[other]} "
                         f"(row {other}); give every picture a vector of one length")
    if lengths[0] == 0:
        raise InputError(f"{path}: the vectors in {name!r} are empty; give each picture a vector of numbers")
    values = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    return values.reshape(len(column), int(lengths[0]))


def matched_vectors(path: Path, vectors: VectorTable, wanted: list[str], listed: set[str], split: str,
                    root: str) -> np.ndarray:
    """The rows of ``vectors`` for ``wanted`` paths, in that order.

    ``listed`` holds every listed file of the split (readable or not): a row for a file not
    among them, a path given twice, or a wanted picture without a row is refused.
    """
    position: dict[str, int] = {}
    for row, name in enumerate(vectors.paths):
        if name in position:
            raise InputError(f"{path}: the path {name!r} has two rows ({position[name]} and {row}); give one vector "
                             f"a picture")
        position[name] = row
    extra = [name for name in vectors.paths if name not in listed]
    if extra:
        raise InputError(f"{path}: {len(extra)} path(s) are not files of {split} ({root}), the first {extra[0]!r}; "
                         f"paths are relative to that folder, with /, as the report's evidence rows give them")
    missing = [name for name in wanted if name not in position]
    if missing:
        raise InputError(f"{path}: {len(missing)} picture(s) of {split} ({root}) have no vector, the first "
                         f"{missing[0]!r}; give a row for every picture")
    return vectors.vectors[[position[name] for name in wanted]]
