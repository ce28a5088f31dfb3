"""Train/validation leakage by identical features, shared group ids and overlapping time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from checks.base import AuditData, Check, Finding, fraction, register, rows_finding
from checks.hashing import LeftOut, feature_hashes, left_out
from checks.text.columns import mark_text_matches


@register
class ExactLeakage(Check):
    """Validation rows whose features are identical to a training row.

    What it detects:
        ``exact_leakage``: val rows whose feature values (label, id, group, time and ignored
        columns left out; ``1`` equal to ``1.0``) occur in train, each with the first
        ``train_row`` it copies. The label is not compared, so a leaked row relabelled is
        still caught.

    Why it matters:
        The model is graded on rows it has already seen: validation loss looks better than it
        will be in production, and the gap between training and validation is hidden.

    How to fix:
        Remove the leaked rows from val (or from train), and split after de-duplicating.

    Parameters:
        fail_at_fraction: share of val rows leaked at or above which the finding fails (any
            leak warns).
    """

    name = "exact_leakage"
    needs = frozenset({"val"})
    codes = ("exact_leakage",)
    parameters = {"fail_at_fraction": fraction()}

    def __init__(self, fail_at_fraction=0.01):
        self.fail_at_fraction = fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        hashes = feature_hashes(data)
        train_first = (
            pd.Series(hashes["train"].index.to_numpy(), index=hashes["train"].to_numpy())
            .groupby(level=0, sort=False).first()
        )
        val = hashes["val"]
        leaked = val.map(train_first).dropna().astype("int64")
        return mark_text_matches(data, self.finding(len(val), leaked.index, leaked.to_numpy(), left_out(data)))

    def finding(self, n_val: int, rows: Iterable[int], train_rows: Iterable[int], said: LeftOut) -> list[Finding]:
        """``rows``: val rows with exactly the features of ``train_rows`` (each the first such); by row."""
        evidence = [{"split": "val", "row": int(r), "train_row": int(t)} for r, t in zip(rows, train_rows)]
        if not evidence:
            return []
        return [rows_finding("exact_leakage", evidence, n_val, self.fail_at_fraction, ("have", "has"),
                             f"exactly the features of a train row.{said.note}", noun="val row",
                             metrics={"columns_left_out": said.columns})]


@register
class GroupLeakage(Check):
    """Validation rows whose group id (patient, user, session...) also occurs in train.

    What it detects:
        ``group_leakage``: val rows whose value in the group column also occurs in train.
        The metrics name the shared ids.

    Why it matters:
        Rows of one entity resemble each other; a model that has seen a patient's other scans
        scores well on that patient without having learned to generalise to new ones.

    How to fix:
        Split by group (scikit-learn's GroupShuffleSplit or StratifiedGroupKFold), so each
        group lives in exactly one split.

    Parameters:
        fail_at_fraction: share of val rows in shared groups at or above which the finding
            fails (any shared group warns).
    """

    name = "group_leakage"
    needs = frozenset({"val", "group_column"})
    codes = ("group_leakage",)
    parameters = {"fail_at_fraction": fraction()}

    def __init__(self, fail_at_fraction=0.0):
        self.fail_at_fraction = fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        train_groups = data.frames["train"][data.group_column].dropna()
        val_groups = data.frames["val"][data.group_column]
        leaked = val_groups[val_groups.isin(pd.unique(train_groups)) & val_groups.notna()]
        return self.finding(data.group_column, len(val_groups), leaked.index, leaked.to_list())

    def finding(self, group_column: str, n_val: int, rows: Iterable[int], groups: Iterable[Any]) -> list[Finding]:
        """``rows``: val rows whose ``groups`` value also occurs in train; by row."""
        evidence = [{"split": "val", "row": int(r), "group": g} for r, g in zip(rows, groups)]
        if not evidence:
            return []
        shared_ids = sorted(map(str, pd.unique(pd.Series([e["group"] for e in evidence], dtype=object))))
        return [rows_finding("group_leakage", evidence, n_val, self.fail_at_fraction, ("belong", "belongs"),
                             f"to {len(shared_ids)} {group_column!s} value(s) that also occur in train.",
                             noun="val row", metrics={"n_groups": len(shared_ids), "group_ids": shared_ids})]


@register
class TemporalLeakage(Check):
    """Validation rows dated at or before the latest training row.

    What it detects:
        ``temporal_leakage``: val rows whose time is at or before the latest time in train,
        when val is meant to be the future of train.

    Why it matters:
        A model deployed on tomorrow's data must not be validated on yesterday's: rows from
        the training period let it use information from the future of its training data,
        and the validation score overstates what it will do after deployment.

    How to fix:
        Split by time: every val row after a cut-off, every train row before it.

    Parameters:
        fail_at_fraction: share of val rows at or before the train cut-off at or above which
            the finding fails (any such row warns).
    """

    name = "temporal_leakage"
    needs = frozenset({"val", "time_column"})
    codes = ("temporal_leakage",)
    parameters = {"fail_at_fraction": fraction()}

    def __init__(self, fail_at_fraction=0.01):
        self.fail_at_fraction = fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        train_times = data.frames["train"][data.time_column]
        val_times = data.frames["val"][data.time_column]
        cutoff = train_times.max()
        early = val_times[val_times <= cutoff]
        return self.finding(len(val_times), cutoff, val_times.min(), early.index, early.to_list())

    def finding(self, n_val: int, cutoff: Any, val_earliest: Any, rows: Iterable[int],
                times: Iterable[Any]) -> list[Finding]:
        """``rows``: val rows dated (``times``) at or before ``cutoff``, train's latest; by row."""
        evidence = [{"split": "val", "row": int(r), "time": t} for r, t in zip(rows, times)]
        if not evidence:
            return []
        return [rows_finding("temporal_leakage", evidence, n_val, self.fail_at_fraction, ("are", "is"),
                             f"dated at or before the latest train row ({cutoff!s}).", noun="val row",
                             metrics={"train_latest": cutoff, "val_earliest": val_earliest})]
