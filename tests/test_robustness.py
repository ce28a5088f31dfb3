"""Every bad input answered clearly, nothing lost, nothing executed.

One table row a case: the input files, the flags, the exit code, and what the user is told
(a fragment of the one stderr line for exit code 2, else the finding or baseline result the
report must hold). Every row also checks what must hold whatever the input: the inputs are
unchanged byte for byte, an error writes nothing, a report is strict JSON and HTML with no
element or attribute the template did not write, the terminal gets no control character, and
the output folder holds the report files and nothing else.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import math
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.cli import default_name, main
from audit.output import safe_name
from audit.readers import DEFAULT_MAX_BYTES, DEFAULT_MAX_COLUMNS, DEFAULT_MAX_ROWS
from tests.render.test_html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, Tree

FAST = "class_balance,duplicates,exact_leakage"
QUALITY = "class_balance,data_quality"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are layout
MAX_HTML_BYTES = 2_000_000
HOSTILE_NAME = "=cmd|' calc'!A0;$(touch pwned)<img src=x onerror=alert(1)>.csv"


# ------------------------------------------------------------------------ input makers


def rows(n: int, row: Callable[[int], str]) -> str:
    return "".join(row(i) for i in range(n))


def two_classes(n: int = 20, header: str = "a,b,y", cell: Callable[[int], str] = lambda i: str(i % 3)) -> bytes:
    """``n`` rows of a counter, one cell and alternating labels x/z: a valid file to vary."""
    return (header + "\n" + rows(n, lambda i: f"{i},{cell(i)},{'xz'[i % 2]}\n")).encode()


def labelled(labels: list[str]) -> bytes:
    return ("a,b,y\n" + rows(len(labels), lambda i: f"{i},{i % 3},{labels[i]}\n")).encode()


def twenty_thousand_columns(folder: Path) -> Path:
    path = folder / "train.csv"
    header = ",".join(f"c{i}" for i in range(20_000)) + ",y\n"
    body = rows(4, lambda r: ",".join([str(r % 2)] * 20_000) + f",{'xz'[r % 2]}\n")
    path.write_text(header + body)
    return path


def gzip_bomb(folder: Path) -> Path:
    """Under 1 KB on disk, 1.2 MB once decompressed."""
    path = folder / "train.csv.gz"
    path.write_bytes(gzip.compress(("a,b,y\n" + "1,2,x\n" * 200_000).encode(), mtime=0))
    return path


class Unpickled:
    """Unpickling this creates a folder: the proof that a pickle was run."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def npz_with_objects(folder: Path) -> Path:
    path = folder / "train.npz"
    x = np.empty((1, 1), dtype=object)
    x[0, 0] = Unpickled(folder / "pwned")
    np.savez(path, x_train=x, y_train=np.array([0]))  # numpy pickles object arrays on save
    return path


def npz_declaring(shape: tuple[int, ...]) -> Callable[[Path], Path]:
    """An .npz whose x_train header declares ``shape`` of float64 but holds no data at all."""
    def make(folder: Path) -> Path:
        path = folder / "train.npz"
        with zipfile.ZipFile(path, "w") as archive:
            with archive.open("x_train.npy", "w") as stream:
                np.lib.format.write_array_header_2_0(stream, {"descr": "<f8", "fortran_order": False, "shape": shape})
            with archive.open("y_train.npy", "w") as stream:
                np.lib.format.write_array(stream, np.array([0]))
        return path
    return make


def with_pred_probs(array_maker: Callable[[Path], None]) -> Callable[[Path], Path]:
    """A valid train file, and beside it the .npy that ``{folder}/probs.npy`` in the flags names."""
    def make(folder: Path) -> Path:
        path = folder / "train.csv"
        path.write_bytes(two_classes())
        array_maker(folder / "probs.npy")
        return path
    return make


def npy_declaring_16_tb(path: Path) -> None:
    with path.open("wb") as stream:
        np.lib.format.write_array_header_1_0(stream, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)})


