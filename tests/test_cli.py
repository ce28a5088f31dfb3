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


HEAVY = ("pandas", "numpy", "sklearn", "tensorflow", "keras", "great_expectations", "cleanlab", "pyspark", "PIL")


def test_help_and_version_answer_without_importing_pandas_or_any_check():
    code = ("import sys\n"
            "from audit.cli import main\n"
            "for argv in (['--help'], ['--version'], ['run', '--help']):\n"
            "    try:\n"
            "        main(argv)\n"
            "    except SystemExit as done:\n"
            "        assert done.code == 0, done.code\n"
            f"print('LOADED', sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    from audit import __version__

    assert f"audit {__version__}" in out and "usage: audit run" in out
    assert out.rstrip().endswith("LOADED []"), out


def test_import_audit_cli_imports_no_pandas_numpy_or_tensorflow():
    """Read from ``python -X importtime``, which lists every module the import loads."""
    stderr = subprocess.run([sys.executable, "-X", "importtime", "-c", "import audit.cli"], capture_output=True,
                            text=True, check=True).stderr
    imported = {line.split("|")[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}
    assert "audit.cli" in imported and "audit.errors" in imported  # the listing is read right
    top_level = {name.split(".")[0] for name in imported}
    assert not top_level & set(HEAVY), sorted(top_level & set(HEAVY))


def test_checks_do_not_import_training_or_data_quality_libraries():
    code = ("import sys; from audit.cli import main; main(['checks']); "
            "heavy = [m for m in ('tensorflow', 'great_expectations', 'cleanlab', 'sklearn') if m in sys.modules]; "
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_import_audit_is_light_and_run_audit_loads_on_first_use():
    code = ("import sys, audit; light = 'pandas' not in sys.modules; "
            "from audit import run_audit; print(light, 'pandas' in sys.modules, callable(run_audit))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True"]


# ------------------------------------------------------------------------ exit codes: input error, bug, Ctrl-C


def good_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(GOOD)
    return path


def run_argv(tmp_path, *extra):
    return ["run", "--no-baseline", "--no-accepted", "--train", str(good_file(tmp_path)), "--label", "y",
            "--out", str(tmp_path / "out"), "--checks", "class_balance", *extra]


@pytest.mark.parametrize("where, error", [
    ("audit.engines.pandas.load_files", ValueError("a reader's own mistake")),
    ("audit.run.add_fix_plan", KeyError("train_rows_dropped")),
])
def test_a_bug_is_a_crash_with_its_traceback_and_exit_code_3(tmp_path, capsys, monkeypatch, where, error):
    def broken(*args, **kwargs):
        raise error

    module, name = where.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", broken)
    assert main(run_argv(tmp_path)) == 3
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert f"{type(error).__name__}: {error}" in captured.err and f"in broken\n" in captured.err
    assert lines[-1].startswith("audit: crashed: this is a bug in dataset-audit")
    # only the lines of the checks that finished before the crash, no report
    assert all(line.startswith("check ") for line in captured.out.splitlines())
    assert not (tmp_path / "out").exists()  # no report of a run that did not finish


@pytest.mark.parametrize("config, message", [
    ("[params.class_balance]\nwarn_at_ratio = -3\n",
     "The 'warn_at_ratio' parameter of the 'class_balance' check must be a number > 0. Got -3 instead."),
    ("[params.duplicates]\nnear = true\n", "'near' is not a parameter of the 'duplicates' check"),
    ("[baseline]\nseeds = 0\n", "baseline.seeds must be an integer >= 1; got 0"),
    ("[baseline]\ntime_budget_s = \"long\"\n", "baseline.time_budget_s must be a positive number; got 'long'"),
    ("[baseline]\nattribute = 1\n", "baseline.attribute must be true or false; got 1"),
    ("checks = [\"class_balance\", \"dupes\"]\n", "unknown check 'dupes'"),
])
def test_a_bad_value_in_audit_toml_is_exit_code_2_naming_the_file_and_the_key(tmp_path, capsys, monkeypatch,
                                                                                config, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "audit.toml").write_text(config)
    argv = ["run", "--no-accepted", "--train", str(good_file(tmp_path)), "--label", "y", "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == f"audit: error: audit.toml: {message}\n" or (
        captured.err.startswith("audit: error: audit.toml: ") and message in captured.err), captured.err
    assert "Traceback" not in captured.err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag, value, message", [
    ("--seeds", "0", "--seeds must be at least 1, got 0"),
    ("--epochs", "-2", "--epochs must be at least 1, got -2"),
    ("--baseline-budget", "0", "--baseline-budget must be a positive number of seconds, got 0"),
    ("--diagnose-budget", "nan", "--diagnose-budget must be a positive number of seconds, got nan"),
])
def test_a_bad_flag_value_is_exit_code_2_naming_the_flag(tmp_path, capsys, flag, value, message):
    argv = ["run", "--no-accepted", "--train", str(good_file(tmp_path)), "--label", "y", "--out", str(tmp_path / "out"),
            flag, value]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"audit: error: {message}\n"
    assert not (tmp_path / "out").exists()


def test_ctrl_c_is_exit_code_130_with_one_line(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("audit.run.add_fix_plan", interrupted)
    assert main(run_argv(tmp_path)) == 130
    assert capsys.readouterr().err == ("audit: interrupted; files already written are complete, the others were "
                                       "not written\n")


def test_debug_shows_the_traceback_of_an_input_error_and_keeps_its_exit_code(tmp_path, capsys):
    argv = ["run", "--debug", "--no-baseline", "--train", str(tmp_path / "absent.csv"), "--label", "y"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "InputError" in err
    assert err.strip().splitlines()[-1].startswith("audit: error: ") and "no such file" in err


# ------------------------------------------------------------------------ a straight run


def test_the_arguments_are_never_changed(tmp_path, capsys):
    import copy

    from audit.cli import COMMANDS
    from audit.cli_arguments import build_parser

    for command in ("run", "fix", "accept"):
        argv = [command, "--no-baseline", "--no-accepted", "--train", str(good_file(tmp_path)), "--label", "y",
                "--out", str(tmp_path / command), "--checks", "class_balance,duplicates"]
        if command == "accept":
            argv += ["--accepted", str(tmp_path / "accepted.json")]
        args = build_parser().parse_args(argv)
        before = copy.deepcopy(vars(args))
        COMMANDS[command](args)
        assert vars(args) == before, command
    assert (tmp_path / "fix" / "t.fixed" / "manifest.json").is_file()
    assert (tmp_path / "accepted.json").is_file()


def test_checks_and_input_files_are_built_once_and_the_plan_summarised_once(tmp_path, monkeypatch, capsys):
    import functools
    from collections import Counter

    from audit.data import InputFiles
    from audit.fixes import FixPlan
    from checks import REGISTRY

    made: Counter = Counter()

    def counting(cls, key):
        original = cls.__init__

        @functools.wraps(original)  # checks read their parameters from the constructor's signature
        def init(self, *args, **kwargs):
            made[key] += 1
            original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", init)

    for name, check in REGISTRY.items():
        counting(check, name)
    counting(InputFiles, "InputFiles")
    summary = FixPlan.summary

    def counted_summary(self, *args, **kwargs):
        made["summary"] += 1
        return summary(self, *args, **kwargs)

    monkeypatch.setattr(FixPlan, "summary", counted_summary)
    argv = ["run", "--no-baseline", "--no-accepted", "--train", str(good_file(tmp_path)), "--label", "y",
            "--out", str(tmp_path / "out"), "--write-expectations", str(tmp_path / "suite.json"), "--checks"]
    assert main([*argv, "class_balance,duplicates,data_quality", "--write-fixed"]) == 1  # 2 rows a class fail
    assert (made["class_balance"], made["duplicates"], made["data_quality"], made["InputFiles"]) == (1, 1, 1, 1)
    assert json.loads((tmp_path / "suite.json").read_text())["expectations"]
    # Saving the suite without running data_quality builds that one check once, and no other.
    made.clear()
    argv[argv.index(str(tmp_path / "suite.json"))] = str(tmp_path / "suite2.json")
    assert main([*argv, "class_balance"]) == 1
    assert made == Counter({"class_balance": 1, "data_quality": 1, "InputFiles": 1, "summary": 1})
    assert (tmp_path / "suite2.json").read_text() == (tmp_path / "suite.json").read_text()


def test_quiet_prints_the_verdict_line_of_the_full_text(tmp_path, capsys):
    argv = run_argv(tmp_path, "--checks", "class_balance,duplicates", "--fail-on", "warn")
    code = main(argv)
    full = capsys.readouterr().out.splitlines()
    assert main(argv + ["--quiet"]) == code
    quiet = capsys.readouterr().out.splitlines()
    assert len(quiet) == 1 and quiet[0] in full and quiet[0].startswith(("PASSED: ", "FAILED: "))
    assert "at or above warn" in quiet[0]
