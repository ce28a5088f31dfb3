"""Train/validation leakage by identical features, shared group ids and overlapping time."""

from __future__ import annotations

import pandas as pd

from checks.base import AuditData, Check, Finding, Severity, fraction, register
from checks.hashing import feature_hashes, left_out


def leak_severity(share: float, fail_at_fraction: float) -> Severity:
    """Any leak warns; a leak of at least ``fail_at_fraction`` of val fails."""
    return Severity.FAIL if share >= fail_at_fraction else Severity.WARN


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
        train_row = val.map(train_first)
        leaked = train_row.dropna().astype("int64")
        if leaked.empty:
            return []
        share = len(leaked) / len(val)
        said = left_out(data)
        return [Finding(
            code="exact_leakage",
            severity=leak_severity(share, self.fail_at_fraction),
            message=f"{len(leaked)} val rows ({share:.2%}) have exactly the features of a train row.{said.note}",
            metrics={"n_rows": len(leaked), "fraction": share, "columns_left_out": said.columns},
            rows=[{"split": "val", "row": int(r), "train_row": int(t)} for r, t in leaked.items()],
        )]


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
        shared_mask = val_groups.isin(pd.unique(train_groups)) & val_groups.notna()
        if not shared_mask.any():
            return []
        leaked = val_groups[shared_mask]
        shared_ids = sorted(map(str, pd.unique(leaked)))
        share = len(leaked) / len(val_groups)
        return [Finding(
            code="group_leakage",
            severity=leak_severity(share, self.fail_at_fraction),
            message=(
                f"{len(leaked)} val rows ({share:.2%}) belong to {len(shared_ids)} "
                f"{data.group_column!s} value(s) that also occur in train."
            ),
            metrics={"n_rows": len(leaked), "fraction": share, "n_groups": len(shared_ids),
                     "group_ids": shared_ids},
            rows=[{"split": "val", "row": int(r), "group": g} for r, g in leaked.items()],
        )]


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
        if early.empty:
            return []
        share = len(early) / len(val_times)
        return [Finding(
            code="temporal_leakage",
            severity=leak_severity(share, self.fail_at_fraction),
            message=(
                f"{len(early)} val rows ({share:.2%}) are dated at or before the latest train row "
                f"({cutoff!s})."
            ),
            metrics={"n_rows": len(early), "fraction": share, "train_latest": cutoff,
                     "val_earliest": val_times.min()},
            rows=[{"split": "val", "row": int(r), "time": t} for r, t in early.items()],
        )]
