"""The fix plan and the fixed files: the right rows go, the rest stay byte for byte, inputs untouched."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit.api import audit_data, plan_fixes
from audit.cli import main
from audit.data import InputFiles, ReadOptions, Roles, from_frames, load_files
from audit.demo import make_demo_pair
from audit.errors import InputError
from audit.fixed_files import field_spans, neutralise, write_fixed
from audit.fixes import INFO_ONLY, UNKNOWN_CODE, FixOptions, IgnoredFinding, build_plan
from audit.runner import CheckResult
from checks import Finding, Severity
from tests.conftest import LABEL, planted_pair

BOM = "\ufeff"
EXACT_CHECKS = ["duplicates", "exact_leakage"]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_bytes(path: Path, text: str, encoding: str = "utf-8") -> Path:
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def audit_files(train: Path, val: Path | None = None, *, label: str = "label", checks=EXACT_CHECKS,
                split_column: str | None = None, encoding: str = "utf-8", extra=(), **roles):
    """Load real files and audit them; ``extra`` findings are added as another check's results."""
    files = InputFiles(train, val, split_column, ReadOptions(encoding=encoding))
    data = load_files(files, Roles(label, **roles))
    report = audit_data(data, checks=checks)
    for check, finding in extra:
        report.results.append(CheckResult(check, "ran", {}, 0.0, [finding]))
    return report, files


def fix(report, files, out: Path, **options):
    plan = plan_fixes(report, **options)
    written = write_fixed(plan, report.data, out, "t", files)
    report.fixes = plan.summary(written)
    return plan, written


def label_issues(*rows) -> tuple[str, Finding]:
    """A label_issues finding as the label-noise check writes it: (split, row, given, suggested)."""
    evidence = [{"split": s, "row": r, "given_label": g, "suggested_label": n, "label_quality": 0.01}
                for s, r, g, n in rows]
    return "label_noise", Finding("label_issues", Severity.WARN, "planted label issues", rows=evidence)


def manifest_of(written) -> dict[tuple[str, int], tuple[str, list[str]]]:
    rows = json.loads(Path(written["manifest"]).read_text(encoding="utf-8"))["rows"]
    return {(r["split"], r["row"]): (r["action"], r["reasons"]) for r in rows}


# ------------------------------------------------------------------ byte-faithful copies

TRAIN_RECORDS = [
    '007,"hello, world",1,2,NA\r\n',
    '008,"multi\r\nline ""quoted""",3,4,cat\r\n',
    '009,"hello, world",1.0,2,NA\r\n',  # repeats row 0 (1.0 is 1): dropped
    '010,plain,5,6,"dog"\r\n',
    '011, spaced ,7,8,cat\r\n',
    '012,"é ü",9,10,NA\r\n',
    '013,"multi\r\nline ""quoted""",3,4,cat\r\n',  # repeats row 1: dropped
    '014,last,11,12,dog\r\n',
]
VAL_RECORDS = [
    "v1,fresh,100,200,cat\n",
    "\n",
    "v2,plain,5,6,dog\n",  # train row 3's features: dropped
    "\n",
    'v3,"another, one",300,400,NA',  # no line break at the end
]