def npy_with_objects(path: Path) -> None:
    x = np.empty((20, 2), dtype=object)
    x[0, 0] = Unpickled(path.parent / "pwned")
    np.save(path, x)


def parquet(folder: Path) -> Path:
    path = folder / "train.parquet"
    pd.DataFrame({"a": range(20), "b": [i % 3 for i in range(20)], "y": ["xz"[i % 2] for i in range(20)]}).to_parquet(path)
    return path


def ten_megabyte_cell(folder: Path) -> Path:
    path = folder / "train.csv"
    path.write_bytes(two_classes(cell=lambda i: "w" * 10_000_000 if i == 0 else f"t{i % 3}"))
    return path


def hostile_names(folder: Path) -> Path:
    """Markup, formulas and shell syntax in the file name, the column names and the cells."""
    path = folder / HOSTILE_NAME
    pd.DataFrame({
        '=HYPERLINK("http://x","y")': [i % 4 for i in range(24)],
        "<script>alert(1)</script>": ["=1+1", "@SUM(A1)", "-2+3", "+cmd"] * 6,
        "$(touch pwned)": [f"`rm -rf ~`{i % 3}" for i in range(24)],
        "y": ["<b>x</b>", "=HYPERLINK(1)"] * 12,
    }).to_csv(path, index=False)
    return path


def nan_and_inf_features(folder: Path) -> tuple[Path, Path]:
    """A learnable pair whose features hold NaN, inf, -inf and 1e400 (which parses as inf)."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=90).round(4), rng.normal(size=90).round(4)
    labels = np.where(a + 0.3 * rng.normal(size=90) > 0, "p", "q")
    cells = [str(v) for v in b]
    for i in range(0, 90, 3):
        cells[i] = ""                       # NaN
    for i, token in zip(range(1, 90, 10), ["inf", "-inf", "1e400"] * 3):
        cells[i] = token
    text = "a,b,y\n" + "".join(f"{x},{c},{y}\n" for x, c, y in zip(a, cells, labels))
    lines = text.splitlines(keepends=True)
    train, val = folder / "train.csv", folder / "val.csv"
    train.write_text("".join(lines[:61]))
    val.write_text(lines[0] + "".join(lines[61:]))
    return train, val


def huge_features(folder: Path) -> tuple[Path, Path]:
    """Finite values too large to standardise (their variance overflows)."""
    train, val = folder / "train.csv", folder / "val.csv"
    train.write_bytes(two_classes(40, cell=lambda i: "1e308" if i % 2 else "-1e308"))
    val.write_bytes(two_classes(12, cell=lambda i: "1e308" if i % 2 else "-1e308"))
    return train, val


# ------------------------------------------------------------------------------- table


Content = bytes | Callable[[Path], "Path | tuple[Path, Path]"]


@dataclass(frozen=True)
class Case:
    """One bad input. ``message`` is a fragment of the stderr line (exit code 2), else of the
    message of the finding ``finding`` = (code, severity), or of the baseline's skip reason."""

    id: str
    train: Content
    val: bytes | None = None
    args: tuple[str, ...] = ()
    code: int = 2
    message: str = ""
    finding: tuple[str, str] | None = None
    checks: str = FAST
    baseline: str | None = None  # "ran": losses must be finite; "skipped": message is the reason


