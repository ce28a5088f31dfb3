"""dataset-audit: find what is wrong with a labelled train/val pair before training on it.

The public API mirrors the command line: :func:`run_audit` takes DataFrames or file paths and
returns an :class:`~audit.report.AuditReport`.

``run_audit`` is loaded on first use, so ``import audit`` (and ``audit --help``) does not
import pandas or any check.
"""

from typing import Any

from audit.errors import InputError
from audit.version import __version__

__all__ = ["run_audit", "InputError", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "run_audit":
        from audit.api import run_audit

        return run_audit
    raise AttributeError(f"module 'audit' has no attribute {name!r}")
