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
            "--checks", "duplicates,exact_leakage", "--out", str(folder / "out"), *extra]


def test_run_with_engine_spark_writes_the_same_json_and_exits_like_pandas(spark, small_files, capsys):
    code = main(run_args(small_files, "--engine", "spark", "--spark-master", "local[2]", "--format", "json"))
    document = json.loads(capsys.readouterr().out)
    assert code == 1 and document["exit_code"] == 1
    assert document["settings"]["engine"] == "spark"
    statuses = {c["check"]: c["status"] for c in document["checks"]}
    assert statuses["duplicates"] == statuses["exact_leakage"] == "ran"
    pandas_code = main(run_args(small_files, "--format", "json", "--name", "pandas"))
    pandas_document = json.loads(capsys.readouterr().out)
    assert pandas_code == code
    for position, check in enumerate(document["checks"][:2]):
        assert check["findings"] == pandas_document["checks"][position]["findings"]


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
    from audit.spark.api import audit_spark_data
    from audit.config import Settings

    (tmp_path / "t.csv").write_text("x,c,label\n1,red,a\n2,blue,b\n-0,7,a\n", encoding="utf-8")
    (tmp_path / "v.csv").write_text("x,c,label\n1.0,red,a\n2.5,blue,b\n0.0,7.0,b\n", encoding="utf-8")
    data = load(spark, tmp_path / "t.csv", tmp_path / "v.csv", label="label")
    report = audit_spark_data(data, Settings(label="label", checks=("exact_leakage",)))
    (leak,) = [f for _, f in report.all_findings if f.code == "exact_leakage"]
    assert [(r["row"], r["train_row"]) for r in leak.rows] == [(0, 0), (2, 2)]
