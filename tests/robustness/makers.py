"""Makers of hostile inputs: each writes its files into a folder and returns the flags that use them.

A maker answers :class:`Made`: the train file, the extra flags (which may name other files
it wrote) and the environment the run needs. Every maker leaves a valid file where the
defect is not the point, so the one defect under test is what the run answers.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Made:
    train: Path
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


Maker = Callable[[Path], Made]


def two_class_frame(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({"a": range(n), "b": [i % 3 for i in range(n)], "y": ["xz"[i % 2] for i in range(n)]})


def csv_pair(folder: Path, n: int = 40) -> tuple[Path, Path]:
    train, val = folder / "train.csv", folder / "val.csv"
    frame = two_class_frame(n)
    frame.to_csv(train, index=False)
    frame.assign(a=frame["a"] + 1000).iloc[:24].to_csv(val, index=False)
    return train, val


def valid(*args: str, env: dict[str, str] | None = None) -> Maker:
    """A valid pair (train.csv, val.csv) and flags; ``{folder}`` in a flag is the folder."""
    def make(folder: Path) -> Made:
        train, _ = csv_pair(folder)
        return Made(train, ("--val", str(folder / "val.csv"), *(a.format(folder=folder) for a in args)),
                    {k: v.format(folder=folder) for k, v in (env or {}).items()})
    return make


def with_file(name: str, content: bytes | str, *args: str) -> Maker:
    """A valid pair plus one more file written as given, and flags that may name it."""
    def make(folder: Path) -> Made:
        made = valid(*args)(folder)
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        return made
    return make


def train_bytes(name: str, content: bytes, *args: str) -> Maker:
    def make(folder: Path) -> Made:
        path = folder / name
        path.write_bytes(content)
        return Made(path, args)
    return make


def config(text: str | bytes, *args: str) -> Maker:
    """A valid pair and an audit.toml named with --config."""
    return with_file("audit.toml", text, "--config", "{folder}/audit.toml", *args)


# -------------------------------------------------------------------- limits by decoded size


def parquet_of_many_constant_rows(folder: Path) -> Made:
    """Two million rows of two constant columns: run-length encoded, a few kilobytes on disk."""
    path = folder / "train.parquet"
    n = 2_000_000
    pd.DataFrame({"a": np.zeros(n, dtype=np.int64), "y": np.zeros(n, dtype=np.int8)}).to_parquet(path)
    return Made(path, ("--max-bytes", "1M"))


def parquet_of_repeated_long_strings(folder: Path) -> Made:
    """Few rows, each a 2,000-character string from two distinct ones: a dictionary expands them."""
    path = folder / "train.parquet"
    n = 4_000
    pd.DataFrame({"a": ["p" * 2000, "q" * 2000] * (n // 2), "y": ["x", "z"] * (n // 2)}).to_parquet(path)
    return Made(path, ("--max-bytes", "1M"))


# ----------------------------------------------------------------------------- tracebacks


def corrupt_gzip(folder: Path) -> Made:
    """A gzip stream whose deflate data is damaged half-way (zlib.error when read)."""
    path = folder / "train.csv.gz"
    packed = bytearray(gzip.compress(("a,b,y\n" + "".join(f"{i},{i % 7},{'xz'[i % 2]}\n"
                                                           for i in range(5000))).encode(), mtime=0))
    for position in range(11, 15):  # the first block's code lengths, just after the 10-byte header
        packed[position] ^= 0xFF
    path.write_bytes(bytes(packed))
    return Made(path)


def truncated_gzip(folder: Path) -> Made:
    path = folder / "train.csv.gz"
    path.write_bytes(gzip.compress(two_class_frame().to_csv(index=False).encode(), mtime=0)[:-30])
    return Made(path)


def tab_separated(folder: Path) -> Made:
    """A tab-separated pair, and ``--sep '\\t'`` as a shell passes it (backslash, t)."""
    train, val = folder / "train.csv", folder / "val.csv"
    frame = two_class_frame()
    frame.to_csv(train, index=False, sep="\t")
    frame.iloc[:24].assign(a=lambda f: f["a"] + 1000).to_csv(val, index=False, sep="\t")
    return Made(train, ("--val", str(val), "--sep", "\\t"))


def read_only_place(folder: Path) -> Made:
    """--out under /proc, which no one may write to, root included."""
    made = valid()(folder)
    return Made(made.train, (*made.args, "--out", "/proc/audit-report"))


def model_file(source: str, *args: str) -> Maker:
    return with_file("model.py", source, "--model-file", "{folder}/model.py", "--epochs", "1", "--seeds", "1",
                     *args)


# ------------------------------------------------------------------------- column types


def parquet_with_nested_and_binary(folder: Path) -> Made:
    """Binary (not UTF-8), list, struct and map columns; rows 20 to 39 repeat rows 0 to 19 in every column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 40
    blobs = [bytes([0xFF, 0xD8, i % 20]) for i in range(n)]
    lists = [[i % 20, 1] for i in range(n)]
    table = pa.table({
        "blob": pa.array(blobs, type=pa.binary()),
        "items": pa.array(lists, type=pa.list_(pa.int64())),
        "point": pa.array([{"x": i % 20, "tag": "t"} for i in range(n)]),
        "attrs": pa.array([[("k", i % 20)] for i in range(n)], type=pa.map_(pa.string(), pa.int64())),
        "y": pa.array(["x" if i % 20 < 10 else "z" for i in range(n)]),
    })
    path = folder / "train.parquet"
    pq.write_table(table, path)
    return Made(path)


