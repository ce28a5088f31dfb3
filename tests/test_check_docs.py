"""`audit checks` names the codes each check emits; `audit checks NAME` prints its documentation."""

from __future__ import annotations

import pytest

from audit.cli import main
from checks import REGISTRY


def test_the_listing_names_each_checks_codes(capsys):
    assert main(["checks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name, check in REGISTRY.items():
        line = next(line for line in lines if line.split()[0] == name)
        assert line.endswith(f"[codes: {', '.join(check.codes)}]")
    assert "class_imbalance" in next(line for line in lines if line.startswith("class_balance"))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_check_page_has_its_sections_and_every_default(capsys, name):
    assert main(["checks", name]) == 0
    page = capsys.readouterr().out
    check = REGISTRY[name]
    assert page.startswith(f"{name}\n") and check.description() in page
    for section in ("What it detects:", "Why it matters:", "How to fix:", "Parameters"):
        assert section in page
    for parameter, value in check().get_params().items():
        assert f"{parameter} [{value!r}]" in page


def test_an_unknown_check_is_one_line_and_exit_code_2(capsys):
    assert main(["checks", "class_balanse"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'class_balanse'" in error and "class_balance" in error
