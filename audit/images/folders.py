"""Read image folders in the layout Keras' ``image_dataset_from_directory`` reads.

``<split folder>/<class>/<picture>``: the class is the subfolder's name, pictures may sit in
deeper folders of it. Every file is listed (in sorted order, which numbers the rows) and
accounted for: a picture that cannot be decoded, a file beside the class folders, or a link
that leads out of the split's folder (never followed) is an unreadable file with its reason,
and the audit goes on with the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from audit.errors import InputError
from checks.base import AuditData
from checks.images.table import DEFAULT_MAX_IMAGE_PIXELS, ImageSet, ImageTable, UnreadableFile, decode_files, split_table

PATH_COLUMN = "path"
LABEL_COLUMN = "label"
OUTSIDE_LINK = "a link that leads out of the folder; not followed"
NO_CLASS = "not inside a class folder, so it has no class; move it into one"


def is_image_folder(path: Path) -> bool:
    return path.is_dir()


def list_class_folder(root: Path) -> list[tuple[str, str | None]]:
    """(path relative to ``root`` with ``/``, class or None) of every file, sorted by path."""
    if not root.is_dir():
        raise InputError(f"{root}: no such folder; give a folder with one subfolder per class")
    real_root = root.resolve()
    listed: list[tuple[str, str | None]] = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        here = Path(folder)
        relative_folder = here.relative_to(root).parts
        linked_folders = [d for d in subfolders if (here / d).is_symlink()]
        for name in sorted(f for f in files if not f.startswith(".")) + linked_folders:
            parts = (*relative_folder, name)
            listed.append(("/".join(parts), parts[0] if len(parts) > 1 else None))
        subfolders[:] = [d for d in subfolders if d not in linked_folders]
    if not any(label is not None for _, label in listed):
        raise InputError(f"{root}: no class subfolders with files; the layout is {root}/<class>/<picture>, "
                         f"one subfolder per class")
    return sorted(listed)


def leads_outside(root: Path, relative: str) -> bool:
    path = root.joinpath(*relative.split("/"))
    if not path.is_symlink() and not any(p.is_symlink() for p in path.parents if p != root):
        return False
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return True
    return path.is_dir()


def read_split_folder(split: str, root: Path, max_pixels: int) -> tuple[pd.DataFrame, ImageTable, list[UnreadableFile]]:
    """A split's frame of readable pictures (path, label), their facts, and the files that failed."""
    listed = list_class_folder(root)
    refused = {i: OUTSIDE_LINK for i, (path, _) in enumerate(listed) if leads_outside(root, path)}
    refused.update({i: NO_CLASS for i, (_, label) in enumerate(listed) if label is None and i not in refused})
    decodable = [i for i in range(len(listed)) if i not in refused]
    results = decode_files(str(root), [listed[i][0] for i in decodable], max_pixels)
    table, failed = split_table(split, decodable, [listed[i][0] for i in decodable], results)
    failed += [UnreadableFile(split, i, listed[i][0], reason) for i, reason in refused.items()]
    failed.sort(key=lambda f: f.row)
    frame = pd.DataFrame({PATH_COLUMN: table.paths.astype(str),
                          LABEL_COLUMN: [listed[int(r)][1] for r in table.rows]},
                         index=pd.Index(table.rows, name=None))
    frame[LABEL_COLUMN] = frame[LABEL_COLUMN].astype("string")
    frame[PATH_COLUMN] = frame[PATH_COLUMN].astype("string")
    return frame, table, failed


def load_image_folders(train: Path, val: Path | None, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
                       random_state: int = 0) -> AuditData:
    """The bundle of an image folder pair: one row a picture, its class from its folder."""
    roots = {"train": train, **({"val": val} if val is not None else {})}
    frames, tables, unreadable, listed = {}, {}, [], {}
    for split, root in roots.items():
        frame, table, failed = read_split_folder(split, root, max_pixels)
        if frame.empty:
            raise InputError(f"{root}: none of its {len(failed)} files can be read as a picture "
                             f"(first: {failed[0].path}: {failed[0].reason}); check the folder")
        frames[split], tables[split] = frame, table
        unreadable += failed
        listed[split] = len(frame) + len(failed)
    data = AuditData(frames=frames, label=LABEL_COLUMN, sources={split: str(root) for split, root in roots.items()},
                     random_state=random_state)
    return with_images(data, ImageSet({s: str(r) for s, r in roots.items()}, tables, unreadable, listed, max_pixels))


def with_images(data: AuditData, images: ImageSet) -> AuditData:
    """``data`` holding its decoded pictures, its path column declared of the image kind."""
    data.images = images
    data.declared_kinds = {**data.declared_kinds, PATH_COLUMN: "image"}
    return data
