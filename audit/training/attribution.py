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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from audit.fixes import CONFLICT, DUPLICATE_CODES, LABEL_ISSUES, LEAK_CODES, FixPlan, build_plan
from audit.progress import Progress, no_progress
from audit.training.numbers import Spread, fmt, percent
from audit.training.pipeline import baseline_settings, time_budget_s, training_seconds, training_split
from audit.training.results import Skipped, baseline_skipped
from audit.training.watch import plan_training

if TYPE_CHECKING:  # only read for its attributes; the report imports this module
    from audit.report import AuditReport

FAMILIES: dict[str, tuple[str, ...]] = {
    "duplicates": DUPLICATE_CODES,
    "leakage": LEAK_CODES,
    "labels": (CONFLICT, LABEL_ISSUES),
}


@dataclass(frozen=True)
class FamilyEffect:
    """A family run's numbers beside the raw run's: reference loss, end gap, val inflation."""

    reference_loss: float | None
    reference_loss_raw: float | None
    reference_loss_drop: Spread
    reference_loss_drop_relative: float | None
    reference_loss_drop_beyond_spread: bool
    end_gap: float | None
    end_gap_raw: float | None
    val_inflation_relative: float | None
    val_inflation_relative_raw: float | None
    train_rows: int
    val_rows: int

    @property
    def inflation_removed(self) -> float:
        """How much of the raw val loss's inflation this family's fixes took away: at most the inflation
        there was. A val loss above the reference loss (hard rows kept in val) is no inflation, and its
        rising further after a fix removes none."""
        raw, family = self.val_inflation_relative_raw, self.val_inflation_relative
        return 0.0 if raw is None or family is None else max(0.0, min(raw, raw - family))

    def to_dict(self) -> dict[str, Any]:
        document = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {**document, "reference_loss_drop": self.reference_loss_drop.to_dict()}


@dataclass(frozen=True)
class FamilyRun:
    """One fix family: the rows its fixes change, and its run's effect (None: not trained, see ``reason``)."""

    family: str
    codes: tuple[str, ...]
    train_rows_dropped: int
    val_rows_dropped: int
    labels_changed: int
    effect: FamilyEffect | None = None
    reason: str | None = None
    duration_s: float | None = None

    @property
    def ran(self) -> bool:
        return self.effect is not None

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "family": self.family, "codes": list(self.codes), "train_rows_dropped": self.train_rows_dropped,
            "val_rows_dropped": self.val_rows_dropped, "labels_changed": self.labels_changed,
            "status": "ran" if self.ran else "skipped",
        }
        if self.effect is None:
            return {**document, "reason": self.reason}
        return {**document, **self.effect.to_dict(), "duration_s": self.duration_s}


