"""The command line: exit codes, one-line errors for bad input, and inputs left untouched."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys

import pytest

from audit.cli import main
from tests.conftest import LABEL, planted_pair

GOOD = "a,b,y\n1,2,x\n3,4,z\n5,6,x\n7,8,z\n"

# One row a case: train bytes, val bytes (None: no val), extra arguments, exit code, message fragment.
BAD_INPUTS = [
    ("missing file", None, None, [], 2, "no such file"),
    ("empty file", b"", None, [], 2, "the file is empty"),
    ("header only", b"a,b,y\n", None, [], 2, "has a header but no data rows"),
    ("label missing", b"a,b,Y\n1,2,x\n", None, [], 2, "--label 'y' is not a column; did you mean 'Y'?"),
    ("label misspelt", b"a,b,yy\n1,2,x\n", None, [], 2, "did you mean 'yy'?"),
    ("empty label", b"a,b,y\n1,2,x\n3,4,\n", None, [], 2, "the label column 'y' is empty in 1 row(s) (data rows 1"),
    ("bad encoding", b"a,b,y\n1,2,caf\xe9\n", None, [], 2, "byte 0xe9 at offset 13 is not valid utf-8; pass --encoding"),
    ("ragged long", b"a,b,y\n1,2,x\n3,4,5,z\n", None, [], 2, "line 3 has 4 fields but the header has 3"),
    ("ragged short", b"a,b,y\n1,2,x\n3,z\n", None, [], 2, "line 3 has 2 fields but the header has 3"),
    ("wrong delimiter", b"a;b;y\n1;2;x\n", None, [], 2, "pass --sep ';'"),
    ("duplicate columns", b"a,a,y\n1,2,x\n", None, [], 2, "the column name 'a' appears more than once"),
    ("different columns", GOOD.encode(), b"a,c,y\n1,2,x\n", [], 2, "the validation columns differ from train's (missing 'b'; has extra 'c')"),
    ("unknown check", GOOD.encode(), None, ["--checks", "nope"], 2, "unknown check 'nope'"),
    ("unparseable time", b"a,t,y\n1,2024-01-01,x\n2,soon,z\n", None, ["--time-column", "t"], 2, "row 1 of the time column 't' holds 'soon'"),
    ("npz with objects", "npz-object", None, [], 2, "Object arrays cannot be loaded when allow_pickle=False"),
]


def write_inputs(tmp_path, train, val):
    paths = []
    for name, content in (("train.csv", train), ("val.csv", val)):
        if content is None:
            paths.append(None)
            continue
        path = tmp_path / name
        if content == "npz-object":
            import numpy as np
            path = tmp_path / "train.npz"
            np.savez(path, x_train=np.array([[1, "a"]], dtype=object), y_train=np.array([0]))
        else:
            path.write_bytes(content)
        paths.append(path)
    return paths


def digest(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p is not None and p.exists()}


@pytest.mark.parametrize("case, train, val, extra, code, fragment", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_line_on_stderr_with_exit_code_2(tmp_path, capsys, case, train, val, extra, code, fragment):
    train_path, val_path = write_inputs(tmp_path, train, val)
    train_path = train_path or tmp_path / "absent.csv"
    before = digest([train_path, val_path])
    argv = ["run", "--no-baseline", "--train", str(train_path), "--label", "y", "--out", str(tmp_path / "out"), *extra]
    if val_path:
        argv += ["--val", str(val_path)]
    assert main(argv) == code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("audit: error: "), captured.err
    assert fragment in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
    assert digest([train_path, val_path]) == before
    assert not (tmp_path / "out").exists()


def test_literal_na_label_is_a_class_and_gzip_is_read(tmp_path):
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress(b"a,b,y\n1,2,NA\n3,4,None\n5,6,NA\n7,8,None\n"))
    # Two rows a class is below the minimum class size: the gate fails, the classes survive.
    assert main(["run", "--no-baseline", "--train", str(path), "--label", "y", "--out", str(tmp_path), "--checks", "class_balance"]) == 1
    report = json.loads((tmp_path / "train.json").read_text())
    imbalance = report["checks"][0]["findings"][0]
    assert imbalance["metrics"]["class_counts"] == {"NA": 2, "None": 2}


def test_exit_codes_follow_the_gate(tmp_path):
    pair = planted_pair()
    pair.train.to_csv(tmp_path / "train.csv", index=False)
    pair.val.to_csv(tmp_path / "val.csv", index=False)
    base = ["run", "--no-baseline", "--train", str(tmp_path / "train.csv"), "--val", str(tmp_path / "val.csv"), "--label", LABEL,
            "--id-column", "id", "--group-column", "group", "--time-column", "time", "--out", str(tmp_path / "out")]
    assert main(base + ["--checks", "exact_leakage"]) == 1  # leakage fails the gate
    assert main(base + ["--checks", "class_balance"]) == 0
    assert main(base + ["--checks", "class_balance,duplicates", "--fail-on", "warn"]) == 1


def test_crashed_check_exits_3_unless_allowed(tmp_path, monkeypatch):
    from checks.duplicates import Duplicates

    def explode(self, data):
        raise RuntimeError("boom")

    monkeypatch.setattr(Duplicates, "run", explode)
    (tmp_path / "t.csv").write_text(GOOD)
    argv = ["run", "--no-baseline", "--train", str(tmp_path / "t.csv"), "--label", "y", "--out", str(tmp_path),
            "--checks", "duplicates"]
    assert main(argv) == 3
    report = json.loads((tmp_path / "t.json").read_text())
    crashed = next(c for c in report["checks"] if c["check"] == "duplicates")
    assert crashed["status"] == "error" and "RuntimeError: boom" in crashed["detail"]
    assert main(argv + ["--allow-errors"]) == 0


def test_help_and_checks_do_not_import_heavy_libraries():
    code = ("import sys; from audit.cli import main; main(['checks']); "
            "heavy = [m for m in ('tensorflow', 'great_expectations', 'cleanlab', 'sklearn') if m in sys.modules]; "
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
