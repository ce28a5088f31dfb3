"""Hostile inputs, round two: one table row a case, grouped by the class of defect.

Each case says how to make the bad input, the exit code, and a fragment of what the user is
told: the one stderr line for exit code 2 (naming the file, column, row, flag or setting,
and what to do), else a finding of the report. Whatever the case, the run must leave every
input byte for byte as it was, leave the previous report in the output folder intact when
it stops with an error, and leave no temporary or probe file behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from audit.cli import default_name
from audit.output import safe_name
from tests.robustness import makers as m
from tests.test_robustness import run_cli, strict_json

FAST = "class_balance,duplicates,exact_leakage"
EVERY_CHECK = ("class_balance,duplicates,near_duplicates,exact_leakage,group_leakage,temporal_leakage,"
               "target_leakage,label_issues,data_quality")
PREVIOUS = b"the previous report\n"
SYNTAX_ERROR = "import keras\ndef build_model(n_features, n_classes)\n    return None\n"


@dataclass(frozen=True)
class Case:
    id: str
    make: m.Maker
    code: int = 2
    message: str = ""
    finding: tuple[str, str] | None = None
    checks: str = FAST
    command: str = "run"
    baseline: bool = False  # False adds --no-baseline


CASES = [
    # ---- limits bound what is decoded, not what a file or its footer declares
    Case("parquet: rows times width over --max-bytes", m.parquet_of_many_constant_rows,
         message="train.parquet: 2,000,000 rows of 2 column(s) decode to at least 18,000,000 bytes, over the "
                 "limit of 1,048,576; raise --max-bytes"),
    Case("parquet: dictionary expansion over --max-bytes", m.parquet_of_repeated_long_strings,
         message="train.parquet: decodes to more than 1,048,576 bytes (values repeated or dictionary-encoded "
                 "expand when read), over the limit; raise --max-bytes"),
    # ---- Markdown in the job summary: see test_markdown_in_the_job_summary_is_inert
    # ---- every output path is protected against pointing at an input
    Case("--junit over the train file", m.valid("--junit", "{folder}/train.csv"),
         message="train.csv: the JUnit file (--junit) would be written over the train file (--train)"),
    Case("--write-expectations over the val file", m.valid("--write-expectations", "{folder}/val.csv"),
         checks="data_quality",
         message="val.csv: the saved suite (--write-expectations) would be written over the validation file"),
    Case("--write-expectations over the suite being read",
         m.with_file("suite.json", '{"expectations": []}', "--expectations", "{folder}/suite.json",
                     "--write-expectations", "{folder}/suite.json"), checks="data_quality",
         message="suite.json: the saved suite (--write-expectations) would be written over the expectation suite "
                 "(--expectations)"),
    Case("accept --accepted over the train file", m.valid("--accepted", "{folder}/train.csv"), command="accept",
         message="train.csv: the accepted findings (--accepted) would be written over the train file (--train)"),
    Case("report name equal to an input (--out + --name)",
         m.with_file("suite.json", '{"expectations": []}', "--expectations", "{folder}/suite.json",
                     "--out", "{folder}", "--name", "suite"), checks="data_quality",
         message="suite.json: the JSON report (--out, --name) would be written over the expectation suite"),
    Case("--junit through a link to the config", m.linked_output(
        "junit.xml", "audit.toml", "--config", "{folder}/audit.toml", "--junit", "{folder}/junit.xml"),
         message="junit.xml: the JUnit file (--junit) would be written over the config file"),
    Case("--junit equal to the JSON report", m.valid("--junit", "{folder}/out/train.json"),
         message="both the JSON report (--out, --name) and the JUnit file (--junit) would be written there"),
    Case("--model-file given as --junit", m.model_file("def build_model(n_features, n_classes):\n    pass\n",
                                                       "--junit", "{folder}/model.py"), baseline=True,
         message="model.py: the JUnit file (--junit) would be written over the model file (--model-file)"),
    # ---- tracebacks that are the input's fault become exit 2
    Case("corrupt .csv.gz (zlib error)", m.corrupt_gzip,
         message="train.csv.gz: cannot be read (Error -3 while decompressing data: invalid code lengths set); check "
                 "that it is a valid, complete gzip file"),
    Case("truncated .csv.gz", m.truncated_gzip, message="check that it is a valid, complete gzip file"),
    Case("--sep '\\t' typed in a shell reads tabs", m.tab_separated, code=0, finding=("class_imbalance", "info"),
         message="train: 2 classes"),
    Case("--sep of two characters", m.valid("--sep", ";;"),
         message="argument --sep: ';;' is 2 characters; --sep takes one character"),
    Case("--sep a quote", m.valid("--sep", '"'), message="which cannot separate CSV fields"),
    Case("--junit is an existing folder", m.valid("--junit", "{folder}"),
         message=": is a folder, but the JUnit file (--junit) is a file; give a file path"),
    Case("--out is an existing file", m.with_file("notes.txt", "kept\n", "--out", "{folder}/notes.txt"),
         message="notes.txt: is a file, but the output folder (--out) must be a folder"),
    Case("--out is an input file", m.valid("--out", "{folder}/val.csv"),
         message="val.csv: the output folder (--out) would be written over the validation file (--val)"),
    Case("--out in a read-only place", m.read_only_place,
         message="/proc: the output folder (--out) (/proc/audit-report) cannot be written there"),
    Case("--junit under a file", m.valid("--junit", "{folder}/train.csv/junit.xml"),
         message="train.csv: is a file, so the JUnit file (--junit)"),
    Case("unwritable $GITHUB_STEP_SUMMARY", m.valid("--format", "github", env={"GITHUB_STEP_SUMMARY": "{folder}"}),
         message=": is a folder, but the job summary ($GITHUB_STEP_SUMMARY) is a file"),
    Case("--model-file with a syntax error", m.model_file(SYNTAX_ERROR), baseline=True,
         message="model.py: line 2: expected ':'; fix the model file's syntax"),
    Case("--model-file without build_model", m.model_file("def make(n_features, n_classes):\n    pass\n"),
         baseline=True, message="model.py: defines no top-level build_model(n_features, n_classes)"),
    Case("--model-file whose build_model takes the wrong arguments",
         m.model_file("def build_model(n_features):\n    pass\n"), baseline=True,
         message="model.py: line 1: build_model takes 1 positional argument(s) (1 required); it is called as "
                 "build_model(n_features, n_classes)"),
    Case("[baseline] seeds = \"three\"", m.config('[baseline]\nseeds = "three"\n'),
         message="audit.toml: baseline.seeds must be an integer >= 1; got 'three'"),
    Case("[baseline] seeds = 2.5", m.config("[baseline]\nseeds = 2.5\n"),
         message="audit.toml: baseline.seeds must be an integer >= 1; got 2.5"),
    # ---- binary, list, struct and map columns are encoded: every check runs
    Case("parquet binary, list, struct and map columns", m.parquet_with_nested_and_binary, code=1,
         checks=EVERY_CHECK, finding=("exact_duplicates", "fail"),
         message="train: 20 rows (50.00%) repeat the features of an earlier row"),
    # ---- the seed's range
    Case("--seed -1", m.valid("--seed", "-1"), message="argument --seed: -1 is out of range; a seed is from 0 to"),
    Case("--seed 2**70", m.valid("--seed", str(2**70)), message="is out of range; a seed is from 0 to 2,147,483,647"),
    Case("seed = -1 in the config", m.config("seed = -1\n"), message="audit.toml: seed must be an integer >= 0"),
    Case("seed = 2**40 in the config", m.config(f"seed = {2**40}\n"),
         message="audit.toml: seed must be an integer from 0 to 2,147,483,647; got 1099511627776"),
    # ---- .npz with any --label
    Case(".npz with --label target", m.npz_pair, code=0, finding=("class_imbalance", "info"),
         message="train: 2 classes"),
    # ---- labels that differ in case or surrounding whitespace
    Case("label variants: case and whitespace", m.labels_written(["cat"] * 20 + ["cat "] * 6 + ["Cat"] * 4 +
                                                                 [" cat"] * 2 + ["dog"] * 30), code=1,
         finding=("label_variants", "fail"),
         message="train: 1 label is written 4 ways that differ only in case or surrounding spaces: 'cat' (20 rows), "
                 "'cat ' (6 rows), 'Cat' (4 rows), ' cat' (2 rows)"),
    # ---- a regression target given as the label
    Case("regression target rounded to 0.1", m.rounded_regression_target,
         message="train.csv: the label column 'y' looks like a regression target (49 distinct numbers, not all "
                 "whole, in 1,600 rows; 20 or more such values are read as a measurement, not classes)"),
    # ---- contradictory roles
    Case("--group-column naming the label", m.valid("--group-column", "y"),
         message="the column 'y' is both the label (--label or label) and the group column (--group-column or "
                 "group_column); a column has one role"),
    Case("--ignore naming the label", m.valid("--ignore", "y"),
         message="the column 'y' is both the label (--label or label) and an ignored column (--ignore or ignore)"),
    Case("the label as the split column", m.split_file("--label", "part"),
         message="the column 'part' is both the label (--label or label) and the split column"),
    Case("one column as id and time", m.valid("--id-column", "a", "--time-column", "a"),
         message="the column 'a' is both the id column (--id-column or id_column) and the time column"),
    # ---- settings validated like check parameters
    Case("[baseline] enabled = \"no\"", m.config('[baseline]\nenabled = "no"\n'),
         message="audit.toml: baseline.enabled must be true or false; got 'no'"),
    Case("[baseline] epochs = -1", m.config("[baseline]\nepochs = -1\n"),
         message="audit.toml: baseline.epochs must be an integer >= 1; got -1"),
    Case("[baseline] model = \"huge\"", m.config('[baseline]\nmodel = "huge"\n'),
         message="audit.toml: baseline.model must be one of 'default', 'wide'; got 'huge'"),
    Case("[baseline] time_budget_s = nan", m.config("[baseline]\ntime_budget_s = nan\n"),
         message="audit.toml: baseline.time_budget_s must be a positive number; got nan"),
    Case("--baseline-budget nan", m.valid("--baseline-budget", "nan"),
         message="--baseline-budget must be a positive number of seconds, got nan"),
    # ---- unclear lines made clear
    Case("a CSV given to --pred-probs", m.with_file("probs.csv", "0.5,0.5\n" * 40, "--pred-probs",
                                                    "{folder}/probs.csv"),
         message="probs.csv: is CSV or other text, not a .npy file; --pred-probs takes an array saved with "
                 "numpy.save"),
    Case("an .xlsx renamed .csv", m.xlsx_renamed,
         message="train.csv: is a ZIP archive (an Excel .xlsx workbook?), not CSV text; export the sheet as CSV"),
    Case("a JSON file renamed .csv", m.train_bytes("train.csv", b'[{"a": 1, "y": "x"}]\n'),
         message="train.csv: looks like JSON (it starts with '[{'), not CSV text"),
    Case("a Parquet file renamed .csv", m.train_bytes("train.csv", b"PAR1\x15\x04"),
         message="train.csv: is a Parquet file, not CSV text; name it .parquet"),
    Case("a symbolic link loop", m.symlink_loop, message="train.csv: is a symbolic link that loops back on itself"),
    Case("a dangling symbolic link", m.dangling_link, message="train.csv: is a symbolic link to"),
    Case("audit.toml with a byte-order mark", m.config(b"\xef\xbb\xbfseed = 3\n"), code=0,
         finding=("class_imbalance", "info"), message="train: 2 classes"),
    Case("a model file calling sys.exit(0) in its body", m.model_file(
        "import sys\nsys.exit(0)\ndef build_model(n_features, n_classes):\n    pass\n"), baseline=True,
         message="model.py: called sys.exit(0) while running the file; a model file must define build_model"),
]
SLOW_IDS = {"a model file calling sys.exit(0) in its body"}


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder``, by content hash (links followed; loops and dangling links skipped)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def report_stem(made: m.Made) -> str:
    args = list(made.args)
    return safe_name(args[args.index("--name") + 1] if "--name" in args else default_name(made.train))


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c.id in SLOW_IDS else c for c in CASES],
                         ids=[c.id for c in CASES])
def test_hostile_input_is_answered_in_one_line_and_loses_nothing(tmp_path, monkeypatch, case):
    made = case.make(tmp_path)
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    stem = report_stem(made)
    out.mkdir()
    for suffix in ("json", "html"):  # an earlier run's report, which a refused run must leave alone
        (out / f"{stem}.{suffix}").write_bytes(PREVIOUS)
    before = digest(tmp_path)
    argv = [case.command, "--train", str(made.train), "--label", "y", "--out", str(out), "--no-accepted",
            "--checks", case.checks, *([] if case.baseline else ["--no-baseline"]), *made.args]

    code, stdout, stderr = run_cli(argv)

    assert code == case.code, stderr or stdout
    assert "Traceback" not in stderr
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") and p.is_file()], "a temporary file was left"
    if code == 2:
        lines = stderr.strip().splitlines()
        assert lines and case.message in lines[-1], stderr
        if not lines[-1].startswith(f"audit {case.command}: error: "):  # argparse prints its usage first
            assert len(lines) == 1 and lines[0].startswith("audit: error: "), stderr
        assert digest(tmp_path) == before, "a refused run changed an input or an earlier output"
        return

    after = digest(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("out/")} == \
           {k: v for k, v in before.items() if not k.startswith("out/")}, "an input file changed"
    report = strict_json((out / f"{stem}.json").read_text(encoding="utf-8"))
    assert report["exit_code"] == code
    assert all(c["status"] != "error" for c in report["checks"]), [c["detail"] for c in report["checks"]]
    if case.finding:
        findings = [f for c in report["checks"] for f in c["findings"]]
        matching = [f for f in findings if (f["code"], f["severity"]) == case.finding and case.message in f["message"]]
        assert matching, json.dumps([(f["code"], f["severity"], f["message"]) for f in findings], indent=1)
