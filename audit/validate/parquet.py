"""Reading a Parquet file within a bound on what it decodes to, with every column made flat.

A footer's sizes are the encoded sizes: a few hundred kilobytes of run-length or
dictionary-encoded values can decode to gigabytes. So the rows times each column's smallest
decoded width are bounded first, from the footer alone, and then the decoded batches are
counted as they are read, stopping at the limit.

Columns the checks cannot compare are encoded as text, so that equal values stay equal:
binary values as UTF-8 text when every value decodes, else as a SHA-256 digest of the
bytes (an image column then still shows exact duplicates and leaks); list, struct and map
values as canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from audit.errors import InputError

BATCH_ROWS = 65_536
TEXT_OFFSET_BYTES = 4  # a string, binary or list value takes at least its offset once decoded
DIGEST_PREFIX = "sha256:"


def minimum_row_width(schema: Any) -> int:
    """The fewest bytes a row of this Arrow schema takes once decoded."""
    import pyarrow as pa

    width = 0
    for arrow_field in schema:
        kind = arrow_field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        try:
            width += max(1, kind.bit_width // 8)
        except ValueError:  # variable width: strings, binary, lists, structs, maps
            width += TEXT_OFFSET_BYTES
    return width


def read_bounded_table(path: Path, max_bytes: int) -> Any:
    """The file as an Arrow table, refused once its decoded size passes ``max_bytes``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    n_rows = parquet.metadata.num_rows
    least = n_rows * minimum_row_width(parquet.schema_arrow)
    if least > max_bytes:
        raise InputError(f"{path}: {n_rows:,} rows of {parquet.metadata.num_columns} column(s) decode to at least "
                         f"{least:,} bytes, over the limit of {max_bytes:,}; raise --max-bytes if the machine can "
                         f"hold it")
    batches, decoded = [], 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, use_pandas_metadata=True):
        decoded += batch.nbytes
        if decoded > max_bytes:
            raise InputError(f"{path}: decodes to more than {max_bytes:,} bytes (values repeated or "
                             f"dictionary-encoded expand when read), over the limit; raise --max-bytes if the "
                             f"machine can hold it")
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=parquet.schema_arrow)


def flat_columns(table: Any) -> Any:
    """The table with binary, list, struct and map columns encoded as text (see the module)."""
    import pyarrow as pa

    for position, arrow_field in enumerate(table.schema):
        kind = arrow_field.type
        if pa.types.is_dictionary(kind):
            continue
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
            encoded = binary_as_text(table.column(position))
        elif pa.types.is_nested(kind):
            encoded = pa.array([None if v is None else canonical_json(v) for v in table.column(position).to_pylist()],
                               type=pa.string())
        else:
            continue
        table = table.set_column(position, pa.field(arrow_field.name, pa.string()), encoded)
    return table


def binary_as_text(column: Any) -> Any:
    """UTF-8 text when every value decodes, else each value's SHA-256 digest."""
    import pyarrow as pa

    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else DIGEST_PREFIX + hashlib.sha256(v).hexdigest()
                         for v in column.to_pylist()], type=pa.string())


def canonical_json(value: Any) -> str:
    """One text for one value: keys sorted, bytes as digests, maps (lists of pairs) as they come."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=json_default)


def json_default(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return DIGEST_PREFIX + hashlib.sha256(value).hexdigest()
    return str(value)
