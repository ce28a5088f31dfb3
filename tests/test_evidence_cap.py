"""The JSON report caps each finding's evidence rows; a CSV beside it holds every one.

The planted pair repeats a few distinct rows tens of thousands of times, so the truth is
known: every train row after the first of its kind is an exact duplicate. The JSON must keep
the cap's rows of that finding and name the total and the side file; the side file must
hold every flagged row, the same rows as the finding in memory; every consumer (fix plan,
accepted findings, HTML, JUnit) must still see or point to them all. The clean case from the
same generator, and a small run, write no side file and no cap keys.
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from audit.api import run_audit
from audit.cli import main
from audit.output import atomic_stream

N_TRAIN = 30_000
CAP = 500


def planted_pair(folder: Path, *, distinct: bool = False) -> tuple[Path, Path, set[tuple[str, int]]]:
    """Train of N_TRAIN rows drawn from 12 distinct rows (or all distinct), a small distinct val,
    and the truth: the train rows that repeat an earlier train row."""
    rng = np.random.default_rng(7)
    if distinct:
        train = pd.DataFrame({"a": rng.normal(size=N_TRAIN).round(9), "b": rng.normal(size=N_TRAIN).round(9)})
    else:
        train = pd.DataFrame({"a": rng.integers(0, 6, N_TRAIN) * 1.5, "b": rng.integers(0, 2, N_TRAIN) * 0.5})
    train["y"] = np.where(train["a"] > 1, "high", "low")
    val = pd.DataFrame({"a": rng.normal(10, 1, size=200).round(9), "b": rng.normal(size=200).round(9)})
    val["y"] = np.where(val["a"] > 10, "high", "low")
    train.to_csv(folder / "train.csv", index=False)
    val.to_csv(folder / "val.csv", index=False)
    repeated = train.duplicated(subset=["a", "b"], keep="first")
    return folder / "train.csv", folder / "val.csv", {("train", int(i)) for i in np.flatnonzero(repeated)}


def audit(train: Path, val: Path, out: Path, *extra: str) -> int:
    return main(["run", "--train", str(train), "--val", str(val), "--label", "y", "--out", str(out),
                 "--no-accepted", "--no-baseline", "--checks", "duplicates", *extra])


def train_duplicates(document: dict) -> dict:
    return next(f for c in document["checks"] for f in c["findings"]
                if f["code"] == "exact_duplicates" and f["rows"] and f["rows"][0]["split"] == "train")


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def capped_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capped")
    train, val, truth = planted_pair(folder)
    out = folder / "out"
    code = audit(train, val, out, "--max-evidence-rows", str(CAP), "--write-fixed", "--junit", str(out / "junit.xml"))
    return folder, train, val, truth, out, code


def test_the_json_keeps_the_cap_and_names_the_total_and_the_side_file(capped_run):
    folder, train, val, truth, out, code = capped_run
    assert code == 1
    document = json.loads((out / "train.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(resources.files("audit").joinpath("report_schema.json").read_text()))
    finding = train_duplicates(document)
    assert len(finding["rows"]) == finding["rows_in_report"] == CAP
    assert finding["rows_total"] == finding["metrics"]["n_rows"] == len(truth)
    assert finding["rows_file"] == "train.evidence/duplicates-exact_duplicates-1.csv"
    assert {(r["split"], r["row"]) for r in finding["rows"]} <= truth
    assert document["settings"]["max_evidence_rows"] == CAP


def test_the_side_file_holds_every_flagged_row_as_the_finding_in_memory(capped_run):
    folder, train, val, truth, out, code = capped_run
    finding = train_duplicates(json.loads((out / "train.json").read_text(encoding="utf-8")))
    written = read_csv_rows(out / finding["rows_file"])
    assert {(r["split"], int(r["row"])) for r in written} == truth
    report = run_audit(train, val, label="y", checks=["duplicates"], baseline={"enabled": False}, accepted="")
    in_memory = next(f for _, f in report.all_findings if f.code == "exact_duplicates" and f.rows[0]["split"] == "train")
    assert written == [{key: str(value) for key, value in row.items()} for row in in_memory.rows]
    assert json.loads(report.to_json()) and len(in_memory.rows) == len(truth)  # the API's JSON is uncapped


def test_the_fix_plan_html_and_junit_see_every_row(capped_run):
    folder, train, val, truth, out, code = capped_run
    document = json.loads((out / "train.json").read_text(encoding="utf-8"))
    assert document["fixes"]["train_rows_dropped"] == len(truth)
    kept = pd.read_csv(out / "train.fixed" / "train.csv")
    assert len(kept) == N_TRAIN - len(truth)
    html = (out / "train.html").read_text(encoding="utf-8")
    assert f"{len(truth) - 20} more rows in <code>train.evidence/duplicates-exact_duplicates-1.csv</code>" in html
    assert "more rows in train.evidence/duplicates-exact_duplicates-1.csv" in (out / "junit.xml").read_text()


def test_accepted_findings_compare_every_row_not_the_capped_ones(capped_run, tmp_path):
    folder, train, val, truth, out, code = capped_run
    accepted = tmp_path / "accepted.json"
    common = ["--train", str(train), "--val", str(val), "--label", "y", "--out", str(tmp_path / "out"),
              "--checks", "duplicates", "--no-baseline", "--max-evidence-rows", str(CAP)]
    assert main(["accept", *common, "--accepted", str(accepted)]) == 0
    assert main(["run", *common, "--accepted", str(accepted)]) == 0


def test_the_clean_pair_and_a_small_run_write_no_side_file(tmp_path):
    train, val, truth = planted_pair(tmp_path, distinct=True)
    assert not truth
    assert audit(train, val, tmp_path / "out") == 0
    document = json.loads((tmp_path / "out" / "train.json").read_text(encoding="utf-8"))
    assert not any(f for c in document["checks"] for f in c["findings"] if "rows_total" in f)
    assert "max_evidence_rows" not in document["settings"]
    assert not (tmp_path / "out" / "train.evidence").exists()


def test_a_finding_at_the_cap_is_not_capped(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    frame = pd.DataFrame({"a": [1, 1, 1, 2, 3], "y": ["p", "p", "p", "q", "q"]})
    frame.to_csv(small / "train.csv", index=False)
    frame.iloc[3:].to_csv(small / "val.csv", index=False)
    assert audit(small / "train.csv", small / "val.csv", tmp_path / "out", "--max-evidence-rows", "2") == 1
    finding = train_duplicates(json.loads((tmp_path / "out" / "train.json").read_text(encoding="utf-8")))
    assert len(finding["rows"]) == 2 and "rows_total" not in finding


@pytest.mark.parametrize("value, message", [
    ("0", "argument --max-evidence-rows: '0' must be at least 1"),
    ("-3", "argument --max-evidence-rows: '-3' must be at least 1"),
    ("many", "argument --max-evidence-rows: 'many' is not a whole number"),
])
def test_a_bad_flag_is_one_line_and_exit_2(tmp_path, capsys, value, message):
    train, val, _ = planted_pair(tmp_path, distinct=True)
    with pytest.raises(SystemExit) as stopped:
        audit(train, val, tmp_path / "out", "--max-evidence-rows", value)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["0", "2.5", '"ten"', "true"])
def test_a_bad_config_value_is_one_line_and_exit_2(tmp_path, capsys, value):
    train, val, _ = planted_pair(tmp_path, distinct=True)
    config = tmp_path / "audit.toml"
    config.write_text(f"max_evidence_rows = {value}\n", encoding="utf-8")
    assert audit(train, val, tmp_path / "out", "--config", str(config)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"audit.toml: max_evidence_rows must be an integer >= 1; got" in lines[0], lines


def test_a_file_where_the_evidence_folder_goes_is_refused_before_work(tmp_path, capsys):
    train, val, _ = planted_pair(tmp_path, distinct=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "train.evidence").write_text("mine\n")
    assert audit(train, val, tmp_path / "out") == 2
    assert "the evidence folder (--out, --name) must be a folder" in capsys.readouterr().err
    assert (tmp_path / "out" / "train.evidence").read_text() == "mine\n"
    assert not (tmp_path / "out" / "train.json").exists()


def test_a_stream_that_fails_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "rows.csv"
    target.write_text("previous\n")
    with pytest.raises(RuntimeError):
        with atomic_stream(target) as stream:
            stream.write("half of it\n")
            raise RuntimeError("stopped")
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rows.csv"]
