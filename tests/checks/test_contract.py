"""One contract over every registered check, so a new check cannot skip the rules."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from audit.data import Roles, from_frames
from audit.runner import run_one
from checks import REGISTRY, CheckParameterError, Severity
from checks.base import DOC_SECTIONS
from tests.conftest import LABEL, clean_pair

ROLES = Roles(LABEL, id_column="id", group_column="group", time_column="time")
CHECKS = sorted(REGISTRY)


def clean_bundle(name: str = "", images: Path | None = None):
    """A clean pair: picture folders (written under ``images``) for a check that needs pictures."""
    if name and "images" in REGISTRY[name].needs:
        from audit.images.folders import load_image_folders

        return load_image_folders(images / "train", images / "val")
    pair = clean_pair(n_train=400, n_val=150)
    return from_frames(pair.train, pair.val, ROLES)


@pytest.fixture(scope="module")
def clean_images(tmp_path_factory) -> Path:
    from audit.images.synthetic import PlantSpec, write_planted_folders

    root = tmp_path_factory.mktemp("clean-images")
    write_planted_folders(root, PlantSpec(n_train=160, n_val=60).clean())
    return root


@pytest.mark.parametrize("name", CHECKS)
def test_check_is_registered_under_a_stable_snake_case_name(name):
    check = REGISTRY[name]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert check.name == name and check.codes
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", code) for code in check.codes)


@pytest.mark.parametrize("name", CHECKS)
def test_docstring_has_every_section(name):
    sections = REGISTRY[name].doc_sections()
    assert set(DOC_SECTIONS) <= set(sections), f"{name} lacks {set(DOC_SECTIONS) - set(sections)}"
    assert all(sections[s] for s in DOC_SECTIONS)
    assert REGISTRY[name].description()


@pytest.mark.parametrize("name", CHECKS)
def test_every_constructor_argument_has_a_rule_and_a_bad_value_is_named(name):
    check_class = REGISTRY[name]
    arguments = [p for p in inspect.signature(check_class.__init__).parameters if p != "self"]
    assert set(arguments) == set(check_class.parameters)
    for argument in arguments:
        with pytest.raises(CheckParameterError, match=f"'{argument}' parameter of the '{name}' check"):
            check_class(**{argument: "not-a-valid-value"}).validate_params()


@pytest.mark.parametrize("name", CHECKS)
def test_constructor_stores_parameters_unchanged(name):
    check = REGISTRY[name]()
    defaults = {p.name: p.default for p in inspect.signature(type(check).__init__).parameters.values()
                if p.name != "self"}
    assert check.get_params() == defaults


@pytest.mark.parametrize("name", CHECKS)
def test_clean_data_gives_nothing_above_info_as_strict_json_deterministically(name, clean_images):
    first = run_one(clean_bundle(name, clean_images), REGISTRY[name]())
    second = run_one(clean_bundle(name, clean_images), REGISTRY[name]())
    assert first.status == "ran", first.detail
    assert all(f.severity == Severity.INFO for f in first.findings), [f.message for f in first.findings]
    assert {f.code for f in first.findings} <= set(REGISTRY[name].codes)
    as_json = json.dumps([f.to_dict() for f in first.findings], allow_nan=False)
    assert as_json == json.dumps([f.to_dict() for f in second.findings], allow_nan=False)
