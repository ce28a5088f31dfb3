"""Which fix moved the numbers most: the baseline trained once more per fix family.

The fixed run applies every fix at once, so its verdict cannot say whether dropping the
duplicates, dropping the leaked validation rows or repairing the labels did the work. With
``--attribute`` (``baseline.attribute = true``) each family gets a run of its own: a plan
built from that family's findings alone, applied to the raw splits, trained with the raw
run's seeds, batch size and epochs and scored on the same clean reference set. Its change
against the raw run is what that family alone does; interactions are not attributed, so the
families' changes need not add up to the full fix's.

Families, by the finding codes whose row actions they apply:

* ``duplicates``: exact and near duplicates in train (the first row of a group stays);
* ``leakage``: val rows leaked from train (exact, near, group, temporal);
* ``labels``: conflicting labels and label issues (train rows dropped or relabelled, and a
  val row whose features equal a train row's under another label dropped from val).

Two numbers say what a family moved. The drop of the reference loss is what repairing
training rows buys. Leakage fixes the yardstick instead: leaked rows make the raw val loss
look better than the same model's reference loss ("inflation"), and dropping them makes the
val loss honest without moving the reference loss. A family with no row to change is not
trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from audit.baseline_runs import baseline_settings, skipped
from audit.fixes import CONFLICT, DUPLICATE_CODES, LABEL_ISSUES, LEAK_CODES, FixPlan, build_plan
from audit.progress import Progress, no_progress
from audit.report import AuditReport

FAMILIES: dict[str, tuple[str, ...]] = {
    "duplicates": DUPLICATE_CODES,
    "leakage": LEAK_CODES,
    "labels": (CONFLICT, LABEL_ISSUES),
}


def attribute_fixes(report: AuditReport, plan: FixPlan, options: Mapping[str, Any], seed: int,
                    progress: Progress = no_progress) -> dict[str, Any]:
    """One baseline run per fix family on top of ``report.baseline``'s raw and fixed runs.

    Returns ``{"status": "ran", "families": [...], "moved_most": name or None, "summary": text}``,
    or a skipped entry with the reason (no baseline, or over the time budget).
    """
    from audit.baseline import BaselineSplit, estimate_seconds, run_variant
    from audit.baseline_runs import DEFAULT_TIME_BUDGET_S

    baseline = report.baseline or {}
    if baseline.get("status") != "ran":
        return skipped("the baseline did not train, so there is nothing to attribute")
    data = report.data
    plans = {family: _family_plan(report, plan, codes) for family, codes in FAMILIES.items()}
    to_train = [family for family, family_plan in plans.items() if _changes_rows(family_plan)]
    settings = baseline_settings(options, seed)
    budget = float(options.get("time_budget_s", DEFAULT_TIME_BUDGET_S))
    estimate = estimate_seconds(len(data.frames["train"]), len(data.feature_columns), settings, runs=len(to_train))
    if to_train and estimate > budget:
        return skipped(f"attributing the fixes would train {len(to_train)} more runs, about {estimate:.0f} s, over "
                       f"the {budget:.0f} s budget; raise baseline.time_budget_s")

    def split(frame: pd.DataFrame) -> BaselineSplit:
        return BaselineSplit(frame[data.feature_columns], frame[data.label].to_numpy())

    reference = split(plan.fixed_frames(data).reference)
    raw_train, raw_val = split(data.frames["train"]), split(data.frames["val"])
    families = []
    for family, family_plan in plans.items():
        entry = {"family": family, "codes": list(FAMILIES[family]), **_rows_changed(family_plan)}
        if family not in to_train:
            families.append({**entry, "status": "skipped", "reason": "no row to change"})
            continue
        progress(f"attribution: training on the raw data with only the {family} fixes")
        frames = family_plan.fixed_frames(data)
        try:
            run = run_variant(baseline["raw"], raw_train, raw_val, split(frames.train), split(frames.val),
                              reference, settings)
        except ValueError as error:
            families.append({**entry, "status": "skipped", "reason": f"could not train: {error}"})
            continue
        finally:
            progress("")
        families.append({**entry, "status": "ran", **_effect(run), "duration_s": run["duration_s"]})
    moved = _moved_most(families)
    return {"status": "ran", "families": families, "moved_most": moved,
            "summary": _summary(families, moved, baseline)}


def _family_plan(report: AuditReport, plan: FixPlan, codes: tuple[str, ...]) -> FixPlan:
    findings = [(check, finding) for check, finding in report.all_findings if finding.code in codes]
    return build_plan(findings, report.data, plan.options)


def _changes_rows(plan: FixPlan) -> bool:
    """Whether the plan changes what the network trains or is validated on (exclusions do not)."""
    return bool(plan.dropped("train") or plan.dropped("val") or plan.relabelled("train"))


def _rows_changed(plan: FixPlan) -> dict[str, int]:
    return {"train_rows_dropped": len(plan.dropped("train")), "val_rows_dropped": len(plan.dropped("val")),
            "labels_changed": len(plan.relabelled("train"))}


def _effect(run: Mapping[str, Any]) -> dict[str, Any]:
    """The family run's numbers against the raw run's: reference loss, end gap, val inflation."""
    c = run["comparison"]
    return {
        "reference_loss": c["reference_loss"]["fixed"],
        "reference_loss_raw": c["reference_loss"]["raw"],
        "reference_loss_drop": c["reference_loss_drop"],
        "reference_loss_drop_relative": c["reference_loss_drop_relative"],
        "reference_loss_drop_beyond_spread": c["reference_loss_drop_beyond_spread"],
        "end_gap": c["end_gap"]["fixed"],
        "end_gap_raw": c["end_gap"]["raw"],
        "val_inflation_relative": run["val_inflation_relative"],
        "val_inflation_relative_raw": c["raw_val_inflation_relative"],
        "train_rows": run["train_rows"],
        "val_rows": run["val_rows"],
    }


def _inflation_removed(entry: Mapping[str, Any]) -> float:
    raw, family = entry.get("val_inflation_relative_raw"), entry.get("val_inflation_relative")
    return 0.0 if raw is None or family is None else raw - family


def _moved_most(families: list[dict[str, Any]]) -> str | None:
    """The family whose run moved a number furthest: the reference loss drop, or the
    inflation removed, both relative to the raw run's reference loss; None if none helped."""
    best, best_move = None, 0.0
    for entry in families:
        if entry["status"] != "ran":
            continue
        drop = entry["reference_loss_drop_relative"] if entry["reference_loss_drop_beyond_spread"] else 0.0
        move = max(drop or 0.0, _inflation_removed(entry))
        if move > best_move:
            best, best_move = entry["family"], move
    return best


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _family_sentence(entry: Mapping[str, Any]) -> str:
    if entry["status"] != "ran":
        return f"{entry['family']}: not trained ({entry['reason']})"
    text = (f"{entry['family']} alone took the reference loss from {_fmt(entry['reference_loss_raw'])} to "
            f"{_fmt(entry['reference_loss'])}")
    relative = entry["reference_loss_drop_relative"]
    if relative is not None:
        change = "unchanged" if abs(relative) < 0.005 else f"{-relative:+.0%}"
        beyond = "" if entry["reference_loss_drop_beyond_spread"] else ", within the seed spread"
        text += f" ({change}{beyond})"
    if _inflation_removed(entry) >= 0.05:
        text += (f" and made the val loss honest: {entry['val_inflation_relative_raw']:.0%} below the clean "
                 f"reference loss before, {entry['val_inflation_relative']:.0%} after")
    return text


def _summary(families: list[dict[str, Any]], moved: str | None, baseline: Mapping[str, Any]) -> str:
    """One sentence naming the family that moved the numbers most, then each family's numbers."""
    ran = [entry for entry in families if entry["status"] == "ran"]
    if not ran:
        return "No fix family changed a row, so there was nothing to attribute."
    all_fixes = (baseline.get("comparison") or {}).get("reference_loss") or {}
    lead = (f"Of the fixes, {moved} moved the numbers most" if moved else
            "No single fix family clearly moved the numbers")
    lead += f" (all fixes together: reference loss {_fmt(all_fixes.get('raw'))} to {_fmt(all_fixes.get('fixed'))})"
    return lead + ". " + "; ".join(_family_sentence(entry) for entry in families) + "."