# ----------------------------------------------------------------------- labels and roles


def npz_pair(folder: Path) -> Made:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)).round(3)
    y = np.array([0, 1] * 30)
    path = folder / "train.npz"
    np.savez(path, x_train=x[:40], y_train=y[:40], x_val=x[40:], y_val=y[40:])
    return Made(path, ("--label", "target"))


def labels_written(labels: list[str], name: str = "train.csv") -> Maker:
    def make(folder: Path) -> Made:
        path = folder / name
        pd.DataFrame({"a": range(len(labels)), "b": [i % 5 for i in range(len(labels))],
                      "y": labels}).to_csv(path, index=False)
        return Made(path)
    return make


def rounded_regression_target(folder: Path) -> Made:
    """1,600 rows of a target rounded to 0.1: 49 distinct values, each many times."""
    rng = np.random.default_rng(0)
    target = rng.permutation(np.resize(np.arange(1, 50), 1600)) / 10  # 0.1 to 4.9, each 32 or 33 times
    path = folder / "train.csv"
    pd.DataFrame({"a": rng.normal(size=1600).round(3), "y": [f"{v:.1f}" for v in target]}).to_csv(path, index=False)
    return Made(path)


def split_file(*args: str) -> Maker:
    def make(folder: Path) -> Made:
        path = folder / "data.csv"
        two_class_frame().assign(part=["train", "val"] * 20).to_csv(path, index=False)
        return Made(path, ("--split-column", "part", *args))
    return make


# ------------------------------------------------------------------------------ unclear


def symlink_loop(folder: Path) -> Made:
    path = folder / "train.csv"
    os.symlink(folder / "loop.csv", path)
    os.symlink(path, folder / "loop.csv")
    return Made(path)


def dangling_link(folder: Path) -> Made:
    path = folder / "train.csv"
    os.symlink(folder / "moved-away.csv", path)
    return Made(path)


def xlsx_renamed(folder: Path) -> Made:
    import zipfile

    path = folder / "train.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return Made(path)


def linked_output(link: str, target: str, *args: str) -> Maker:
    """A valid pair, a config ``target`` and ``link`` a symbolic link to it (both under the folder)."""
    def make(folder: Path) -> Made:
        made = valid(*args)(folder)
        (folder / target).write_text("seed = 1\n")
        os.symlink(folder / target, folder / link)
        return made
    return make
