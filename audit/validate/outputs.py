"""Every path a run writes, checked before any work: writable, and never a file the run reads.

The report files, the JUnit file, the saved suite, the accepted-findings file, the fixed
splits' folder and GitHub's job summary are each refused, with exit code 2 and before a
check runs, when they are (or link to) an input, the config, the accepted findings or the
model file, when two of them are the same file, or when they cannot be written (a folder
in the way, a file where a folder must be, a read-only place). The check writes and removes
a probe file, so it answers as the write itself would, whoever runs it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audit.errors import InputError


@dataclass(frozen=True)
class PlannedPath:
    """A path the run reads or writes, what it is (for the message), and how it is written."""

    path: Path
    what: str
    kind: str = "file"
    """``file``: replaced whole; ``folder``: files are made inside it; ``append``: added to."""


def refuse_unsafe_outputs(writes: Iterable[PlannedPath], reads: Iterable[PlannedPath]) -> None:
    """Refuse any write that hits a read, another write, or a place that cannot be written."""
    reads = [r for r in reads if r.path is not None]
    seen: list[PlannedPath] = []
    for write in writes:
        for read in reads:
            if read.path.is_dir() and inside(write.path, read.path):
                raise InputError(f"{write.path}: {write.what} would be written inside {read.what} ({read.path}), "
                                 f"which the run reads; choose an output path outside it")
            if same_file(write.path, read.path):
                raise InputError(f"{write.path}: {write.what} would be written over {read.what} ({read.path}), "
                                 f"which the run reads; choose another output path")
        for other in seen:
            if same_file(write.path, other.path):
                raise InputError(f"{write.path}: both {other.what} and {write.what} would be written there; "
                                 f"give them different paths")
        refuse_unwritable(write)
        seen.append(write)


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies within ``folder`` (or is it), links resolved."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: through links, ``..`` and hard links."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def refuse_unwritable(write: PlannedPath) -> None:
    """A file path that is a folder, or whose folder cannot be made or written to, is refused."""
    path = write.path
    if path.is_dir() and write.kind != "folder":
        raise InputError(f"{path}: is a folder, but {write.what} is a file; give a file path")
    if path.exists() and not path.is_dir() and write.kind == "folder":
        raise InputError(f"{path}: is a file, but {write.what} must be a folder; give a folder path")
    if write.kind == "append" and path.exists():
        try:
            with open(path, "ab"):
                return
        except OSError as error:
            raise InputError(f"{path}: {write.what} cannot be written ({error.strerror}); make it writable or "
                             f"unset it") from None
    folder = path if write.kind == "folder" else path.parent
    existing = folder
    while not existing.exists():
        if existing.is_symlink():
            raise InputError(f"{existing}: is a symbolic link that leads nowhere; {write.what} cannot be written "
                             f"under it")
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{existing}: is a file, so {write.what} ({path}) cannot be written under it; "
                         f"choose another path")
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".audit-write-probe.")
    except OSError as error:
        raise InputError(f"{existing}: {write.what} ({path}) cannot be written there ({error.strerror}); "
                         f"choose a writable place") from None
    os.close(handle)
    os.unlink(probe)
