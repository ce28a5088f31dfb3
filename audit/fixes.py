"""Findings -> fix plan: which rows to drop, relabel or keep out of the reference set, and why.

The plan is data: one :class:`RowAction` per row it changes, with every finding code that
flagged the row and that finding's evidence. :meth:`FixPlan.fixed_frames` applies it to the
loaded frames (what the baseline trains on); :mod:`audit.fixed_files` writes it to disk,
copying the surviving rows of the input files byte for byte.

The rules, per split:

* train: exact and near duplicates are dropped and the first row of each group is kept (when
  another finding drops that row, the next row of the group is kept instead); every member
  of a conflicting-label group is dropped (``keep_majority``: the rows carrying the group's
  majority label stay, a tie drops them all); label issues are dropped (``relabel``: given
  the suggested label instead).
* val: rows leaked from train (exact, near, group, temporal, and identical features under
  another label) are dropped. Validation labels are never changed: val label issues and
  rows of within-val conflicting groups stay in val but are left out of the clean
  *reference* set (action ``exclude_from_reference``).

A row gets one action however many findings flag it (drop, then relabel, then exclude), and
keeps every reason. Codes the plan does not act on are listed in :attr:`FixPlan.ignored`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from checks.base import AuditData, Finding, Severity, to_builtin

DROP = "drop"
RELABEL = "relabel"
EXCLUDE = "exclude_from_reference"

DUPLICATE_CODES = ("exact_duplicates", "near_duplicates")
LEAK_CODES = ("exact_leakage", "near_leakage", "group_leakage", "temporal_leakage")
CONFLICT = "conflicting_labels"
LABEL_ISSUES = "label_issues"
# The order reasons are listed in, for a stable manifest.
ROW_CODES = (*DUPLICATE_CODES, CONFLICT, *LEAK_CODES, LABEL_ISSUES)

# Codes with evidence the plan reads but no row to change; each says what to do instead.
NO_ROW_ACTION = {
    "class_imbalance": "imbalance is answered with class weights, not by changing rows",
    "label_shift": "a shift between the label distributions is not a property of single rows",
    "unseen_labels": "val rows whose label never occurs in train are kept; review them or add such rows to train",
    "target_leakage": "a column that gives the label away must be removed from the features by hand",
    "data_quality": "failed expectations point at values to review, not at rows to drop",
}
UNKNOWN_CODE = "the fix plan has no rule for this code"
VAL_DUPLICATES = "duplicates within val are kept: val is only scored, never trained on"
INFO_ONLY = "flagged at info, for review: not applied unless --fix-info"


@dataclass(frozen=True)
class FixOptions:
    """How to resolve label problems in train; the default drops the rows."""

    relabel: bool = False
    keep_majority: bool = False
    include_info: bool = False
    """Also act on info-level findings: by default they are for review, and a fix the checks
    are not sure of can make the model worse."""

    @classmethod
    def recorded(cls, fixes: FixSummary | None) -> FixOptions:
        """The options a report's ``fixes`` summary was made with (the defaults if none)."""
        return fixes.options if fixes is not None else cls()


@dataclass(frozen=True)
class RowAction:
    """What happens to one row and why: ``reasons`` are finding codes, ``details`` their evidence."""

    split: str
    row: int
    action: str
    reasons: tuple[str, ...]
    details: Mapping[str, list[dict[str, Any]]]
    label: Any
    new_label: Any = None
    row_id: Any = None

    def to_dict(self) -> dict[str, Any]:
        return to_builtin({
            "split": self.split, "row": self.row, "id": self.row_id, "action": self.action,
            "reasons": list(self.reasons), "label": self.label, "new_label": self.new_label,
            "details": dict(self.details),
        })


@dataclass(frozen=True)
class IgnoredFinding:
    """Rows a finding flagged that no rule of the plan acts on, and what to do about them instead."""

    check: str
    code: str
    n_rows: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "code": self.code, "n_rows": self.n_rows, "reason": self.reason}