def test_fixed_csv_rows_are_byte_identical_to_the_input_rows(tmp_path):
    header = "id,text,x1,x2,label"
    train = write_bytes(tmp_path / "train.csv", BOM + header + "\r\n" + "".join(TRAIN_RECORDS))
    val = write_bytes(tmp_path / "val.csv", header + "\n" + "".join(VAL_RECORDS))
    before = {p: sha256(p) for p in (train, val)}

    report, files = audit_files(train, val, id_column="id")
    plan, written = fix(report, files, tmp_path / "out")

    kept = [r for i, r in enumerate(TRAIN_RECORDS) if i not in (2, 6)]
    assert written["train"].read_bytes() == (BOM + header + "\r\n" + "".join(kept)).encode("utf-8")
    assert written["val"].read_bytes() == (header + "\n" + VAL_RECORDS[0] + VAL_RECORDS[4]).encode("utf-8")
    assert {p: sha256(p) for p in (train, val)} == before
    assert manifest_of(written) == {("train", 2): ("drop", ["exact_duplicates"]),
                                    ("train", 6): ("drop", ["exact_duplicates"]),
                                    ("val", 1): ("drop", ["exact_leakage"])}
    rows = json.loads(written["manifest"].read_text())["rows"]
    assert rows[0]["id"] == "009" and rows[0]["label"] == "NA" and rows[0]["details"] == {
        "exact_duplicates": [{"duplicate_of": 0}]}
    assert rows[2]["details"] == {"exact_leakage": [{"train_row": 3}]}
    assert report.fixes.train_rows_dropped == 2 and report.fixes.val_rows_dropped == 1
    assert report.fixes.manifest == str(written["manifest"])

    # The frames for the baseline keep the input's row numbers and parsed values.
    frames = plan.fixed_frames(report.data)
    assert list(frames.train.index) == [0, 1, 3, 4, 5, 7] and list(frames.val.index) == [0, 2]
    assert frames.train.loc[0, "id"] == "007" and frames.train.loc[0, "label"] == "NA"
    assert list(frames.reference.index) == [0, 2]


def test_non_utf8_input_is_copied_in_its_own_encoding(tmp_path):
    text = "id,f,label\ncafé,1,naïve\ncrème,1,naïve\nthé,2,x\n"
    train = write_bytes(tmp_path / "train.csv", text, "latin-1")
    report, files = audit_files(train, encoding="latin-1", checks=["duplicates"], id_column="id")
    _, written = fix(report, files, tmp_path / "out")
    assert written["train"].read_bytes() == "id,f,label\ncafé,1,naïve\nthé,2,x\n".encode("latin-1")


def test_an_input_changed_since_the_audit_is_refused(tmp_path):
    train = write_bytes(tmp_path / "train.csv", "f,label\n1,a\n1,a\n2,b\n")
    report, files = audit_files(train, checks=["duplicates"])
    write_bytes(train, "f,label\n1,a\n1,a\n2,b\n3,c\n")
    with pytest.raises(InputError, match="changed"):
        fix(report, files, tmp_path / "out")
    assert not (tmp_path / "out" / "t.fixed" / "train.csv").exists()


# ------------------------------------------------------------------------ the planted pair


