"""Writing into the output folder: atomic, and never outside it."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, fallback: str = "audit") -> str:
    """A file name from user-controlled text (an input's stem) that cannot leave the folder."""
    name = SAFE_NAME.sub("_", text).strip("._")
    return name[:80] or fallback


def write_atomic(path: Path, content: str | bytes) -> Path:
    """Write through a temporary file in the same folder and rename it into place.

    A reader never sees half a report, and an interrupted run leaves the previous file.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    with atomic_stream(path, binary=True) as stream:
        stream.write(data)
    return path


@contextmanager
def atomic_stream(path: Path, *, binary: bool = False) -> Iterator[IO]:
    """A stream into a temporary file in ``path``'s folder, renamed into place when the block ends.

    For files written piece by piece (evidence of a million rows), which no one should hold
    whole in memory; an exception or interrupt in the block removes the temporary file and
    leaves the previous one. Text streams are UTF-8 with no newline translation, as the csv
    module asks.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8", newline="")) as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp's 0600 would hide reports from the team
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
