"""Write a fix plan: the fixed splits in the input's own format, and the manifest of changed rows.

Surviving rows are copied, not re-serialised. A CSV record is copied as the text it was in
the input (quotes, ``007``, the label ``NA``, line endings, byte-order mark); a relabelled
record has its label cell replaced and nothing else. Parquet rows are selected with pyarrow,
so the column types stay; .npz arrays are indexed, so their dtypes stay. Everything goes
into ``<out>/<name>.fixed/`` through :func:`~audit.output.write_atomic`, and a path that
resolves to an input file is refused before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import os
import zipfile
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from audit.data import InputFiles, ReadOptions
from audit.errors import InputError
from audit.fixes import FixPlan
from audit.output import safe_name, write_atomic
from audit.readers import NPZ_KEYS, csv_records, file_format, read_text
from checks.base import AuditData, to_builtin

log = logging.getLogger(__name__)

UTF8_BOM = codecs.BOM_UTF8
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MANIFEST_COLUMNS = ("split", "row", "id", "action", "reasons", "label", "new_label", "details")
PARQUET_CODECS = {"UNCOMPRESSED": "none", "SNAPPY": "snappy", "GZIP": "gzip", "BROTLI": "brotli",
                  "ZSTD": "zstd", "LZ4": "lz4", "LZ4_RAW": "lz4"}
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def fixed_folder(out: Path, name: str) -> Path:
    return out / f"{safe_name(name)}.fixed"


def write_fixed(plan: FixPlan, data: AuditData, out: Path, name: str,
                files: InputFiles | None = None) -> dict[str, Path]:
    """Write the fixed splits (when the data came from ``files``) and the manifest.

    Returns the written paths by kind: ``train``, ``val`` (or ``data`` for one file holding
    both splits), ``manifest`` (JSON) and ``manifest_csv``.
    """
    folder = fixed_folder(out, name)
    if files is not None and files.train.is_dir():
        from audit.images.fixed import write_fixed_folders

        written: dict[str, Path] = dict(write_fixed_folders(plan, data, folder))
        written["manifest"] = write_atomic(folder / "manifest.json", manifest_json(plan, data))
        written["manifest_csv"] = write_atomic(folder / "manifest.csv", manifest_csv(plan))
        return written
    jobs = _split_jobs(plan, data, files, folder) if files is not None else {}
    targets = {kind: target for kind, (target, _render) in jobs.items()}
    targets.update(manifest=folder / "manifest.json", manifest_csv=folder / "manifest.csv")
    if files is not None:
        refuse_inputs(targets.values(), [files.train, files.val])

    written = {kind: write_atomic(target, render()) for kind, (target, render) in jobs.items()}
    written["manifest"] = write_atomic(targets["manifest"], manifest_json(plan, data))
    written["manifest_csv"] = write_atomic(targets["manifest_csv"], manifest_csv(plan))
    return written


def refuse_inputs(targets, inputs) -> None:
    """Raise InputError if an output path is an input file, through any link or spelling."""
    inputs = [Path(p) for p in inputs if p is not None]
    for target in targets:
        for source in inputs:
            same = target.resolve() == source.resolve()
            if not same and target.exists() and source.exists():
                same = os.path.samefile(target, source)
            if same:
                raise InputError(f"{target}: writing the fixed data there would overwrite the input {source}; "
                                 f"choose another --out or --name")


# ------------------------------------------------------------------------- split files


def _split_jobs(plan: FixPlan, data: AuditData, files: InputFiles,
                folder: Path) -> dict[str, tuple[Path, Callable[[], bytes]]]:
    """Each output file by kind: where it goes and how to render its bytes."""
    if file_format(files.train) == "npz":
        splits = {split: (n_listed(data, split), set(plan.dropped(split)), plan.relabelled(split))
                  for split in data.frames}
        return {"data": (folder / safe_name(files.train.name), partial(fixed_npz, files.train, splits))}
    if files.split_column:
        # One file with rows numbered across it: each split's frame holds its own file rows.
        drop = {row for split in data.frames for row in plan.dropped(split)}
        n_rows = sum(len(frame) for frame in data.frames.values())
        render = partial(_fixed_table, files.train, files.options, n_rows, drop, plan.relabelled("train"), data.label)
        return {"data": (folder / safe_name(files.train.name), render)}
    jobs = {}
    for split, source in (("train", files.train), ("val", files.val)):
        if source is not None and split in data.frames:
            render = partial(_fixed_table, source, files.options, n_listed(data, split),
                             set(plan.dropped(split)), plan.relabelled(split), data.label)
            jobs[split] = (folder / f"{split}{_suffix(source)}", render)
    return jobs


def n_listed(data: AuditData, split: str) -> int:
    """The data rows of a split's input: its frame's, and the unreadable pictures a table listed."""
    return data.images.n_listed[split] if data.images is not None else len(data.frames[split])


def _fixed_table(source: Path, options: ReadOptions, n_rows: int, drop: set[int],
                 relabel: Mapping[int, Any], label: str) -> bytes:
    if file_format(source) == "parquet":
        return fixed_parquet(source, n_rows, drop, relabel, label)
    return fixed_csv(source, options, n_rows, drop, relabel, label)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".csv.gz" if name.endswith(".csv.gz") else path.suffix.lower()


def _changed(source: Path, found: int, expected: int) -> InputError:
    return InputError(f"{source}: has {found} data rows now but {expected} when it was audited; "
                      f"it changed in between: run the audit again")


# CSV -------------------------------------------------------------------------------


def fixed_csv(source: Path, options: ReadOptions, n_rows: int, drop: set[int],
              relabel: Mapping[int, Any], label: str) -> bytes:
    """The input's header and surviving records, as the text they were in the input."""
    sep = options.sep or ","
    text = read_text(source, options.encoding, options.max_bytes)
    records = _record_texts(text, sep, source)
    header_text, header = next(records, ("", []))
    if label not in header:
        raise InputError(f"{source}: the label column {label!r} is no longer in the header; "
                         f"the file changed since it was audited: run the audit again")
    label_index = header.index(label)
    pieces = [header_text]
    n_found = 0
    for row, (record_text, fields) in enumerate(records):
        n_found += 1
        if row in drop:
            continue
        if row in relabel:
            record_text = replace_cell(record_text, fields, label_index, _label_text(relabel[row]), sep)
        pieces.append(record_text)
    if n_found != n_rows:
        raise _changed(source, n_found, n_rows)
    content = _encode(source, "".join(pieces), text, options.encoding)
    return gzip.compress(content, mtime=0) if source.name.lower().endswith(".gz") else content