def test_manifest_lists_exactly_the_planted_rows_with_their_reasons(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pair = planted_pair()
    pair.train.to_csv("train.csv", index=False)
    pair.val.to_csv("val.csv", index=False)
    before = {p: sha256(p) for p in ("train.csv", "val.csv")}
    argv = ["fix", "--no-baseline", "--train", "train.csv", "--val", "val.csv", "--label", LABEL, "--id-column", "id",
            "--group-column", "group", "--time-column", "time", "--out", "out", "--quiet",
            "--checks", "duplicates,exact_leakage,group_leakage,temporal_leakage"]
    assert main(argv) == 0  # the gate fails, but fix reports success once the files are written

    truth = pair.truth
    duplicates = {row for row, _ in truth["exact_duplicates"]}
    conflicts = truth["conflicting_labels"]
    expected = {}
    for row in duplicates | conflicts:
        reasons = [code for code, rows in (("exact_duplicates", duplicates), ("conflicting_labels", conflicts))
                   if row in rows]
        expected["train", row] = ("drop", reasons)
    leaked = {row for row, _ in truth["exact_leakage"]}
    for row in leaked | truth["group_leakage"] | truth["temporal_leakage"]:
        reasons = [code for code, rows in (("conflicting_labels", truth["conflicting_across"]),
                                           ("exact_leakage", leaked), ("group_leakage", truth["group_leakage"]),
                                           ("temporal_leakage", truth["temporal_leakage"])) if row in rows]
        expected["val", row] = ("drop", reasons)
    written = {"manifest": Path("out/train.fixed/manifest.json")}
    assert manifest_of(written) == expected
    assert len(expected) == 12 * 3 + 12 * 4  # copies and conflict pairs; leaks, conflicting leaks, groups, times

    with open("out/train.fixed/manifest.csv", newline="", encoding="utf-8") as stream:
        table = list(csv.DictReader(stream))
    assert {(r["split"], int(r["row"])): (r["action"], r["reasons"].split(";")) for r in table} == expected

    # Every kept row is the input's line (no quoted newlines here), in the input's order.
    for split in ("train", "val"):
        lines = Path(f"{split}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [lines[0]] + [line for row, line in enumerate(lines[1:]) if (split, row) not in expected]
        assert Path(f"out/train.fixed/{split}.csv").read_text(encoding="utf-8") == "".join(kept)
    assert {p: sha256(p) for p in ("train.csv", "val.csv")} == before

    summary = json.loads(Path("out/train.json").read_text())["fixes"]
    assert summary["train_rows_dropped"] == 36 and summary["val_rows_dropped"] == 48
    assert summary["manifest"] == "out/train.fixed/manifest.json"

    # Same inputs, same bytes.
    outputs = sorted(Path("out/train.fixed").iterdir())
    first = {p: p.read_bytes() for p in outputs}
    assert main(argv) == 0
    assert {p: p.read_bytes() for p in outputs} == first


def test_run_fills_fixes_and_writes_files_only_with_write_fixed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pair = planted_pair()
    pair.train.to_csv("train.csv", index=False)
    pair.val.to_csv("val.csv", index=False)
    argv = ["run", "--no-baseline", "--train", "train.csv", "--val", "val.csv", "--label", LABEL, "--id-column", "id",
            "--group-column", "group", "--time-column", "time", "--out", "out", "--quiet",
            "--checks", "duplicates,exact_leakage"]
    assert main(argv) == 1
    fixes = json.loads(Path("out/train.json").read_text())["fixes"]
    assert fixes["train_rows_dropped"] == 36 and fixes["val_rows_dropped"] == 24 and fixes["manifest"] is None
    assert not Path("out/train.fixed").exists()
    assert main(argv + ["--write-fixed"]) == 1
    assert Path("out/train.fixed/train.csv").exists() and Path("out/train.fixed/manifest.csv").exists()


# ------------------------------------------------------------------------ options


def test_relabel_replaces_only_the_label_cell_and_val_labels_never_change(tmp_path):
    header = "id,label,note\n"
    records = ['a1,cat,"x, y"\n', 'a2,"dog",plain\n', 'a3,NA,"multi\nline"\n', "a4,cat,z\n"]
    train = write_bytes(tmp_path / "train.csv", header + "".join(records))
    val = write_bytes(tmp_path / "val.csv", header + "b1,cat,v\nb2,dog,w\n")
    issues = label_issues(("train", 1, "dog", "big, dog"), ("train", 2, "NA", "cat"), ("val", 1, "dog", "cat"))

    report, files = audit_files(train, val, id_column="id", extra=[issues])
    plan, written = fix(report, files, tmp_path / "relabel", relabel=True)
    relabelled = ['a2,"big, dog",plain\n', 'a3,cat,"multi\nline"\n']
    assert written["train"].read_text() == header + records[0] + "".join(relabelled) + records[3]
    assert written["val"].read_bytes() == val.read_bytes()
    assert manifest_of(written) == {("train", 1): ("relabel", ["label_issues"]),
                                    ("train", 2): ("relabel", ["label_issues"]),
                                    ("val", 1): ("exclude_from_reference", ["label_issues"])}
    assert report.fixes.labels_changed == 2 and report.fixes.val_rows_excluded_from_reference == 1
    frames = plan.fixed_frames(report.data)
    assert frames.train["label"].tolist() == ["cat", "big, dog", "cat", "cat"]
    assert frames.val["label"].tolist() == ["cat", "dog"] and list(frames.reference.index) == [0]
    assert report.fixed_train()["label"].tolist() == ["cat", "big, dog", "cat", "cat"]  # options recorded
    assert report.fixed_val()["label"].tolist() == ["cat", "dog"]

    plan, written = fix(report, files, tmp_path / "drop")
    assert written["train"].read_text() == header + records[0] + records[3]
    assert plan.dropped("train") == [1, 2] and plan.relabelled("train") == {}


def test_keep_majority_keeps_one_row_of_the_majority_label(tmp_path):
    labels = ["x", "x", "y", "y", "x", "y", "x", "x", "x", "y"]
    features = [1, 1, 1, 2, 2, 3, 3, 3, 4, 5]  # groups: 0-2 (x majority), 3-4 (tie), 5-7 (x majority)
    text = "f,label\n" + "".join(f"{f},{label}\n" for f, label in zip(features, labels))
    train = write_bytes(tmp_path / "train.csv", text)
    report, files = audit_files(train, checks=["duplicates"])

    plan, written = fix(report, files, tmp_path / "majority", keep_majority=True)
    assert manifest_of(written) == {
        ("train", 1): ("drop", ["exact_duplicates", "conflicting_labels"]),
        ("train", 2): ("drop", ["exact_duplicates", "conflicting_labels"]),
        ("train", 3): ("drop", ["conflicting_labels"]),
        ("train", 4): ("drop", ["exact_duplicates", "conflicting_labels"]),
        ("train", 5): ("drop", ["conflicting_labels"]),
        ("train", 7): ("drop", ["exact_duplicates", "conflicting_labels"]),
    }
    row_7 = next(a for a in plan.actions if a.row == 7)
    assert row_7.details["exact_duplicates"] == [{"duplicate_of": 5, "kept_row": 6}]
    lines = text.splitlines(keepends=True)
    assert written["train"].read_text() == lines[0] + lines[1] + lines[7] + lines[9] + lines[10]
    assert plan.fixed_frames(report.data).val is None

    plan, _ = fix(report, files, tmp_path / "all")
    assert plan.dropped("train") == list(range(8))


def test_findings_the_plan_does_not_know_are_ignored_by_name(tmp_path):
    train = write_bytes(tmp_path / "train.csv", "f,label\n1,a\n2,b\n3,a\n")
    mystery = ("custom", Finding("mystery_code", Severity.FAIL, "something", rows=[{"split": "train", "row": 0}]))
    report, _ = audit_files(train, checks=["duplicates"], extra=[mystery])
    plan = plan_fixes(report)
    assert plan.actions == ()
    assert plan.ignored == (IgnoredFinding("custom", "mystery_code", 1, UNKNOWN_CODE),)

    wrong = ("custom", Finding("exact_duplicates", Severity.WARN, "x", rows=[{"split": "train", "row": 9}]))
    with pytest.raises(ValueError, match="train row 9"):
        build_plan([wrong], report.data, FixOptions())


def test_manifest_csv_neutralises_formulas_and_the_json_keeps_the_values(tmp_path):
    text = "id,f,label\n=1+1,1,cat\n+cmd,1,cat\n-2,2,@lab\n@SUM(A1),2,@lab\na=b,3,-x\nc,3,-x\n"
    train = write_bytes(tmp_path / "train.csv", text)
    report, files = audit_files(train, checks=["duplicates"], id_column="id")
    _, written = fix(report, files, tmp_path / "out")

    with open(written["manifest_csv"], newline="", encoding="utf-8") as stream:
        table = list(csv.DictReader(stream))
    assert [(r["id"], r["label"]) for r in table] == [("'+cmd", "cat"), ("'@SUM(A1)", "'@lab"), ("c", "'-x")]
    rows = json.loads(written["manifest"].read_text())["rows"]
    assert [(r["id"], r["label"]) for r in rows] == [("+cmd", "cat"), ("@SUM(A1)", "@lab"), ("c", "-x")]
    assert written["train"].read_text().splitlines()[1] == "=1+1,1,cat"  # the data itself is not altered
    assert neutralise("a=b") == "a=b" and neutralise(-3) == -3 and neutralise(None) == ""


# ------------------------------------------------------------------------ other formats


def test_parquet_round_trip_keeps_types_and_selects_rows(tmp_path):
    when = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-04", "2024-01-05"], utc=True)
    train = pd.DataFrame({
        "small": pd.array([1, 2, 1, 3, 4], dtype="int8"),
        "ratio": np.array([0.5, 1.5, 0.5, 2.5, 3.5], dtype="float32"),
        "maybe": pd.array([1, None, 1, 3, 4], dtype="Int64"),
        "when": when,
        "label": ["a", "b", "a", "c", "b"],
    })
    val = train.iloc[[3]].assign(label="a")
    val = pd.concat([val, train.iloc[[1]].assign(small=np.int8(9))], ignore_index=True)
    train.to_parquet(tmp_path / "train.parquet", compression="zstd")
    val.to_parquet(tmp_path / "val.parquet")
    before = {p: sha256(p) for p in tmp_path.glob("*.parquet")}

    issues = label_issues(("train", 4, "b", "c"))
    report, files = audit_files(tmp_path / "train.parquet", tmp_path / "val.parquet", extra=[issues])
    _, written = fix(report, files, tmp_path / "out", relabel=True)

    original = pq.read_table(tmp_path / "train.parquet")
    expected = original.take([0, 1, 3, 4])
    labels = expected.column("label").to_pylist()[:3] + ["c"]
    expected = expected.set_column(expected.schema.get_field_index("label"), expected.schema.field("label"),
                                   pa.array(labels, type=expected.schema.field("label").type))
    fixed = pq.read_table(written["train"])
    assert fixed.equals(expected, check_metadata=True)
    assert pq.ParquetFile(written["train"]).metadata.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_table(written["val"]).equals(pq.read_table(tmp_path / "val.parquet").take([1]))
    assert written["train"].name == "train.parquet"
    assert {p: sha256(p) for p in tmp_path.glob("*.parquet")} == before


def test_split_column_file_is_written_back_as_one_file(tmp_path):
    records = ["r0,1,train,a\n", 'r1,"2",val,b\n', "r2,1,train,a\n", "r3,3,Train,b\n", "r4,3,valid,b\n",
               "r5,4,val,a\n"]
    header = "id,f,part,label\n"
    source = write_bytes(tmp_path / "all.csv.gz", header + "".join(records))
    before = sha256(source)
    issues = label_issues(("train", 3, "b", "c"))
    report, files = audit_files(source, split_column="part", id_column="id", extra=[issues])
    _, written = fix(report, files, tmp_path / "out", relabel=True)

    assert set(written) == {"data", "manifest", "manifest_csv"} and written["data"].name == "all.csv.gz"
    expected = header + records[0] + records[1] + "r3,3,Train,c\n" + records[5]
    assert gzip.decompress(written["data"].read_bytes()).decode() == expected
    assert manifest_of(written) == {("train", 2): ("drop", ["exact_duplicates"]),
                                    ("train", 3): ("relabel", ["label_issues"]),
                                    ("val", 4): ("drop", ["exact_leakage"])}
    assert sha256(source) == before


def test_npz_round_trip_keeps_dtypes_and_is_deterministic(tmp_path, caplog):
    x_train = np.array([[0, 1], [2, 3], [4, 5], [6, 7], [2, 3], [8, 9]], dtype=np.uint8)
    y_train = np.array([0, 1, 2, 0, 1, 2], dtype=np.int16)
    x_val = np.array([[10, 11], [12, 13], [8, 9]], dtype=np.uint8)
    y_val = np.array([1, 0, 2], dtype=np.int16)
    source = tmp_path / "digits.npz"
    np.savez_compressed(source, x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, classes=np.arange(3))
    before = sha256(source)

    report, files = audit_files(source, label="label")
    _, written = fix(report, files, tmp_path / "out")
    with np.load(written["data"], allow_pickle=False) as fixed:
        assert fixed["x_train"].dtype == np.uint8 and fixed["y_train"].dtype == np.int16
        np.testing.assert_array_equal(fixed["x_train"], x_train[[0, 1, 2, 3, 5]])
        np.testing.assert_array_equal(fixed["y_train"], y_train[[0, 1, 2, 3, 5]])
        np.testing.assert_array_equal(fixed["x_val"], x_val[:2])
        np.testing.assert_array_equal(fixed["y_val"], y_val[:2])
        np.testing.assert_array_equal(fixed["classes"], np.arange(3))
    assert "classes" in caplog.text
    first = written["data"].read_bytes()
    _, written = fix(report, files, tmp_path / "out")
    assert written["data"].read_bytes() == first
    assert sha256(source) == before


# ------------------------------------------------------------------------ safety and the demo


@pytest.mark.parametrize("through_link", [False, True])
def test_an_output_path_that_is_an_input_is_refused(tmp_path, capsys, through_link):
    folder = tmp_path / "out" / "t.fixed"
    folder.mkdir(parents=True)
    train = write_bytes(folder / "train.csv", "f,label\n1,a\n1,a\n2,b\n")
    before = sha256(train)
    out = tmp_path / "out"
    if through_link:
        os.symlink(out, tmp_path / "alias")
        out = tmp_path / "alias"
    argv = ["fix", "--no-baseline", "--train", str(train), "--label", "label", "--out", str(out), "--name", "t",
            "--checks", "duplicates"]
    assert main(argv) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert sha256(train) == before
    assert sorted(p.name for p in folder.iterdir()) == ["train.csv"]


def test_field_spans_follow_the_csv_reader():
    record = 'a,"b,""c""\nd",e"f,,"g"h\r\n'
    spans = field_spans(record, ",")
    parsed = next(csv.reader(io.StringIO(record, newline="")))
    assert len(spans) == len(parsed) == 5
    assert [record[s:e] for s, e in spans] == ["a", '"b,""c""\nd"', 'e"f', "", '"g"h']


def test_fix_on_the_demo_drops_the_planted_duplicates_and_leaked_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--no-baseline", "--no-diagnose"]) == 0
    argv = ["fix", "--no-baseline", "--train", "reports/demo/train.csv", "--val", "reports/demo/val.csv", "--label", "digit",
            "--id-column", "image_id"]
    assert main(argv) == 0
    planted = make_demo_pair(0).planted
    rows = json.loads(Path("reports/train.fixed/manifest.json").read_text())["rows"]
    duplicates = sorted(r["row"] for r in rows if r["split"] == "train" and "exact_duplicates" in r["reasons"])
    leaked = sorted(r["row"] for r in rows if r["split"] == "val" and "exact_leakage" in r["reasons"])
    assert duplicates == sorted(later for _, later in planted["exact_duplicates"])
    assert leaked == sorted(val_row for val_row, _ in planted["exact_leakage"])
    assert all(r["action"] == "drop" for r in rows if "exact_leakage" in r["reasons"])
    train_dropped = {r["row"] for r in rows if r["split"] == "train" and r["action"] == "drop"}
    lines = Path("reports/demo/train.csv").read_text().splitlines(keepends=True)
    fixed = Path("reports/train.fixed/train.csv").read_text().splitlines(keepends=True)
    assert fixed == [lines[0]] + [line for row, line in enumerate(lines[1:]) if row not in train_dropped]


def test_info_findings_are_listed_for_review_and_applied_only_when_asked(tmp_path):
    pair = planted_pair()
    data = from_frames(pair.train, pair.val, Roles(LABEL, id_column="id"))
    rows = pair.train.index[:3].tolist()
    unsure = ("label_issues", Finding("label_issues", Severity.INFO, "unsure", rows=[
        {"split": "train", "row": r, "given_label": "x", "suggested_label": "y"} for r in rows]))
    sure = ("duplicates", Finding("exact_duplicates", Severity.WARN, "copies", rows=[
        {"split": "train", "row": pair.train.index[5], "duplicate_of": pair.train.index[4]}]))

    plan = build_plan([unsure, sure], data, FixOptions())
    assert [(a.row, a.action) for a in plan.actions] == [(pair.train.index[5], "drop")]
    assert IgnoredFinding("label_issues", "label_issues", 3, INFO_ONLY) in plan.ignored

    asked = build_plan([unsure, sure], data, FixOptions(include_info=True))
    assert {a.row for a in asked.actions} == {*rows, pair.train.index[5]}
