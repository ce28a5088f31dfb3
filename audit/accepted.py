"""Accepted findings: a baseline of known problems, so a gate fails only on what got worse.

A finding's identity is its code, its split and the content of its rows (a hash of every value
in the row, not the row's position), so sorting or reshuffling a file keeps its accepted
findings accepted. A finding without rows (a column, a distribution) is identified by its code,
split and columns, and stays accepted while its severity does not rise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from audit.errors import InputError
from checks import AuditData, Finding, Severity

ACCEPTED_FILE = "audit-accepted.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Judgement:
    """How a finding compares with the accepted baseline: ``accepted``, ``new`` or ``worsened``."""

    status: str
    new_rows: int = 0


def row_fingerprints(data: AuditData) -> dict[str, pd.Series]:
    """A content hash of every row of each split (all columns), indexed like the split."""
    return data.shared("row_fingerprints", lambda d: {
        split: pd.util.hash_pandas_object(frame.astype("string"), index=False).map("{:016x}".format)
        for split, frame in d.frames.items()
    })


def finding_key(finding: Finding) -> str:
    """What makes two findings "the same problem" across runs, apart from their rows."""
    split = finding.metrics.get("split") or ",".join(sorted({r["split"] for r in finding.rows})) or "-"
    columns = ",".join(sorted(str(c.get("column", "")) for c in finding.columns))
    return f"{finding.code}|{split}|{columns}"


def fingerprint(finding: Finding, data: AuditData) -> dict[str, Any]:
    hashes = row_fingerprints(data)
    flagged = {(r["split"], r["row"]) for r in finding.rows}
    rows = sorted({evidence_identity(r, hashes, flagged) for r in finding.rows})
    return {"key": finding_key(finding), "severity": str(finding.severity), "rows": rows}


def evidence_identity(row: dict[str, Any], hashes: dict[str, pd.Series], flagged: set[tuple[str, int]]) -> str:
    """The content of a flagged row, joined by its partner's when the partner is not flagged.

    Which of two identical rows is "the duplicate" depends on their order in the file, so a
    repeat is identified by the unordered pair of contents. Where every member of a group is
    flagged (conflicting labels), each member's own content already identifies it.
    """
    contents = [hashes[row["split"]].loc[row["row"]]]
    partners = []
    if "duplicate_of" in row:
        partners.append((row.get("duplicate_split", row["split"]), row["duplicate_of"]))
    if "train_row" in row:
        partners.append(("train", row["train_row"]))
    contents += [hashes[split].loc[r] for split, r in partners if (split, r) not in flagged]
    return "+".join(sorted(contents))


def write_accepted(findings: list[Finding], data: AuditData) -> dict[str, Any]:
    """The document ``audit accept`` writes: every current finding's fingerprint."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        entry = fingerprint(finding, data)
        merged = entries.setdefault(entry["key"], {"key": entry["key"], "severity": entry["severity"], "rows": []})
        merged["rows"] = sorted(set(merged["rows"]) | set(entry["rows"]))
        merged["severity"] = str(max(Severity.parse(merged["severity"]), Severity.parse(entry["severity"])))
    return {"format_version": FORMAT_VERSION, "findings": sorted(entries.values(), key=lambda e: e["key"])}


def read_accepted(path: Path) -> dict[str, dict[str, Any]]:
    """Accepted entries by key; a damaged file is an input error, not an empty baseline."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries = {e["key"]: e for e in document["findings"]}
    except FileNotFoundError:
        raise InputError(f"{path}: no such accepted-findings file; create it with `audit accept`") from None
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path}: not an accepted-findings file written by `audit accept`; rewrite it") from None
    return entries


def judge(finding: Finding, data: AuditData, accepted: dict[str, dict[str, Any]], tolerance_rows: int) -> Judgement:
    """Accepted while no more than ``tolerance_rows`` rows are new and the severity did not rise."""
    current = fingerprint(finding, data)
    entry = accepted.get(current["key"])
    if entry is None:
        return Judgement("new", len(current["rows"]))
    new_rows = len(set(current["rows"]) - set(entry["rows"]))
    rose = Severity.parse(current["severity"]) > Severity.parse(entry["severity"]) and not finding.rows
    if new_rows > tolerance_rows or rose:
        return Judgement("worsened", new_rows)
    return Judgement("accepted", new_rows)
