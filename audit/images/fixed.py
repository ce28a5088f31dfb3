"""Fixed picture folders: the kept pictures in the same class layout, beside the report.

Each split becomes ``<out>/<name>.fixed/<split>/<class>/...``: a dropped picture is left out,
a relabelled one is filed under its new class (in the fixed copy only), every other picture
keeps its path. Files are hard links where the file system allows (no space used), else
copies. Unreadable files are left out too: the fixed folders are meant to train on. A
split is assembled in a temporary folder and renamed into place, and a target inside an
input folder (or an input inside the target) is refused before anything is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.fixes import FixPlan
from checks.base import AuditData


def refuse_overlap(target: Path, roots: list[str]) -> None:
    for root in map(Path, roots):
        inside = target.resolve().is_relative_to(root.resolve()) or root.resolve().is_relative_to(target.resolve())
        if inside:
            raise InputError(f"{target}: the fixed folders would be written inside the input folder {root} "
                             f"(or around it); choose another --out")


def relabelled_path(path: str, new_label: Any) -> str:
    """The path under the new class folder: the class part replaced, the rest kept."""
    parts = path.split("/")
    return "/".join([str(new_label), *parts[1:]])


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_fixed_folders(plan: FixPlan, data: AuditData, folder: Path) -> dict[str, Path]:
    """Write each split's fixed folder under ``folder``; return them by split."""
    images = data.images
    targets = {split: folder / split for split in data.splits}
    for target in targets.values():
        refuse_overlap(target, list(images.roots.values()))
    column = next(c for c, kind in data.declared_kinds.items() if kind == "image")
    written = {}
    for split, target in targets.items():
        root = Path(images.roots[split])
        dropped = set(plan.dropped(split))
        new_labels = plan.relabelled(split) if split == "train" else {}
        folder.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=folder, prefix=f".{split}.", suffix=".tmp"))
        try:
            for row, path in data.frames[split][column].items():
                if row in dropped:
                    continue
                placed = relabelled_path(path, new_labels[row]) if row in new_labels else path
                link_or_copy(root.joinpath(*path.split("/")), building.joinpath(*placed.split("/")))
            if target.exists():
                shutil.rmtree(target)
            os.replace(building, target)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        written[split] = target
    return written