CASES = [
    Case("empty file", b"", message="train.csv: the file is empty; it needs a header line and data rows"),
    Case("blank lines only", b"\n \n\n", message="the file is empty; it needs a header line and data rows"),
    Case("header only", b"a,b,y\n", message="train.csv: has a header but no data rows"),
    Case("label column missing", b"a,b,c\n1,2,x\n",
         message="train.csv: --label 'y' is not a column; the columns are 'a', 'b', 'c'"),
    Case("label column in another case", b"a,b,Y\n1,2,x\n", message="--label 'y' is not a column; did you mean 'Y'?"),
    Case("one class only", labelled(["x"] * 20), code=1, finding=("class_imbalance", "fail"),
         message="train: every row has the same label (x, 20 rows); a classifier needs at least two classes"),
    Case("a class with one member", labelled(["x"] * 20 + ["z"]), code=1, finding=("class_imbalance", "fail"),
         message="the smallest (z, 1 rows, 4.76% of rows). 1 class(es) have fewer than 10 rows."),
    Case("a class with two members", labelled(["x"] * 20 + ["z"] * 2), code=1, finding=("class_imbalance", "fail"),
         message="the smallest (z, 2 rows, 9.09% of rows). 1 class(es) have fewer than 10 rows."),
    Case("every class with one member", labelled(["x", "z", "q"]), code=0, checks="label_issues",
         finding=("label_issues", "info"),
         message="Labels were not checked: every train class has a single row"),
    Case("all-NaN column", two_classes(cell=lambda i: ""), code=0, checks=QUALITY, finding=("data_quality", "warn"),
         message="train: 1 column(s) are entirely missing: 'b'; drop them or fix the export."),
    Case("numbers and text mixed in a column", two_classes(cell=lambda i: str(i) if i % 2 else "text"),
         code=0, checks=QUALITY, finding=("data_quality", "warn"),
         message="train: 1 column(s) mix numbers and text: 'b' has 10 numbers and 10 text values."),
    Case("inf and 1e400", two_classes(cell=lambda i: ["inf", "1e400", "-inf", str(i)][i % 4]), code=1,
         checks=QUALITY, finding=("data_quality", "fail"),
         message="train: 15 infinite values in 1 column(s) ('b'); a network's loss becomes NaN on them."),
    Case("NaN, inf and 1e400 in features reach the baseline", nan_and_inf_features, baseline="ran",
         code=0, checks="class_balance"),
    Case("features too large to standardise", huge_features, baseline="skipped", code=0, checks="class_balance",
         message="the baseline could not train: raw_train: 40 non-finite values would reach the network in "
                 "column(s) ['b'] (values too large to standardise); rescale or drop them"),
    Case("duplicate column names", b"a,a,y\n1,2,x\n",
         message="train.csv: the column name 'a' appears more than once in the header; rename one of them"),
    Case("unnamed column", b"a,,y\n1,2,x\n",
         message="train.csv: column 2 of the header has no name; give every column a name"),
    Case("non-UTF-8 bytes", b"a,b,y\n1,2,caf\xe9\n",
         message="train.csv: byte 0xe9 at offset 13 is not valid utf-8; pass --encoding with the file's encoding "
                 "(for example --encoding latin-1)"),
    Case("non-UTF-8 bytes read as latin-1", labelled(["caf\xe9"] * 10 + ["th\xe9"] * 10).decode().encode("latin-1"),
         args=("--encoding", "latin-1"), code=0, finding=("class_imbalance", "info"),
         message="the largest class (café, 10 rows)"),
    Case("unknown encoding", two_classes(), args=("--encoding", "klingon"),
         message="unknown encoding 'klingon'; pass a Python codec name to --encoding, such as utf-8"),
    # With the byte-order mark kept, the first column would be '\ufeffy' and --label y would miss.
    Case("byte-order mark", b"\xef\xbb\xbfy,a,b\n" + rows(20, lambda i: f"{'xz'[i % 2]},{i},{i % 3}\n").encode(),
         code=0, finding=("class_imbalance", "info"), message="train: 2 classes"),
    Case("NUL and control characters", ("a,b,y\n" + rows(24, lambda i: f"{i % 2},v\x00\x07\x1b[31m{i % 2},"
                                                     f"{'x' if i % 2 else 'z'}\x1b]0;title\x07\n")).encode(),
         code=1, finding=("exact_duplicates", "fail"), message="train: 22 rows (91.67%) repeat the features"),
    Case("20,000 columns over the default --max-columns", twenty_thousand_columns,
         message="train.csv: has 20,001 columns, over the limit of 10,000; raise --max-columns if the machine "
                 "can hold it"),
    Case("20,000 columns with --max-columns raised", twenty_thousand_columns, args=("--max-columns", "20001"),
         code=1, checks="class_balance", finding=("class_imbalance", "fail"), message="train: 2 classes"),
    Case("rows over --max-rows", two_classes(), args=("--max-rows", "10"),
         message="train.csv: has more than 10 data rows, over the limit of 10; raise --max-rows"),
    Case("a size limit with the Spark engine", two_classes(), args=("--engine", "spark", "--max-rows", "5"),
         message="--max-rows bounds what the pandas engine loads into memory; Spark reads in partitions and does "
                 "not apply it: leave it out or use --engine pandas"),
    Case("bad --max-bytes value", two_classes(), args=("--max-bytes", "lots"),
         message="audit run: error: argument --max-bytes: 'lots' is not a size; give bytes, or a number with K, M "
                 "or G such as 500M"),
    Case("labels as integral floats", labelled([f"{i % 2}.0" for i in range(20)]), code=0,
         finding=("class_imbalance", "info"), message="the largest class (0, 10 rows) is 1.0x the smallest (1,"),
    Case("labels as non-integral floats", labelled([f"{i % 2}.5" for i in range(20)]), code=0,
         finding=("class_imbalance", "info"), message="the largest class (0.5, 10 rows) is 1.0x the smallest (1.5,"),
    Case("labels as continuous floats", labelled([f"{i * 0.37:.3f}" for i in range(40)]),
         message="train.csv: the label column 'y' looks like a regression target (40 distinct numbers, not all "
                 "whole, in 40 rows;"),
    Case("string labels", labelled(["cat", "dog house"] * 10), code=0, finding=("class_imbalance", "info"),
         message="the largest class (cat, 10 rows) is 1.0x the smallest (dog house, 10 rows"),
    Case("literal NA and None labels", labelled(["NA", "None"] * 10), code=0, finding=("class_imbalance", "info"),
         message="the largest class (NA, 10 rows) is 1.0x the smallest (None, 10 rows"),
    Case("an empty label", labelled(["x", "z"] * 5 + [""]),
         message="train.csv: the label column 'y' is empty in 1 row(s) (data rows 10, counted from 0 after the "
                 "header); fill in the labels or drop those rows"),
    Case("val labels unseen in train", two_classes(), labelled(["x", "q"] * 10), code=1, checks="class_balance",
         finding=("unseen_labels", "fail"), message="10 val rows (50.00%) carry 1 label that never occurs in train: q."),
    Case("train and val with different columns", two_classes(), b"a,c,y\n1,2,x\n",
         message="val.csv: the validation columns differ from train's (missing 'b'; has extra 'c'); give both "
                 "splits the same columns"),
    Case("train and val with different dtypes", two_classes(), two_classes(cell=lambda i: f"s{i % 3}"), code=1,
         checks=QUALITY, finding=("data_quality", "fail"),
         message="val: column 'b' fails expect_column_values_to_be_in_type_list"),
    Case("1 in train, 1.0 in val: the leak is still found", two_classes(),
         two_classes(10, cell=lambda i: f"{i % 3}.0"), code=1, checks="exact_leakage",
         finding=("exact_leakage", "fail"), message="10 val rows (100.00%)"),
    Case("time column: numbers in train, dates in val", b"t,a,y\n0,1,x\n1,2,z\n", b"t,a,y\n2024-01-01,1,x\n",
         args=("--time-column", "t"),
         message="val.csv: the time column 't' holds dates without a time zone but train "),
    Case("time column: some rows with a time zone, some without",
         b"t,a,y\n2024-01-01T00:00:00Z,1,x\n2024-01-03,2,z\n", args=("--time-column", "t"),
         message="train.csv: the time column 't' has a time zone in some rows (row 0: '2024-01-01T00:00:00Z') and "
                 "none in others (row 1: '2024-01-03'); write every time with its offset, or none"),
    Case("time column: rows with different UTC offsets", ("t,a,y\n" + rows(20, lambda i: (
        f"2024-01-{i + 1:02d}T00:00:00{'Z' if i % 2 else '+02:00'},{i},{'xz'[i % 2]}\n"))).encode(),
         b"t,a,y\n2024-01-05T00:00:00+05:00,1,x\n", args=("--time-column", "t"), code=1, checks="temporal_leakage",
         finding=("temporal_leakage", "fail"), message="1 val row (100.00%) is dated at or before the latest train row"),
    Case("ragged rows", b"a,b,y\n1,2,x\n3,4,5,z\n",
         message="train.csv: line 3 has 4 fields but the header has 3; fix that row (an unquoted ',' inside a "
                 "value is the usual cause)"),
    Case("unclosed quote", b'a,b,y\n1,"2,x\n3,4,z\n5,6,x\n',
         message="train.csv: the record on lines 2-4 has 2 fields but the header has 3; a quote opened on line 2 "
                 "is never closed: close it, or double a quote meant as text (\"\")"),
    Case("an extra field after a multi-line value", b'a,b,y\n1,2,x\n3,"4\n4",z,9\n',
         message="train.csv: the record on lines 3-4 has 4 fields but the header has 3; check the quotes and the "
                 "',' delimiters in those lines"),
    Case("wrong delimiter", b"a;b;y\n1;2;x\n",
         message="train.csv: only one column was found, but the header contains ';'; pass --sep ';' if that is "
                 "the delimiter"),
    Case("the right --sep", two_classes().replace(b",", b";"), args=("--sep", ";"), code=0,
         finding=("class_imbalance", "info"), message="2 classes"),
    Case(".csv.gz expanding past --max-bytes", gzip_bomb, args=("--max-bytes", "1M"),
         message="train.csv.gz: more than 1,048,576 bytes of text once decompressed, over the limit; raise "
                 "--max-bytes if this is expected"),
    Case(".npz with object arrays", npz_with_objects,
         message="train.npz: Object arrays cannot be loaded when allow_pickle=False; save the arrays with a "
                 "numeric or string dtype"),
    Case(".npz declaring 8 TB", npz_declaring((10**9, 1000)),
         message="train.npz: array x_train declares 8,000,000,000,000 bytes, over the limit of 2,147,483,648; "
                 "raise --max-bytes if the machine can hold it"),
    Case(".npz whose declared size overflows int64", npz_declaring((2**32, 2**32)),
         message="train.npz: array x_train declares 147,573,952,589,676,412,928 bytes, over the limit"),
    Case(".npz declaring more rows than --max-rows", npz_declaring((1000, 2)), args=("--max-rows", "100"),
         message="train.npz: has 1,000 rows in array x_train, over the limit of 100; raise --max-rows"),
    Case("--pred-probs .npy declaring 16 TB", with_pred_probs(npy_declaring_16_tb),
         args=("--pred-probs", "{folder}/probs.npy"),
         message="probs.npy: declares an array of shape (1000000000000, 2) (16,000,000,000,000 bytes), over the "
                 "limit of 2,147,483,648; --pred-probs takes one row per train row and one column per class"),
    Case("--pred-probs .npy with an object array", with_pred_probs(npy_with_objects),
         args=("--pred-probs", "{folder}/probs.npy"),
         message="probs.npy: cannot be read without pickle (Object arrays cannot be loaded when "
                 "allow_pickle=False); save a float array with numpy.save"),
    Case("Parquet file", parquet, code=0, finding=("class_imbalance", "info"), message="train: 2 classes"),
    Case("Parquet over --max-rows", parquet, args=("--max-rows", "10"),
         message="train.parquet: has 20 data rows, over the limit of 10; raise --max-rows if the machine can hold it"),
    Case("Parquet over --max-bytes", parquet, args=("--max-bytes", "100"),
         message="bytes of uncompressed data, over the limit of 100; raise --max-bytes"),
    Case("a 10 MB text cell", ten_megabyte_cell, code=0, checks="class_balance,duplicates,near_duplicates",
         finding=("class_imbalance", "info"), message="train: 2 classes"),
    Case("HTML, formula and shell text in file and column names", hostile_names, code=1,
         checks="class_balance,duplicates,data_quality", finding=("data_quality", "info"),
         message="train: 36 text cells in 2 column(s) start with =, +, - or @ and would run as formulas"),
]


