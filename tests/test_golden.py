"""The JSON reports of `audit demo` and of `audit run` on a planted pair, against stored copies.

Restructuring the code must not change what a report says: every key and value is compared
with a copy stored in ``tests/golden/``. Timings and machine facts (versions, threads) are
masked, as is the output folder; input paths are reduced to their file names, and floats agree to a relative 1e-6
(the same seeds give the same training on this kind of machine; the tolerance only absorbs
a different CPU's last bits).

A change that is meant to change a report rewrites the copies with
``AUDIT_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and says why in its commit.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from tests.conftest import LABEL, planted_pair

GOLDEN = Path(__file__).parent / "golden"
MASKED_KEYS = {"duration_s", "training_s", "training_cpu_s", "environment", "out"}
RELATIVE_TOLERANCE = 1e-6


def masked(document: Any, key: str = "") -> Any:
    """The document with timings and machine facts replaced by a marker, paths by file names."""
    if key in MASKED_KEYS:
        return "<masked>"
    if key in ("path", "manifest") and isinstance(document, str):
        return Path(document).name
    if key == "version" and isinstance(document, str):
        return "<masked>"
    if isinstance(document, dict):
        return {k: masked(v, k) for k, v in document.items()}
    if isinstance(document, list):
        return [masked(v) for v in document]
    return document


def differences(stored: Any, fresh: Any, where: str = "") -> list[str]:
    """Every place the two documents differ, as 'path: stored != fresh'."""
    if isinstance(stored, dict) and isinstance(fresh, dict):
        found = [f"{where}/{k}: missing" for k in stored if k not in fresh]
        found += [f"{where}/{k}: unexpected" for k in fresh if k not in stored]
        for k in stored.keys() & fresh.keys():
            found += differences(stored[k], fresh[k], f"{where}/{k}")
        return found
    if isinstance(stored, list) and isinstance(fresh, list):
        if len(stored) != len(fresh):
            return [f"{where}: {len(stored)} items != {len(fresh)}"]
        return [d for i, (a, b) in enumerate(zip(stored, fresh)) for d in differences(a, b, f"{where}[{i}]")]
    both_floats = isinstance(stored, float) and isinstance(fresh, float)
    if both_floats and math.isclose(stored, fresh, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12):
        return []
    if stored != fresh or type(stored) is not type(fresh):
        return [f"{where}: {stored!r} != {fresh!r}"]
    return []


def compare_with_golden(name: str, json_path: Path) -> None:
    fresh = masked(json.loads(json_path.read_text(encoding="utf-8")))
    stored_path = GOLDEN / f"{name}.json"
    if os.environ.get("AUDIT_UPDATE_GOLDEN") == "1":
        stored_path.parent.mkdir(exist_ok=True)
        stored_path.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    found = differences(stored, fresh)
    assert not found, f"{len(found)} differences from {stored_path}:\n" + "\n".join(found[:40])


@pytest.fixture(scope="module")
def planted_json(tmp_path_factory) -> Path:
    """`audit run` with every role on the planted pair, a short baseline included."""
    folder = tmp_path_factory.mktemp("golden-planted")
    pair = planted_pair()
    pair.train.to_csv(folder / "train.csv", index=False)
    pair.val.to_csv(folder / "val.csv", index=False)
    argv = ["run", "--train", str(folder / "train.csv"), "--val", str(folder / "val.csv"), "--label", LABEL,
            "--id-column", "id", "--group-column", "group", "--time-column", "time", "--out", str(folder / "out"),
            "--seeds", "2", "--epochs", "8", "--format", "json"]
    assert main(argv) == 1
    return folder / "out" / "train.json"


@pytest.mark.slow
def test_demo_json_is_the_stored_copy(demo_cli_json):
    compare_with_golden("demo", demo_cli_json)


@pytest.mark.slow
def test_planted_run_json_is_the_stored_copy(planted_json):
    compare_with_golden("planted_run", planted_json)
