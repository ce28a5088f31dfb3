"""Listed picture files of a split, decoded into its frame, its facts and its unreadable files.

Both image inputs (class folders, and a table with a column of paths) list their files with
a row number, a path relative to the split's root folder (``/``-separated) and a label, and
may refuse some before decoding (a link out of the folder, no class); the rest is shared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit.errors import InputError
from checks.base import AuditData
from checks.images.table import ImageSet, ImageTable, UnreadableFile, decode_files, split_table


@dataclass(frozen=True)
class Listed:
    """A split's files in row order, and the reason each refused one is not decoded."""

    rows: list[int]
    paths: list[str]
    labels: list[str | None]
    refused: dict[int, str] = field(default_factory=dict)


def leads_outside(root: Path, relative: str) -> bool:
    """Whether ``root``/``relative`` is a folder, or leaves ``root`` (``..``, an absolute path, a link)."""
    path = root.joinpath(*relative.split("/"))
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return True
    return path.is_dir()


def decode_listed(split: str, root: Path, listed: Listed, max_pixels: int, path_column: str,
                  label_column: str) -> tuple[pd.DataFrame, ImageTable, list[UnreadableFile]]:
    """The split's frame of readable pictures (path, label) indexed by row, their facts, the failures."""
    decodable = [i for i in range(len(listed.rows)) if i not in listed.refused]
    results = decode_files(str(root), [listed.paths[i] for i in decodable], max_pixels)
    table, failed = split_table(split, [listed.rows[i] for i in decodable], [listed.paths[i] for i in decodable],
                                results)
    failed += [UnreadableFile(split, listed.rows[i], listed.paths[i], reason) for i, reason in listed.refused.items()]
    failed.sort(key=lambda f: f.row)
    label_of = dict(zip(listed.rows, listed.labels))
    frame = pd.DataFrame({path_column: pd.array(table.paths.astype(str), dtype="string"),
                          label_column: pd.array([label_of[int(r)] for r in table.rows], dtype="string")},
                         index=pd.Index(table.rows))
    return frame, table, failed


def bundle(listings: dict[str, tuple[Path, Listed]], sources: dict[str, str], path_column: str, label_column: str,
           max_pixels: int, random_state: int) -> AuditData:
    """The audit's bundle of pictures: every split decoded, the path column of the image kind."""
    frames, tables, unreadable, n_listed = {}, {}, [], {}
    for split, (root, listed) in listings.items():
        frame, table, failed = decode_listed(split, root, listed, max_pixels, path_column, label_column)
        if frame.empty:
            first = f" (first: {failed[0].path}: {failed[0].reason})" if failed else ""
            raise InputError(f"{sources[split]}: none of its {len(failed)} files can be read as a picture{first}; "
                             f"check the files")
        frames[split], tables[split] = frame, table
        unreadable += failed
        n_listed[split] = len(listed.rows)
    data = AuditData(frames=frames, label=label_column, sources=sources, random_state=random_state)
    data.images = ImageSet({split: str(root) for split, (root, _) in listings.items()}, tables, unreadable, n_listed,
                           max_pixels)
    data.declared_kinds = {path_column: "image"}
    return data
