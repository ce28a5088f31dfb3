"""Why a file the run reads cannot be used, when the plain answer would mislead.

A symbolic link that loops or leads nowhere is not "no such file"; an Excel workbook, a JSON
document or a Parquet file renamed ``.csv`` is not "invalid UTF-8"; a CSV given where a
``.npy`` array is expected is not "pickled data".
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from audit.errors import InputError

# The first bytes of formats that are not CSV text, and what to do with each.
NOT_TEXT_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)", "export the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel or Office document", "export the sheet as CSV"),
    (b"PAR1", "a Parquet file", "name it .parquet"),
    (b"\x1f\x8b", "gzip-compressed", "name it .csv.gz"),
    (b"\x93NUMPY", "a NumPy .npy array", "give an .npz with x_train/y_train, or a CSV"),
    (b"SQLite format 3", "an SQLite database", "export the table as CSV"),
)
NPY_MAGIC = b"\x93NUMPY"
# An object or an array of objects, arrays, strings or numbers: a header line never starts so.
JSON_START = re.compile(rb'^(\{\s*("|\}|$)|\[\s*([\[{"\d-]|\]|$))')


def refuse_missing(path: Path, what: str = "check the path") -> None:
    """A path that cannot be opened: a broken or looping link says so; else no such file."""
    if path.exists():
        return
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"{path}: is a symbolic link that loops back on itself; point it at the data "
                             f"file") from None
        if path.is_symlink():
            raise InputError(f"{path}: is a symbolic link to {os.readlink(path)!r}, which does not exist; "
                             f"fix the link or give the file's own path") from None
        if error.errno in (errno.EACCES, errno.ENOTDIR):
            raise InputError(f"{path}: cannot be reached ({error.strerror}); check the path and the "
                             f"folder's permissions") from None
    raise InputError(f"{path}: no such file; {what}")


def refuse_not_csv_text(path: Path, head: bytes) -> None:
    """Refuse a binary or JSON file whose name says CSV, by its first bytes."""
    for signature, kind, fix in NOT_TEXT_SIGNATURES:
        if head.startswith(signature):
            raise InputError(f"{path}: is {kind}, not CSV text; {fix}")
    start = JSON_START.match(head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    if start:
        raise InputError(f"{path}: looks like JSON (it starts with {start.group().decode()!r}), not CSV text; "
                         f"convert it to CSV with a header line")


def refuse_not_npy(path: Path, flag: str) -> None:
    """Refuse a file that is not a ``.npy`` array before numpy guesses it is a pickle."""
    with path.open("rb") as stream:
        head = stream.read(64)
    if head.startswith(NPY_MAGIC) or head.startswith(b"PK\x03\x04"):
        return  # an .npy, or an .npz that the caller names as such
    described = "CSV or other text" if head and all(b in b"\t\r\n" or 32 <= b < 127 for b in head[:32]) \
        else "not a NumPy array"
    raise InputError(f"{path}: is {described}, not a .npy file; {flag} takes an array saved with numpy.save "
                     f"(np.save('probs.npy', array))")
