"""The JSON report: schema, strict JSON, every flagged row, and identical findings on a rerun."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import numpy as np

from tests.conftest import LABEL, planted_pair, audit_checks

ROLES = dict(label=LABEL, id_column="id", group_column="group", time_column="time")


def schema():
    return json.loads(resources.files("audit").joinpath("report_schema.json").read_text())


def strict_loads(text):
    def refuse(constant):
        raise ValueError(f"non-strict JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def test_json_report_matches_the_schema_and_is_strict():
    pair = planted_pair()
    pair.train.loc[3, "f0"] = np.inf  # infinities and NaN must not leak into the JSON as such
    pair.train.loc[4, "f1"] = np.nan
    report = audit_checks(pair.train, pair.val, **ROLES)
    document = strict_loads(report.to_json())
    jsonschema.validate(document, schema())
    assert document["passed"] is False and document["exit_code"] == 1
    assert document["inputs"]["roles"] == {"id": "id", "group": "group", "time": "time", "ignored": []}


def test_every_flagged_row_is_in_the_json():
    pair = planted_pair(n_train=3000, n_val=800, n_each=150)
    report = audit_checks(pair.train, pair.val, **ROLES)
    document = strict_loads(report.to_json())
    leaks = [f for c in document["checks"] for f in c["findings"] if f["code"] == "exact_leakage"]
    assert len(leaks[0]["rows"]) == len(pair.truth["exact_leakage"]) == 300


def test_same_inputs_and_seed_give_identical_findings():
    runs = [audit_checks(planted_pair().train, planted_pair().val, **ROLES) for _ in range(2)]
    findings = [json.dumps([c["findings"] for c in r.to_dict()["checks"]]) for r in runs]
    assert findings[0] == findings[1]


def test_findings_frame_lists_the_worst_first():
    pair = planted_pair()
    frame = audit_checks(pair.train, pair.val, **ROLES).findings
    assert list(frame.columns) == ["check", "code", "severity", "message", "n_rows", "n_columns"]
    ranks = frame["severity"].map({"fail": 0, "warn": 1, "info": 2}).tolist()
    assert ranks == sorted(ranks) and frame["severity"].iloc[0] == "fail"