@dataclass(frozen=True)
class FixSummary:
    """The report's ``fixes`` section: how many rows the plan changes, with which options, what it
    left alone, and the files written (``manifest`` among them), if any."""

    train_rows_dropped: int
    val_rows_dropped: int
    labels_changed: int
    val_rows_excluded_from_reference: int
    options: FixOptions
    ignored: tuple[IgnoredFinding, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def manifest(self) -> str | None:
        return self.files.get("manifest")

    @property
    def changes_anything(self) -> bool:
        """Whether ``audit fix`` would write splits that differ from the inputs."""
        return bool(self.train_rows_dropped or self.val_rows_dropped or self.labels_changed
                    or self.val_rows_excluded_from_reference)

    def to_dict(self) -> dict[str, Any]:
        return {
            "train_rows_dropped": self.train_rows_dropped,
            "val_rows_dropped": self.val_rows_dropped,
            "labels_changed": self.labels_changed,
            "manifest": self.manifest,
            "val_rows_excluded_from_reference": self.val_rows_excluded_from_reference,
            "options": asdict(self.options),
            "ignored": [entry.to_dict() for entry in self.ignored],
            "files": dict(self.files),
        }


@dataclass(frozen=True)
class FixedFrames:
    """The splits with the plan applied; each frame keeps the input row numbers as its index.

    ``reference`` is the fixed val minus the rows excluded from it (val label issues): the
    clean set every baseline model, raw or fixed, is scored on.
    """

    train: pd.DataFrame
    val: pd.DataFrame | None
    reference: pd.DataFrame | None


@dataclass(frozen=True)
class FixPlan:
    """One action a changed row, train first and by row; ``ignored`` names what no rule acts on.

    Build it with :func:`build_plan` (or ``audit.api.plan_fixes(report)``); train on
    ``plan.fixed_frames(data).train`` and score on ``.val`` and ``.reference``.
    """

    options: FixOptions
    actions: tuple[RowAction, ...]
    ignored: tuple[IgnoredFinding, ...] = ()

    def rows(self, split: str, action: str) -> list[int]:
        return [a.row for a in self.actions if a.split == split and a.action == action]

    def dropped(self, split: str) -> list[int]:
        return self.rows(split, DROP)

    def relabelled(self, split: str) -> dict[int, Any]:
        return {a.row: a.new_label for a in self.actions if a.split == split and a.action == RELABEL}

    def excluded_from_reference(self) -> list[int]:
        """Val rows kept in the fixed val but left out of the reference set."""
        return self.rows("val", EXCLUDE)

    def fixed_frames(self, data: AuditData) -> FixedFrames:
        """Apply the plan to the loaded frames (for the baseline; files keep their own text)."""
        train = data.frames["train"].drop(index=self.dropped("train"))
        new_labels = self.relabelled("train")
        if new_labels:
            train[data.label] = train[data.label].astype(object)
            train.loc[list(new_labels), data.label] = list(new_labels.values())
            train[data.label] = train[data.label].infer_objects()
        if "val" not in data.frames:
            return FixedFrames(train, None, None)
        val = data.frames["val"].drop(index=self.dropped("val"))
        return FixedFrames(train, val, val.drop(index=self.excluded_from_reference()))

    def manifest(self) -> list[dict[str, Any]]:
        """Every dropped, relabelled or excluded row as a JSON-safe dict, train first, by row."""
        return [a.to_dict() for a in self.actions]

    def summary(self, files: Mapping[str, Any] | None = None) -> FixSummary:
        """The report's ``fixes`` section; ``files`` are the paths written, if any."""
        return FixSummary(
            train_rows_dropped=len(self.dropped("train")),
            val_rows_dropped=len(self.dropped("val")),
            labels_changed=len(self.relabelled("train")),
            val_rows_excluded_from_reference=len(self.excluded_from_reference()),
            options=self.options,
            ignored=self.ignored,
            files={kind: str(path) for kind, path in (files or {}).items()},
        )


def build_plan(findings: Iterable[tuple[str, Finding]], data: AuditData,
               options: FixOptions = FixOptions()) -> FixPlan:
    """Turn ``(check name, finding)`` pairs into a plan for ``data``'s rows.

    Raises ValueError when a finding names a row or split that is not in ``data``.
    """
    evidence: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    ignored: Counter[tuple[str, str, str]] = Counter()
    for check, finding in findings:
        if finding.code not in ROW_CODES:
            ignored[check, finding.code, NO_ROW_ACTION.get(finding.code, UNKNOWN_CODE)] += len(finding.rows)
            continue
        if finding.severity == Severity.INFO and not options.include_info:
            if finding.rows:
                ignored[check, finding.code, INFO_ONLY] += len(finding.rows)
            continue
        for entry in finding.rows:
            split, row = _locate(entry, data, check, finding.code)
            evidence[split, row][finding.code].append({k: v for k, v in entry.items() if k not in ("split", "row")})
            if split == "val" and finding.code in DUPLICATE_CODES:
                ignored[check, finding.code, VAL_DUPLICATES] += 1

    _add_conflict_representatives(evidence)
    train_actions, kept_instead = _train_actions(evidence, data, options)
    actions = {**train_actions, **_val_actions(evidence)}
    built = _row_actions(actions, evidence, data, kept_instead)
    built.sort(key=lambda a: (a.split != "train", a.row))
    ignored_entries = tuple(
        IgnoredFinding(check, code, n_rows, reason) for (check, code, reason), n_rows in sorted(ignored.items())
    )
    return FixPlan(options, tuple(built), ignored_entries)


def _locate(entry: Mapping[str, Any], data: AuditData, check: str, code: str) -> tuple[str, int]:
    split, row = entry.get("split"), entry.get("row")
    if split not in data.frames or row is None or int(row) not in data.frames[split].index:
        raise ValueError(f"the {code!r} finding of the {check!r} check names {split} row {row}, "
                         f"which is not in the data it was given; the finding and the data do not match")
    return split, int(row)


def _within_split(split: str, entry: Mapping[str, Any]) -> bool:
    return entry.get("duplicate_split", split) == split


def _add_conflict_representatives(evidence: dict) -> None:
    """A conflict group's first row is a member even when only its partners were flagged."""
    for (split, _row), codes in list(evidence.items()):
        for entry in codes.get(CONFLICT, []):
            rep = entry.get("duplicate_of")
            if rep is not None and _within_split(split, entry) and CONFLICT not in evidence.get((split, int(rep)), {}):
                evidence[split, int(rep)][CONFLICT].append({"duplicate_of": int(rep)})


def _groups(evidence: dict, split: str, codes: Iterable[str]) -> dict[int, set[int]]:
    """Rows grouped by the row they duplicate (``duplicate_of``), that row included."""
    groups: dict[int, set[int]] = defaultdict(set)
    for (row_split, row), by_code in evidence.items():
        if row_split != split:
            continue
        for code in codes:
            for entry in by_code.get(code, []):
                if _within_split(split, entry):
                    rep = int(entry.get("duplicate_of", row))
                    groups[rep] |= {rep, row}
    return groups


def _train_actions(evidence: dict, data: AuditData, options: FixOptions) -> tuple[dict, dict[int, int]]:
    labels = data.labels("train")
    drop: set[int] = set()
    for members in _groups(evidence, "train", [CONFLICT]).values():
        counts = Counter(labels.at[m] for m in members).most_common()
        tie = len(counts) > 1 and counts[0][1] == counts[1][1]
        if options.keep_majority and not tie:
            drop |= {m for m in members if labels.at[m] != counts[0][0]}
        else:
            drop |= members

    new_labels: dict[int, Any] = {}
    for (split, row), by_code in evidence.items():
        if split != "train" or LABEL_ISSUES not in by_code:
            continue
        suggested = by_code[LABEL_ISSUES][0].get("suggested_label")
        if options.relabel and suggested is not None and suggested != labels.at[row]:
            new_labels[row] = suggested
        else:
            drop.add(row)

    # The first row of a duplicate group stays unless another rule drops it; then the next does.
    kept_instead: dict[int, int] = {}
    duplicates: set[int] = set()
    for rep, members in _groups(evidence, "train", DUPLICATE_CODES).items():
        keeper = min((m for m in members if m not in drop), default=None)
        duplicates |= members - {rep, keeper}
        if keeper is not None and keeper != rep:
            kept_instead[rep] = keeper
    drop |= duplicates

    actions = {("train", row): (DROP, None) for row in drop}
    actions.update({("train", row): (RELABEL, label) for row, label in new_labels.items() if row not in drop})
    return actions, kept_instead


def _val_actions(evidence: dict) -> dict:
    actions = {}
    for (split, row), by_code in evidence.items():
        if split != "val":
            continue
        conflicts = by_code.get(CONFLICT, [])
        if any(code in by_code for code in LEAK_CODES) or any(not _within_split(split, e) for e in conflicts):
            actions[split, row] = (DROP, None)
        elif LABEL_ISSUES in by_code or conflicts:
            actions[split, row] = (EXCLUDE, None)
    return actions


def _row_actions(actions: Mapping[tuple[str, int], tuple[str, Any]], evidence: dict, data: AuditData,
                 kept_instead: Mapping[int, int]) -> list[RowAction]:
    """One RowAction a planned row; each split's labels and ids are looked up at once, since a
    lookup a row costs more than the rest of the plan on a million rows."""
    by_split: dict[str, list[tuple[int, str, Any]]] = defaultdict(list)
    for (split, row), (action, new_label) in actions.items():
        by_split[split].append((row, action, new_label))
    built = []
    for split, planned in by_split.items():
        rows = [row for row, _, _ in planned]
        labels = values_at(data.frames[split], data.label, rows)
        ids = values_at(data.frames[split], data.id_column, rows) if data.id_column else [None] * len(rows)
        for (row, action, new_label), label, row_id in zip(planned, labels, ids):
            reasons, details = _reasons(split, row, evidence[split, row], kept_instead)
            built.append(RowAction(split, row, action, reasons, details, label, new_label, row_id))
    return built


def values_at(frame: pd.DataFrame, column: str, rows: list[int]) -> list[Any]:
    """``frame.at[row, column]`` for each of ``rows``, in one lookup (iterating the extension array
    gives the very scalars ``.at`` gives, whatever the dtype: ``pd.NA``, ``Timestamp``, numpy's)."""
    return list(frame[column].loc[rows].array)


def _reasons(split: str, row: int, by_code: Mapping[str, list],
             kept_instead: Mapping[int, int]) -> tuple[tuple[str, ...], dict[str, list[dict[str, Any]]]]:
    """The codes that flagged a row, in manifest order, and their evidence; a dropped duplicate
    names the row kept in its place when its group's first row was dropped too."""
    reasons = tuple(code for code in ROW_CODES if code in by_code)
    details = {}
    for code in reasons:
        entries = [dict(e) for e in by_code[code]]
        if split == "train" and code in DUPLICATE_CODES:
            for entry in entries:
                keeper = kept_instead.get(int(entry.get("duplicate_of", row)))
                if keeper is not None:
                    entry["kept_row"] = keeper
        details[code] = entries
    return reasons, details
