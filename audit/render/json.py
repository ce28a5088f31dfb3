"""The JSON report: strict JSON (no NaN or Infinity), schema_version 1, every flagged row (a finding past
the evidence cap lists its first rows and names the CSV holding all of them: :mod:`audit.evidence`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report renders itself through these modules; they only read its attributes
    from audit.report import AuditReport


def render_json(report: AuditReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
