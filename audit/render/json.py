"""The JSON report: strict JSON (no NaN or Infinity), schema_version 1, every flagged row."""

from __future__ import annotations

import json

from audit.report import AuditReport


def render_json(report: AuditReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
