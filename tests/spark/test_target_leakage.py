"""target_leakage on Spark: the pandas check on train collected to the driver, sampled above a bound."""

from __future__ import annotations

import pytest

from audit import run_audit
from checks import Severity
from tests.conftest import LABEL, clean_pair

pytestmark = pytest.mark.slow

SETTINGS = dict(label=LABEL, id_column="id", group_column="group", time_column="time", checks=["target_leakage"],
                baseline={"enabled": False})
N_TRAIN = 2000


@pytest.fixture(scope="module")
def leak_reports(spark, tmp_path_factory):
    """A pair whose 'copy' column spells the label out; the other features are ordinary."""
    pair = clean_pair(n_train=N_TRAIN, n_val=500)
    folder = tmp_path_factory.mktemp("target")
    for split in ("train", "val"):
        frame = getattr(pair, split)
        frame.insert(2, "copy", "class-" + frame[LABEL])
        frame.to_csv(folder / f"{split}.csv", index=False)
    files = folder / "train.csv", folder / "val.csv"
    return run_audit(*files, **SETTINGS), run_audit(*files, engine="spark", spark=spark, **SETTINGS)


def flagged(report):
    return [c["column"] for _, f in report.all_findings for c in f.columns]


def test_the_label_copy_is_flagged_on_both_engines_and_ordinary_features_are_not(leak_reports):
    on_pandas, on_spark = leak_reports
    assert flagged(on_pandas) == flagged(on_spark) == ["copy"]
    # Below the sampling bound the driver sees every train row: the same finding, field for field.
    assert [f.to_dict() for _, f in on_spark.all_findings] == [f.to_dict() for _, f in on_pandas.all_findings]
    (finding,) = [f for _, f in on_spark.all_findings]
    assert finding.severity == Severity.FAIL and finding.metrics["sampled"] == []
    assert not on_spark.baseline.ran and on_spark.baseline.reason.startswith("disabled")


def test_above_the_bound_a_seeded_sample_is_scored_and_the_finding_says_so(leak_reports):
    from audit.spark.target import target_leakage
    from checks.target_leakage import TargetLeakage

    _, on_spark = leak_reports
    (finding,) = target_leakage(TargetLeakage(), on_spark.data, max_rows=500)
    assert [c["column"] for c in finding.columns] == ["copy"]
    assert finding.metrics["n_rows"] == 500
    (sampled,) = finding.metrics["sampled"]
    assert (sampled["rows"], sampled["of_rows"]) == (500, N_TRAIN)
    assert f"seeded sample of 500 of {N_TRAIN} train rows" in finding.message
    assert target_leakage(TargetLeakage(), on_spark.data, max_rows=500) == [finding]
