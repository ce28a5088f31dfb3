"""Which findings the baseline refutes: those whose fixes made the model worse on clean rows.

The baseline is how the audit confirms its findings: fixing the data should lower the loss
on the clean reference set. When the fixes raise it instead (verdict ``fixes_hurt``), the
rows they dropped or relabelled were probably not errors, and the findings behind them are
not confirmed. Which findings: with an ``--attribute`` run, the families whose run alone
made the reference loss worse, by the same rule as the verdict (at least ``DATA_MIN_DROP``
of it, beyond ``SPREAD_FACTOR`` seed std); an attribution run can refute a family even when
the fixes together helped. Without one (or when no family alone clearly hurt), every family
whose fixes the plan applied, since nothing tells them apart.

A finding is marked only when the fix plan acted on one of its rows for its code: a finding
flagged at info (not applied by default) or one no rule acts on changed nothing and so was
not tested. Reporters read the marks from :attr:`audit.report.AuditReport.unconfirmed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from audit.training.attribution import FAMILIES
from audit.training.numbers import fmt, percent
from audit.training.verdict import made_worse

if TYPE_CHECKING:
    from audit.fixes import FixPlan
    from audit.training.results import BaselineResult, Skipped
    from checks import Finding


@dataclass(frozen=True)
class Refutation:
    """A fix family the baseline refutes: its finding codes, and why, with the numbers."""

    family: str
    codes: tuple[str, ...]
    reason: str


def refutations(baseline: BaselineResult | Skipped | None) -> tuple[Refutation, ...]:
    """The fix families whose fixes made the clean reference loss worse; empty when none did."""
    if baseline is None or not baseline.ran:
        return ()
    attribution = baseline.attribution
    attributed = attribution is not None and attribution.ran
    refuted = []
    if attributed:
        for entry in attribution.families:
            effect = entry.effect
            if effect is not None and made_worse(effect.reference_loss_drop_relative, effect.reference_loss_drop):
                refuted.append(Refutation(entry.family, entry.codes, (
                    f"the {entry.family} fixes alone raised the baseline's loss on the clean reference set from "
                    f"{fmt(effect.reference_loss_raw)} to {fmt(effect.reference_loss)} "
                    f"({percent(-effect.reference_loss_drop_relative)} higher, beyond the seed spread): the rows they "
                    "drop or relabel are probably not errors")))
    if refuted or baseline.verdict.code != "fixes_hurt":
        return tuple(refuted)
    c = baseline.comparison
    reason = (f"the fixes raised the baseline's loss on the clean reference set from {fmt(c.reference_loss.raw)} "
              f"to {fmt(c.reference_loss.fixed)} ({percent(-(c.reference_loss_drop_relative or 0.0))} higher, beyond "
              "the seed spread): the rows they drop or relabel are probably not errors; "
              + ("no fix family alone clearly did it" if attributed else "--attribute would say which fix did it"))
    return tuple(Refutation(family, codes, reason) for family, codes in FAMILIES.items())


@dataclass(frozen=True)
class Unconfirmed:
    """The findings the baseline refutes, each with why; empty when it refuted nothing."""

    by_finding: Mapping[int, str] = field(default_factory=dict)
    """By ``id(finding)``."""

    def reason(self, finding: Finding) -> str | None:
        """Why ``finding`` is not confirmed; None when it is not refuted."""
        return self.by_finding.get(id(finding))

    def reasons(self) -> list[str]:
        """Each distinct reason once, sorted."""
        return sorted(set(self.by_finding.values()))

    def __len__(self) -> int:
        return len(self.by_finding)


def unconfirmed_findings(findings: Iterable[Finding], plan: FixPlan,
                         refuted: tuple[Refutation, ...]) -> Unconfirmed:
    """Each finding the plan acted on for a refuted family, with the reason it is not confirmed."""
    if not refuted:
        return Unconfirmed()
    acted = {(action.split, action.row, code) for action in plan.actions for code in action.reasons}
    marks = {}
    for finding in findings:
        refutation = next((r for r in refuted if finding.code in r.codes), None)
        if refutation is not None and any((entry.get("split"), entry.get("row"), finding.code) in acted
                                          for entry in finding.rows):
            marks[id(finding)] = refutation.reason
    return Unconfirmed(marks)
