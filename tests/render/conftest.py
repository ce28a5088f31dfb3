"""The browser the report tests open it in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path; without it the browser tests skip, except under CI=true, where they fail."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        reason = f"no Chromium at {path} (install Debian's chromium, or set CHROMIUM to its path)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires the browser tests to run")
        pytest.skip(reason)
    return path
