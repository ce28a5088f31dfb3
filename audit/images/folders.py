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

from audit.errors import InputError
from audit.images.listing import Listed, bundle, leads_outside
from checks.base import AuditData
from checks.images.table import DEFAULT_MAX_IMAGE_PIXELS

PATH_COLUMN = "path"
LABEL_COLUMN = "label"
OUTSIDE_LINK = "a link that leads out of the folder; not followed"
NO_CLASS = "not inside a class folder, so it has no class; move it into one"


def list_class_folder(root: Path) -> list[tuple[str, str | None]]:
    """(path relative to ``root`` with ``/``, class or None) of every file, sorted by path."""
    if not root.is_dir():
        raise InputError(f"{root}: no such folder; give a folder with one subfolder per class")
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


def listed_folder(root: Path) -> Listed:
    """Every file of a class folder, those that leave the folder or have no class refused."""
    files = list_class_folder(root)
    refused = {i: OUTSIDE_LINK for i, (path, _) in enumerate(files) if links_outside(root, path)}
    refused.update({i: NO_CLASS for i, (_, label) in enumerate(files) if label is None and i not in refused})
    return Listed(list(range(len(files))), [p for p, _ in files], [label for _, label in files], refused)


def links_outside(root: Path, relative: str) -> bool:
    """A listed path through a link (to a file or a folder) that leaves ``root``, or to a folder."""
    path = root.joinpath(*relative.split("/"))
    if not path.is_symlink() and not any(p.is_symlink() for p in path.parents if p != root):
        return False
    return leads_outside(root, relative)


def load_image_folders(train: Path, val: Path | None, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
                       random_state: int = 0) -> AuditData:
    """The bundle of an image folder pair: one row a picture, its class from its folder."""
    roots = {"train": train, **({"val": val} if val is not None else {})}
    listings = {split: (root, listed_folder(root)) for split, root in roots.items()}
    return bundle(listings, {split: str(root) for split, root in roots.items()}, PATH_COLUMN, LABEL_COLUMN,
                  max_pixels, random_state)
