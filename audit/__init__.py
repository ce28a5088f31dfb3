"""dataset-audit: find what is wrong with a labelled train/val pair before training on it.

The public API mirrors the command line: :func:`run_audit` takes DataFrames or file paths and
returns an :class:`~audit.report.AuditReport`.
"""

from audit.api import run_audit
from audit.errors import InputError

__all__ = ["run_audit", "InputError", "__version__"]
__version__ = "0.1.0"