@dataclass(frozen=True)
class Attribution:
    """Every family's run, the family that moved the numbers most (or None), and the sentence saying so."""

    families: tuple[FamilyRun, ...]
    moved_most: str | None
    summary: str
    ran: ClassVar[bool] = True
    status: ClassVar[str] = "ran"

    def family(self, name: str) -> FamilyRun | None:
        return next((entry for entry in self.families if entry.family == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "families": [entry.to_dict() for entry in self.families],
                "moved_most": self.moved_most, "summary": self.summary}


def attribute_fixes(report: AuditReport, plan: FixPlan, options: Mapping[str, Any], seed: int,
                    progress: Progress = no_progress) -> Attribution | Skipped:
    """One baseline run per fix family on top of ``report.baseline``'s raw and fixed runs.

    Skipped, with the reason, when the baseline did not train or the runs are over the
    time budget.
    """
    from audit.training.baseline import run_variant

    baseline = report.baseline
    if baseline is None or not baseline.ran:
        return baseline_skipped("the baseline did not train, so there is nothing to attribute")
    data = report.data
    plans = {family: _family_plan(report, plan, codes) for family, codes in FAMILIES.items()}
    to_train = [family for family, family_plan in plans.items() if _changes_rows(family_plan)]
    settings = baseline_settings(options, seed)
    budget = time_budget_s(options)
    estimate = training_seconds(data, settings, runs=len(to_train))
    if to_train and estimate > budget:
        return baseline_skipped(f"attributing the fixes would train {len(to_train)} more runs, about {estimate:.0f} s, "
                                f"over the {budget:.0f} s budget; raise baseline.time_budget_s")

    reference = training_split(data, plan.fixed_frames(data).reference)
    raw_train, raw_val = training_split(data, data.frames["train"]), training_split(data, data.frames["val"])
    families = []
    plan_training(fits=len(to_train), epochs=settings.epochs)
    for family, family_plan in plans.items():
        changed = _rows_changed(family_plan)
        if family not in to_train:
            families.append(FamilyRun(family, FAMILIES[family], *changed, reason="no row to change"))
            continue
        progress(f"attribution: training on the raw data with only the {family} fixes")
        frames = family_plan.fixed_frames(data)
        try:
            variant = run_variant(baseline.raw, raw_train, raw_val, training_split(data, frames.train),
                                  training_split(data, frames.val), reference, settings)
        except ValueError as error:
            families.append(FamilyRun(family, FAMILIES[family], *changed, reason=f"could not train: {error}"))
            continue
        finally:
            progress("")
        c = variant.comparison
        effect = FamilyEffect(
            reference_loss=c.reference_loss.fixed,
            reference_loss_raw=c.reference_loss.raw,
            reference_loss_drop=c.reference_loss_drop,
            reference_loss_drop_relative=c.reference_loss_drop_relative,
            reference_loss_drop_beyond_spread=c.reference_loss_drop_beyond_spread,
            end_gap=c.end_gap.fixed,
            end_gap_raw=c.end_gap.raw,
            val_inflation_relative=variant.val_inflation_relative,
            val_inflation_relative_raw=c.raw_val_inflation_relative,
            train_rows=variant.run.train_rows,
            val_rows=variant.run.val_rows,
        )
        families.append(FamilyRun(family, FAMILIES[family], *changed, effect=effect,
                                  duration_s=variant.run.duration_s))
    moved = _moved_most(families)
    all_fixes = baseline.comparison.reference_loss
    return Attribution(tuple(families), moved, _summary(families, moved, all_fixes.raw, all_fixes.fixed))


def _family_plan(report: AuditReport, plan: FixPlan, codes: tuple[str, ...]) -> FixPlan:
    findings = [(check, finding) for check, finding in report.all_findings if finding.code in codes]
    return build_plan(findings, report.data, plan.options)


def _changes_rows(plan: FixPlan) -> bool:
    """Whether the plan changes what the network trains or is validated on (exclusions do not)."""
    return bool(plan.dropped("train") or plan.dropped("val") or plan.relabelled("train"))


def _rows_changed(plan: FixPlan) -> tuple[int, int, int]:
    """Train rows dropped, val rows dropped, train labels changed."""
    return len(plan.dropped("train")), len(plan.dropped("val")), len(plan.relabelled("train"))


def _moved_most(families: list[FamilyRun]) -> str | None:
    """The family whose run moved a number furthest: the reference loss drop, or the
    inflation removed, both relative to the raw run's reference loss; None if none helped."""
    best, best_move = None, 0.0
    for entry in families:
        if entry.effect is None:
            continue
        effect = entry.effect
        drop = effect.reference_loss_drop_relative if effect.reference_loss_drop_beyond_spread else 0.0
        move = max(drop or 0.0, effect.inflation_removed)
        if move > best_move:
            best, best_move = entry.family, move
    return best


def _family_sentence(entry: FamilyRun) -> str:
    effect = entry.effect
    if effect is None:
        return f"{entry.family}: not trained ({entry.reason})"
    text = (f"{entry.family} alone took the reference loss from {fmt(effect.reference_loss_raw)} to "
            f"{fmt(effect.reference_loss)}")
    relative = effect.reference_loss_drop_relative
    if relative is not None:
        change = "unchanged" if abs(relative) < 0.005 else f"{-relative:+.0%}"
        beyond = "" if effect.reference_loss_drop_beyond_spread else ", within the seed spread"
        text += f" ({change}{beyond})"
    if effect.inflation_removed >= 0.05:
        text += (f" and made the val loss honest: {percent(effect.val_inflation_relative_raw)} below the clean "
                 f"reference loss before, {percent(effect.val_inflation_relative)} after")
    return text


def _summary(families: list[FamilyRun], moved: str | None, raw_loss: float | None,
             fixed_loss: float | None) -> str:
    """One sentence naming the family that moved the numbers most, then each family's numbers."""
    if not any(entry.ran for entry in families):
        return "No fix family changed a row, so there was nothing to attribute."
    lead = (f"Of the fixes, {moved} moved the numbers most" if moved else
            "No single fix family clearly moved the numbers")
    lead += f" (all fixes together: reference loss {fmt(raw_loss)} to {fmt(fixed_loss)})"
    return lead + ". " + "; ".join(_family_sentence(entry) for entry in families) + "."