def _record_texts(text: str, sep: str, source: Path) -> Iterator[tuple[str, list[str]]]:
    """Each record (header first) with its exact text: the lines it spans, blank lines left out.

    It follows :func:`~audit.readers.csv_records` line by line over the same split into lines,
    so rows are numbered as the loader numbers them.
    """
    lines = iter(io.StringIO(text, newline=""))
    consumed = 0
    try:
        for end, fields in csv_records(text, sep):
            spanned = [next(lines) for _ in range(end - consumed)]
            consumed = end
            while spanned and spanned[0] in ("\n", "\r\n", "\r"):
                spanned.pop(0)
            yield "".join(spanned), fields
    except InputError as error:
        raise InputError(f"{source}: {error}") from None


def _encode(source: Path, text: str, original: str, encoding: str) -> bytes:
    """Encode as the input was; refuse an encoding that would not give the input's bytes back."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        # The decoder is strict, so utf-8 text encodes back to the same bytes; only the
        # byte-order mark, dropped when reading, has to be put back.
        return (UTF8_BOM if _starts_with_bom(source) else b"") + text.encode("utf-8")
    if original.encode(encoding) != _raw_bytes(source):
        raise InputError(f"{source}: its {encoding} text does not encode back to the same bytes, so rows "
                         f"cannot be copied exactly; convert the file to utf-8 first")
    return text.encode(encoding)


def _open_raw(source: Path):
    return gzip.open(source, "rb") if source.name.lower().endswith(".gz") else open(source, "rb")


def _starts_with_bom(source: Path) -> bool:
    with _open_raw(source) as handle:
        return handle.read(len(UTF8_BOM)) == UTF8_BOM


def _raw_bytes(source: Path) -> bytes:
    with _open_raw(source) as handle:
        return handle.read()


def _label_text(value: Any) -> str:
    value = to_builtin(value)
    return "" if value is None else str(value)


def field_spans(record: str, sep: str, quote: str = '"') -> list[tuple[int, int]]:
    """Start and end offsets of each field of one record's text, as Python's csv reader splits it.

    A field is quoted only if it starts with the quote character; a doubled quote inside it is
    a literal quote; outside quotes, the delimiter ends a field and a line break the record.
    """
    spans = []
    start = i = 0
    in_quotes = False
    while i < len(record):
        char = record[i]
        if in_quotes:
            if char == quote and record[i + 1:i + 2] == quote:
                i += 1
            elif char == quote:
                in_quotes = False
        elif char == quote and i == start:
            in_quotes = True
        elif char == sep:
            spans.append((start, i))
            start = i + 1
        elif char in "\r\n":
            break
        i += 1
    spans.append((start, i))
    return spans


def csv_cell(value: str, sep: str) -> str:
    """One value written as a CSV cell: quoted only when it has to be."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerow([value])
    return buffer.getvalue()[:-2]


