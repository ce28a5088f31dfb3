"""Properties of `audit run` over random small frames: whatever the data, an answer.

Frames mix integers, floats with NaN and infinities, booleans, text with markup, formulas,
control characters and NA-like tokens, whole-NaN columns and free text; rows repeat; labels
are text, integers, floats, NA-like or markup; val may have other dtypes than train; a
feature may be given a role (id, group, time). For every frame the run does not raise, exits
0, 1 or 2 (no check crashes), writes strict JSON and HTML holding no element or attribute the
template did not write, gives the same findings for the same seed, and leaves the input files
as they were. An exit code 2 is one line on stderr and writes nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.test_robustness import (
    CONTROL,
    assert_html_is_ours,
    digest,
    run_cli,
    strict_json,
)

# The checks that take milliseconds on small frames; label_issues (cross-validated models) and
# data_quality (great-expectations) take about a second each and get their own property.
FAST_CHECKS = ("class_balance,duplicates,exact_leakage,group_leakage,temporal_leakage,near_duplicates,"
               "near_leakage,target_leakage")
ODD_TEXT = ("", "NA", "None", "nan", "N/A", "-", " ", "=1+1", "@SUM(A1)", "+cmd", "<b>x</b>", "<script>x</script>",
            '"q"', "a,b", "line\nbreak", "007", "1e400", "inf", "-inf", "1", "1.0", "-0.0", "True", "é", "\x00",
            "\x1b[31m", "\ufeff", "2024-01-01", "$(id)")
COLUMN_NAMES = ("a", "b", "<script>alert(1)</script>", '=HYPERLINK("x")', "$(touch pwned)", "../up", "c d", "NA",
                "é", "1", " pad ", "x\ty")
KINDS = ("int", "float", "text", "mixed", "bool", "nan", "free")
LABEL = "label"
LABELS = {
    "text": st.sampled_from(["x", "y", "z"]),
    "int": st.integers(0, 2),
    "float": st.sampled_from([0.0, 1.0, 2.5]),
    "na": st.sampled_from(["NA", "None", "nan", "N/A"]),
    "odd": st.sampled_from(["<i>", "=1", "a b", "é", "0", "0.0", " ", "\x1b[1m"]),
}


def column(kind: str, n: int) -> st.SearchStrategy[list]:
    values = {
        "int": st.integers(-3, 3),
        "float": st.floats(allow_nan=True, allow_infinity=True, width=32),
        "text": st.sampled_from(ODD_TEXT),
        "mixed": st.one_of(st.integers(-2, 2), st.sampled_from(ODD_TEXT)),
        "bool": st.booleans(),
        "free": st.text(max_size=6),
    }
    if kind == "nan":
        return st.just([float("nan")] * n)
    return st.lists(values[kind], min_size=n, max_size=n)


@st.composite
def frame(draw, names: list[str], n_rows: int) -> pd.DataFrame:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=len(names), max_size=len(names)))
    table = pd.DataFrame({name: draw(column(kind, n_rows)) for name, kind in zip(names, kinds)})
    table[LABEL] = draw(st.lists(LABELS[draw(st.sampled_from(sorted(LABELS)))], min_size=n_rows, max_size=n_rows))
    return table


@st.composite
def audit_inputs(draw) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    """(train, val or None, extra flags): train is a pool of rows or rows drawn from it, so that
    duplicates and leaks occur; val is drawn from the pool or made apart, with its own dtypes."""
    names = draw(st.lists(st.sampled_from(COLUMN_NAMES), min_size=1, max_size=4, unique=True))
    pool = draw(frame(names, draw(st.integers(1, 30))))

    def rows_of(table: pd.DataFrame, n_rows: int) -> pd.DataFrame:
        picked = draw(st.lists(st.integers(0, len(table) - 1), min_size=n_rows, max_size=n_rows))
        return table.iloc[picked].reset_index(drop=True)

    train = pool if draw(st.booleans()) else rows_of(pool, draw(st.integers(1, 40)))
    val_kind = draw(st.sampled_from(["none", "from the pool", "other dtypes"]))
    val = None
    if val_kind == "from the pool":
        val = rows_of(pool, draw(st.integers(1, 12)))
    elif val_kind == "other dtypes":
        val = draw(frame(names, draw(st.integers(1, 12))))
    flags = []
    role = draw(st.sampled_from(["", "--id-column", "--group-column", "--time-column", "--ignore"]))
    if role and len(names) > 1:
        flags = [role, draw(st.sampled_from(names))]
    return train, val, flags


# Small frames nearly always have classes under 10 rows; softened, the gate can also pass.
SOFT_GATE = '[severity]\nclass_imbalance = "warn"\nlabel_shift = "info"\n'


def audit_twice(train: pd.DataFrame, val: pd.DataFrame | None, flags: list[str], checks: str | None,
                seed: int, soft_gate: bool) -> int:
    """Run the audit twice on the same files and assert every property; return the exit code."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        train_path = folder / "train.csv"
        train.to_csv(train_path, index=False)
        argv = ["run", "--no-baseline", "--no-accepted", "--train", str(train_path), "--label", LABEL,
                "--seed", str(seed), *flags]
        if soft_gate:
            (folder / "audit.toml").write_text(SOFT_GATE)
            argv += ["--config", str(folder / "audit.toml")]
        if val is not None:
            val.to_csv(folder / "val.csv", index=False)
            argv += ["--val", str(folder / "val.csv")]
        if checks:
            argv += ["--checks", checks]
        before = digest(folder)

        runs = [run_cli(argv + ["--out", str(folder / "out" / name)]) for name in ("first", "second")]

        assert digest(folder) == before, "an input file changed"
        (code, stdout, stderr), (code_again, _, stderr_again) = runs
        assert (code, stderr) == (code_again, stderr_again)
        assert code in (0, 1, 2), stdout
        assert not CONTROL.search(stdout)
        if code == 2:
            assert stderr.count("\n") == 1 and stderr.startswith("audit: error: "), stderr
            assert not (folder / "out").exists()
            return code
        assert stderr == ""
        reports = []
        for name in ("first", "second"):
            out = folder / "out" / name
            assert sorted(p.name for p in out.iterdir()) == ["train.html", "train.json"]
            report = strict_json((out / "train.json").read_text(encoding="utf-8"))
            assert report["exit_code"] == code
            assert not [c["detail"] for c in report["checks"] if c["status"] == "error"]
            assert_html_is_ours((out / "train.html").read_text(encoding="utf-8"))
            reports.append(report)
        first, second = ({"passed": r["passed"], "fixes": r["fixes"],
                          "checks": [{k: v for k, v in c.items() if k != "duration_s"} for c in r["checks"]]}
                         for r in reports)
        assert first == second, "the same seed gave different findings"
        return code


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(audit_inputs(), st.integers(0, 3), st.booleans())
def test_fast_checks_answer_every_small_frame(inputs, seed, soft_gate):
    train, val, flags = inputs
    event(f"exit code {audit_twice(train, val, flags, FAST_CHECKS, seed, soft_gate)}")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(audit_inputs(), st.integers(0, 3), st.booleans())
def test_all_checks_answer_every_small_frame(inputs, seed, soft_gate):
    train, val, flags = inputs
    event(f"exit code {audit_twice(train, val, flags, None, seed, soft_gate)}")
