"""`audit run --engine spark` end to end, and input errors named like the pandas engine's."""

from __future__ import annotations

import json

import pytest

from audit.cli import main
from audit.data import Roles
from audit.errors import InputError
from tests.conftest import planted_pair

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    pair = planted_pair()
    folder = tmp_path_factory.mktemp("small")
    pair.train.to_csv(folder / "train.csv", index=False)
    pair.val.to_csv(folder / "val.csv", index=False)
    return folder


def run_args(folder, *extra):
    return ["run", "--train", str(folder / "train.csv"), "--val", str(folder / "val.csv"), "--label", "label",
            "--id-column", "id", "--group-column", "group", "--time-column", "time", "--no-accepted",
            "--checks", "duplicates,exact_leakage", "--no-baseline", "--out", str(folder / "out"), *extra]


def test_run_with_engine_spark_writes_the_same_json_and_exits_like_pandas(spark, small_files, capsys):
    suites = {engine: small_files / f"suite-{engine}.json" for engine in ("spark", "pandas")}
    code = main(run_args(small_files, "--engine", "spark", "--spark-master", "local[2]", "--format", "json",
                         "--write-expectations", str(suites["spark"])))
    document = json.loads(capsys.readouterr().out)
    assert code == 1 and document["exit_code"] == 1
    assert document["settings"]["engine"] == "spark"
    statuses = {c["check"]: c["status"] for c in document["checks"]}
    assert statuses["duplicates"] == statuses["exact_leakage"] == "ran"
    pandas_code = main(run_args(small_files, "--format", "json", "--name", "pandas",
                                "--write-expectations", str(suites["pandas"])))
    pandas_document = json.loads(capsys.readouterr().out)
    assert pandas_code == code
    for position, check in enumerate(document["checks"][:2]):
        assert check["findings"] == pandas_document["checks"][position]["findings"]
    # The suite inferred from Spark aggregates is the one the pandas engine writes, byte for byte.
    assert suites["spark"].read_text() == suites["pandas"].read_text()


def test_write_fixed_is_refused_with_the_spark_engine(spark, small_files, capsys):
    code = main(run_args(small_files, "--engine", "spark", "--write-fixed"))
    assert code == 2
    assert "--write-fixed" in capsys.readouterr().err


def load(spark, train, val=None, **roles):
    from audit.spark.load import load_spark

    return load_spark(str(train), str(val) if val else None, Roles(**roles), spark=spark)


def test_input_errors_name_the_file_the_column_and_the_row(spark, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("x,label\n1,a\n2,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"--label 'lable' is not a column; did you mean 'label'"):
        load(spark, good, label="lable")
    empty_label = tmp_path / "empty.csv"
    empty_label.write_text("x,label\n1,a\n2,\n3, \n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty in 2 row\(s\) \(data rows 1, 2,"):
        load(spark, empty_label, label="label")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x,label\n1,a\n2,b,extra\n", encoding="utf-8")
    with pytest.raises(InputError, match="ragged.csv: the row .* does not have as many fields as the header"):
        load(spark, ragged, label="label")
    other = tmp_path / "other.csv"
    other.write_text("y,label\n1,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="validation columns differ"):
        load(spark, good, other, label="label")
    with pytest.raises(InputError, match="no such file"):
        load(spark, tmp_path / "missing.csv", label="label")


def test_one_and_one_point_zero_are_the_same_row_across_splits(spark, tmp_path):
    from audit.api import audit_data
    from audit.config import Settings

    (tmp_path / "t.csv").write_text("x,c,label\n1,red,a\n2,blue,b\n-0,7,a\n", encoding="utf-8")
    (tmp_path / "v.csv").write_text("x,c,label\n1.0,red,a\n2.5,blue,b\n0.0,7.0,b\n", encoding="utf-8")
    data = load(spark, tmp_path / "t.csv", tmp_path / "v.csv", label="label")
    report = audit_data(data, Settings(label="label", checks=("exact_leakage",)))
    assert report.settings["engine"] == "spark"  # a bundle loaded on Spark picks the spark engine
    (leak,) = [f for _, f in report.all_findings if f.code == "exact_leakage"]
    assert [(r["row"], r["train_row"]) for r in leak.rows] == [(0, 0), (2, 2)]


EXACT = ["duplicates", "exact_leakage", "group_leakage", "temporal_leakage"]


def exact_findings(report):
    return [f.to_dict() for _, f in report.all_findings]


def test_one_file_with_a_split_column_and_spark_dataframes_give_the_pandas_findings(spark, tmp_path):
    from audit import run_audit

    pair = planted_pair()
    both = tmp_path / "both.csv"
    combined = __import__("pandas").concat([pair.train.assign(part="train"), pair.val.assign(part="Validation")],
                                           ignore_index=True)
    combined.to_csv(both, index=False)
    roles = dict(label="label", id_column="id", group_column="group", time_column="time", checks=EXACT,
                 baseline={"enabled": False})
    on_pandas = run_audit(both, split_column="part", **roles)
    on_spark = run_audit(both, split_column="part", engine="spark", spark=spark, **roles)
    assert exact_findings(on_spark) == exact_findings(on_pandas)
    # Val rows keep their line in the one file: they come after every train row.
    assert min(r["row"] for _, f in on_spark.all_findings for r in f.rows if r["split"] == "val") >= len(pair.train)

    frames = [spark.read.parquet(str(p)) for p in _parquet(pair, tmp_path)]
    from_frames = run_audit(frames[0], frames[1], **roles)
    files = run_audit(*_parquet(pair, tmp_path), engine="spark", spark=spark, **roles)
    assert from_frames.settings["engine"] == "spark"
    assert exact_findings(from_frames) == exact_findings(files)


def _parquet(pair, folder):
    paths = folder / "train.parquet", folder / "val.parquet"
    if not paths[0].exists():
        pair.train.to_parquet(paths[0], index=False)
        pair.val.to_parquet(paths[1], index=False)
    return paths