def replace_cell(record: str, fields: list[str], index: int, value: str, sep: str) -> str:
    """The record's text with only field ``index`` replaced by ``value``."""
    spans = field_spans(record, sep)
    expected = [*fields[:index], value, *fields[index + 1:]]
    if len(spans) == len(fields):
        start, end = spans[index]
        replaced = record[:start] + csv_cell(value, sep) + record[end:]
        if next(csv.reader(io.StringIO(replaced, newline=""), delimiter=sep), None) == expected:
            return replaced
    raise RuntimeError(f"could not replace field {index} in the record {record!r}; no file was written")


# Parquet -----------------------------------------------------------------------------


def fixed_parquet(source: Path, n_rows: int, drop: set[int], relabel: Mapping[int, Any], label: str) -> bytes:
    """The surviving rows taken from the input table: schema, types and metadata kept."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source)
    table = parquet.read()
    if table.num_rows != n_rows:
        raise _changed(source, table.num_rows, n_rows)
    keep = np.array([row for row in range(table.num_rows) if row not in drop], dtype=np.int64)
    fixed = table.take(pa.array(keep))
    if relabel:
        position = {int(row): i for i, row in enumerate(keep)}
        index = fixed.schema.get_field_index(label)
        values = fixed.column(index).to_pylist()
        for row, new_label in relabel.items():
            values[position[row]] = to_builtin(new_label)
        column = fixed.schema.field(index)
        fixed = fixed.set_column(index, column, pa.array(values, type=column.type))
    compression = "snappy"
    if parquet.metadata.num_row_groups and parquet.metadata.num_columns:
        compression = PARQUET_CODECS.get(parquet.metadata.row_group(0).column(0).compression, "snappy")
    buffer = pa.BufferOutputStream()
    pq.write_table(fixed, buffer, compression=compression)
    return buffer.getvalue().to_pybytes()


# npz ---------------------------------------------------------------------------------


def fixed_npz(source: Path, splits: Mapping[str, tuple[int, set[int], Mapping[int, Any]]]) -> bytes:
    """The archive with each split's rows selected; other arrays copied unchanged.

    Written with fixed zip timestamps, so the same plan gives the same bytes.
    """
    with np.load(source, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    with zipfile.ZipFile(source) as archive:
        stored = all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    for split, (n_rows, drop, relabel) in splits.items():
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(y) != n_rows:
            raise _changed(source, len(y), n_rows)
        if relabel:
            new_values = np.asarray([to_builtin(v) for v in relabel.values()])
            y = y.astype(np.result_type(y, new_values))
            y[list(relabel)] = new_values
        keep = np.array([row not in drop for row in range(n_rows)], dtype=bool)
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x[keep], y[keep]
    others = sorted(set(arrays) - set(NPZ_KEYS))
    if others:
        log.warning("%s: arrays %s were copied unchanged; rows dropped from the splits were not dropped from them",
                    source, ", ".join(others))
    compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for key, array in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_EPOCH)
            info.compress_type = compression
            with archive.open(info, "w", force_zip64=True) as stream:
                np.lib.format.write_array(stream, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


# Manifest ----------------------------------------------------------------------------


def manifest_json(plan: FixPlan, data: AuditData) -> str:
    document = {
        "schema_version": 1,
        "inputs": dict(data.sources),
        "label": data.label,
        "summary": {k: v for k, v in plan.summary().to_dict().items() if k not in ("manifest", "files")},
        "rows": plan.manifest(),
    }
    return json.dumps(to_builtin(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def manifest_csv(plan: FixPlan) -> str:
    """One line a changed row; text that a spreadsheet would run as a formula is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for entry in plan.manifest():
        cells = {**entry, "reasons": ";".join(entry["reasons"]),
                 "details": json.dumps(entry["details"], ensure_ascii=False, allow_nan=False)}
        writer.writerow([neutralise(cells[column]) for column in MANIFEST_COLUMNS])
    return buffer.getvalue()


def neutralise(value: Any) -> Any:
    """Prefix a single quote to text a spreadsheet would read as a formula; ``None`` -> empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