# ------------------------------------------------------------------------------ helpers


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` outside the output folder, by content hash."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "out" not in p.relative_to(folder).parts}


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``audit`` in this process: exit code, stdout, stderr (argparse's exit becomes a code)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse refusing a flag: usage, then one error line
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def strict_json(text: str) -> dict:
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def assert_html_is_ours(html: str) -> None:
    """No element, attribute or link the template does not write, whatever the data holds."""
    tree = Tree(html)
    for tag, attrs in tree.elements:
        assert tag in ALLOWED_TAGS, f"unexpected element <{tag}>"
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, f"unexpected attribute {name}= on <{tag}>"
            if name == "href":
                assert value.startswith("#"), f"href={value!r} leaves the page"
    assert "<script" not in html.lower() and "url(" not in html.lower()


def write_case(case: Case, folder: Path) -> tuple[Path, Path | None]:
    if callable(case.train):
        made = case.train(folder)
        train, val = made if isinstance(made, tuple) else (made, None)
    else:
        train, val = folder / "train.csv", None
        train.write_bytes(case.train)
    if case.val is not None:
        val = folder / "val.csv"
        val.write_bytes(case.val)
    return train, val


# -------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_answered_clearly(tmp_path, case):
    train, val = write_case(case, tmp_path)
    before = digest(tmp_path)
    out = tmp_path / "out"
    argv = ["run", "--train", str(train), "--label", "y", "--out", str(out), "--no-accepted", "--checks", case.checks,
            *(arg.format(folder=tmp_path) for arg in case.args)]
    if val is not None:
        argv += ["--val", str(val)]
    argv += ["--epochs", "3", "--seeds", "1"] if case.baseline else ["--no-baseline"]

    code, stdout, stderr = run_cli(argv)

    assert code == case.code, stderr or stdout
    assert digest(tmp_path) == before, "an input file changed"
    assert not (tmp_path / "pwned").exists(), "something from the data was executed"
    assert "Traceback" not in stderr
    if code == 2:
        lines = stderr.strip().splitlines()
        assert lines and case.message in lines[-1], stderr
        if not lines[-1].startswith("audit run: error: "):  # argparse prints its usage first
            assert len(lines) == 1 and lines[0].startswith("audit: error: "), stderr
        assert not out.exists(), "an input error wrote files"
        return

    assert stderr == "" or case.baseline, stderr
    assert not CONTROL.search(stdout), f"control characters reached the terminal: {stdout!r}"
    stem = safe_name(default_name(train))
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.html", f"{stem}.json"]
    report = strict_json((out / f"{stem}.json").read_text(encoding="utf-8"))
    assert report["exit_code"] == code
    assert all(c["status"] != "error" for c in report["checks"]), [c["detail"] for c in report["checks"]]
    html = (out / f"{stem}.html").read_text(encoding="utf-8")
    assert len(html.encode()) < MAX_HTML_BYTES
    assert_html_is_ours(html)

    if case.finding:
        findings = [f for c in report["checks"] for f in c["findings"]]
        matching = [f for f in findings if (f["code"], f["severity"]) == case.finding and case.message in f["message"]]
        assert matching, [(f["code"], f["severity"], f["message"]) for f in findings]
    if case.baseline == "ran":
        baseline = report["baseline"]
        assert baseline["status"] == "ran", baseline.get("reason")
        for run in ("raw", "fixed"):
            for curve in ("train_loss", "val_loss", "reference_loss"):
                values = baseline[run]["curves"][curve]["mean"]
                assert len(values) == 3 and all(v is not None and math.isfinite(v) for v in values), (run, curve, values)
    elif case.baseline == "skipped":
        assert report["baseline"]["status"] == "skipped"
        assert case.message in report["baseline"]["reason"]


def test_the_size_flags_show_the_defaults_the_readers_use():
    from audit.cli_arguments import build_parser

    run = build_parser()._subparsers._group_actions[0].choices["run"]
    helps = {a.dest: a.help for a in run._actions}
    assert f"{DEFAULT_MAX_ROWS:,}" in helps["max_rows"]
    assert f"{DEFAULT_MAX_COLUMNS:,}" in helps["max_columns"]
    assert DEFAULT_MAX_BYTES == 2 * 1024**3 and "2G" in helps["max_bytes"]


@pytest.mark.parametrize("value, expected", [("1000", 1000), ("64K", 65536), ("500M", 500 * 1024**2),
                                             ("2GiB", 2 * 1024**3), ("1.5k", 1536)])
def test_max_bytes_takes_units(value, expected):
    from audit.cli_arguments import size_argument

    assert size_argument(value) == expected


# ------------------------------------------------------------------------- output safety


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute/escaped", "..", "a/../../b", "~/x", "\x1b[31m"])
def test_a_report_name_cannot_steer_a_write_outside_the_output_folder(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    train = work / "train.csv"
    train.write_bytes(two_classes(24) + b"0,0,x\n")
    out = work / "deep" / "out"
    before = {p for p in tmp_path.rglob("*")}
    code, _, stderr = run_cli(["run", "--train", str(train), "--label", "y", "--out", str(out), "--no-baseline",
                               "--no-accepted", "--checks", "duplicates", "--name", name, "--write-fixed"])
    assert code in (0, 1), stderr
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p == out.parent or out in p.parents or p == out for p in created), sorted(created)
    assert not Path("/tmp/absolute").exists()


def test_file_and_label_names_cannot_steer_a_write_and_the_manifest_defuses_formulas(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    train = hostile_names(folder)
    # Two copies of one row with different labels, so the plan drops rows and the manifest has lines.
    with train.open("a") as stream:
        stream.write('0,=1+1,`rm -rf ~`0,=HYPERLINK(1)\n0,=1+1,`rm -rf ~`0,"@SUM(A1)"\n')
    out = tmp_path / "out"
    code, _, stderr = run_cli(["run", "--train", str(train), "--label", "y", "--out", str(out), "--no-baseline",
                               "--no-accepted", "--checks", "duplicates", "--write-fixed"])
    assert code == 1, stderr
    stem = safe_name(default_name(train))
    assert re.fullmatch(r"[A-Za-z0-9._-]+", stem) and not stem.startswith(".")
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.fixed", f"{stem}.html", f"{stem}.json"]
    assert sorted(p.name for p in (out / f"{stem}.fixed").iterdir()) == ["manifest.csv", "manifest.json", "train.csv"]
    assert not (tmp_path / "pwned").exists() and not (folder / "pwned").exists()
    manifest = pd.read_csv(out / f"{stem}.fixed" / "manifest.csv", dtype=str, keep_default_na=False)
    assert len(manifest)
    for cell in manifest.to_numpy().ravel():
        assert not cell.startswith(("=", "+", "-", "@")), f"a spreadsheet would run {cell!r}"
    assert "'=HYPERLINK(1)" in set(manifest["label"])


# --------------------------------------------------------------------- nothing executed


SOURCE_ROOTS = ("audit", "checks")
FORBIDDEN = {
    "allow_pickle=True": re.compile(r"allow_pickle\s*=\s*True"),
    "pickle.load": re.compile(r"\b(c?pickle|dill|cloudpickle|joblib)\.loads?\("),
    "read_pickle": re.compile(r"\bread_pickle\("),
    "eval(": re.compile(r"(?<![\w.])eval\("),
    "exec(": re.compile(r"(?<![\w.])exec\("),
    "exec_module(": re.compile(r"\.exec_module\("),
    "load_model(": re.compile(r"\bload_model\("),
    "os.system/subprocess": re.compile(r"\bos\.system\(|\bsubprocess\.|\bshell\s*=\s*True"),
}
# The one place that runs code: the --model-file loader of the baseline.
ALLOWED = {("audit/training/networks.py", "exec_module(", "load_build_model")}


def python_sources() -> list[Path]:
    root = Path(__file__).resolve().parents[1]
    return sorted(p for folder in SOURCE_ROOTS for p in (root / folder).rglob("*.py"))


def enclosing_function(lines: list[str], index: int) -> str:
    for line in reversed(lines[:index + 1]):
        match = re.match(r"\s*def (\w+)", line)
        if match:
            return match.group(1)
    return "<module>"


def test_nothing_is_unpickled_evaluated_or_executed_outside_the_model_file_loader():
    root = Path(__file__).resolve().parents[1]
    found = []
    for path in python_sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            code = line.split("#", 1)[0]
            for name, pattern in FORBIDDEN.items():
                if pattern.search(code):
                    found.append((str(path.relative_to(root)), name, enclosing_function(lines, index)))
    assert set(found) <= ALLOWED, sorted(set(found) - ALLOWED)
    assert ALLOWED <= set(found), "the model-file loader moved; update ALLOWED"


def test_every_numpy_load_refuses_pickles():
    calls = 0
    for path in python_sources():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\bnp\.load\(([^)]*)\)", text):
            calls += 1
            assert "allow_pickle=False" in match.group(1), f"{path.name}: np.load({match.group(1)})"
    assert calls >= 3


def test_a_config_found_in_the_working_folder_cannot_name_code_to_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.py").write_text("import os\nos.mkdir('pwned')\n")
    (tmp_path / "audit.toml").write_text('[baseline]\nmodel_file = "evil.py"\n')
    (tmp_path / "train.csv").write_bytes(two_classes())
    (tmp_path / "val.csv").write_bytes(two_classes(12))
    code, _, stderr = run_cli(["run", "--train", "train.csv", "--val", "val.csv", "--label", "y", "--epochs", "1",
                               "--seeds", "1", "--checks", "class_balance"])
    assert code == 2 and not (tmp_path / "pwned").exists()
    assert stderr == ("audit: error: audit.toml: baseline.model_file names Python code to run ('evil.py'), and this "
                      "file was found in the working folder, not named; pass --config audit.toml (or --model-file) "
                      "if you trust it\n")
    assert not (tmp_path / "reports").exists()


def test_a_crash_message_from_the_data_cannot_drive_the_terminal(tmp_path, monkeypatch):
    from checks.duplicates import Duplicates

    def explode(self, data):
        raise RuntimeError(f"column {data.feature_columns[0]!s} broke")

    monkeypatch.setattr(Duplicates, "run", explode)
    train = tmp_path / "train.csv"
    train.write_bytes(two_classes(header="\x1b]0;pwned\x07\x1b[2J,b,y"))
    code, stdout, stderr = run_cli(["run", "--train", str(train), "--label", "y", "--out", str(tmp_path / "out"),
                                    "--no-baseline", "--no-accepted", "--checks", "duplicates"])
    assert code == 3, stderr
    assert "ERROR duplicates: crashed (RuntimeError: column ]0;pwned [2J broke)" in stdout
    assert not CONTROL.search(stdout), repr(stdout)


def test_an_error_stays_one_line_whatever_the_file_name_holds(tmp_path):
    train = tmp_path / "evil\x1b[2J\nname.csv"
    train.write_bytes(b"")
    code, stdout, stderr = run_cli(["run", "--train", str(train), "--label", "y", "--no-baseline"])
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and not CONTROL.search(stderr.rstrip("\n")), repr(stderr)
    assert "evil [2J name.csv: the file is empty" in stderr
