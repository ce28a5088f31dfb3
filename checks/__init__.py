"""The detectors of dataset-audit.

Each module holds one topic; importing this package registers every check. This package
never imports ``audit``: the checks only see an :class:`~checks.base.AuditData` bundle.
"""

from checks.base import (
    REGISTRY,
    AuditData,
    Check,
    CheckParameterError,
    Finding,
    Severity,
    register,
)

# Imported for their registration side effect, in the order reports list them.
from checks import class_balance, duplicates, leakage  # noqa: E402,F401
from checks import label_noise, expectations  # noqa: E402,F401
from checks import near_duplicates, target_leakage  # noqa: E402,F401
from checks.images import near, quality, shortcut  # noqa: E402,F401

__all__ = ["REGISTRY", "AuditData", "Check", "CheckParameterError", "Finding", "Severity", "register"]
