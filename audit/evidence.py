"""Evidence past a cap: the JSON report keeps a finding's first rows, a CSV beside it keeps all.

A finding may flag nearly every row of a large table (a million copies of a few distinct
rows), and a JSON report holding every one of them grows to hundreds of megabytes that a
reader cannot open. So the JSON keeps the first ``max_evidence_rows`` rows of such a finding
and says how many there are and which file holds them all: ``<name>.evidence/`` beside the
report, one CSV a capped finding. One file a finding, not one for all: each check's rows
have their own keys (``duplicate_of``, ``train_row``, ``label_quality``), so each file has
exactly its finding's columns, and a file can be opened without filtering a larger one.

The CSV is streamed row by row through :func:`~audit.output.atomic_stream`, so it is never
held whole in memory and a reader never sees half of it. The findings in memory are not
capped: the fix plan, accepted findings, JUnit and the job summary see every row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.output import atomic_stream, safe_name
from checks.base import to_builtin

if TYPE_CHECKING:
    from audit.report import AuditReport
    from checks import Finding

DEFAULT_MAX_EVIDENCE_ROWS = 1000
PLAIN_TYPES = (int, str)


@dataclass(frozen=True)
class CappedEvidence:
    """A finding whose rows past the cap are only in a side file, as the JSON states it."""

    rows_total: int
    rows_in_report: int
    rows_file: str
    """The side file, relative to the report's folder, with ``/`` between parts."""

    def to_dict(self) -> dict[str, Any]:
        return {"rows_total": self.rows_total, "rows_in_report": self.rows_in_report, "rows_file": self.rows_file}


def evidence_folder(out: Path, stem: str) -> Path:
    """Where the side files of the report called ``stem`` go."""
    return out / f"{stem}.evidence"


def capped_findings(report: AuditReport, stem: str, max_rows: int) -> dict[int, CappedEvidence]:
    """By ``id(finding)``, every finding with more rows than ``max_rows`` and its side file.

    A file is named ``<check>-<code>-<n>.csv``, ``n`` counting that check's findings of that
    code from 1, so the same inputs give the same names.
    """
    capped = {}
    for result in report.results:
        seen: dict[str, int] = {}
        for finding in result.findings:
            seen[finding.code] = seen.get(finding.code, 0) + 1
            if len(finding.rows) > max_rows:
                name = safe_name(f"{result.check}-{finding.code}-{seen[finding.code]}")
                capped[id(finding)] = CappedEvidence(len(finding.rows), max_rows, f"{stem}.evidence/{name}.csv")
    return capped


def write_evidence(report: AuditReport, out: Path, capped: Mapping[int, CappedEvidence]) -> list[Path]:
    """Write each capped finding's every row into its side file; the files written."""
    written = []
    for _, finding in report.all_findings:
        if id(finding) in capped:
            written.append(write_rows_csv(out / capped[id(finding)].rows_file, finding))
    return written


def write_rows_csv(path: Path, finding: Finding) -> Path:
    """Every row of a finding, one CSV line each, its columns the keys in order of first use."""
    columns = list(dict.fromkeys(key for row in finding.rows for key in row))
    with atomic_stream(path) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(row.get(column)) for column in columns] for row in finding.rows)
    return path


def cell(value: Any) -> Any:
    """A CSV cell: a plain value as itself, a missing one empty, a list or mapping as JSON."""
    if type(value) in PLAIN_TYPES:  # most cells: row numbers and labels, written as they are
        return value
    value = to_builtin(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    return value

