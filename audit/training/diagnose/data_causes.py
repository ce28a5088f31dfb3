"""Verdicts on the data causes: noisy labels, duplicates, leakage and imbalance.

No training here: the checks' findings say whether the problem is there, and the baseline
(its raw-vs-fixed comparison on the clean reference set, and the ``--attribute`` run of
each fix family alone, when it trained) says whether fixing it helps.

* noisy labels, duplicates: likely when flagged at fail and the baseline's fixes trained
  clearly better (verdict ``data``) or no baseline ran; also when flagged at warn and the
  only data fix in the plan. Inconclusive when the fixed data trains no better, or when a
  warned finding shares the measured gain with other fixes; unlikely when the checks
  that look for it ran and found nothing (inconclusive when none ran). With an
  attribution run of the cause's fixes alone, that run decides.
* leakage: likely when flagged at fail or the baseline measured the raw val loss inflated
  (verdict ``leakage``).
* imbalance: unlikely when no class_imbalance (train), label_shift or unseen_labels finding
  is at warn or above; otherwise tested by training (:mod:`audit.training.diagnose.imbalance`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audit.training.attribution import FamilyRun
from audit.training.diagnose.imbalance import judge_imbalance
from audit.training.diagnose.model_causes import DATA_LIKELY_GAIN, DATA_UNLIKELY_GAIN
from audit.training.diagnose.plan import BaseSetup
from audit.training.diagnose.results import INCONCLUSIVE, LIKELY, UNLIKELY, Cause, Experiment
from audit.training.numbers import fmt, percent, pm
from audit.training.results import BaselineResult, Comparison
from checks import Finding, Severity

CAUSE_CODES = {
    "label_noise": ("label_issues", "conflicting_labels"),
    "duplicates": ("exact_duplicates", "near_duplicates"),
    "leakage": ("exact_leakage", "near_leakage", "group_leakage", "temporal_leakage", "target_leakage"),
    "imbalance": ("class_imbalance", "label_shift", "unseen_labels"),
}
DATA_TEXT = {
    "label_noise": ("label_issues and conflicting_labels findings; baseline raw vs fixed on the clean reference",
                    "relabel or drop the flagged rows (`audit fix` writes the fixed splits)"),
    "duplicates": ("exact_duplicates and near_duplicates findings; baseline raw vs fixed",
                   "drop the repeated rows (`audit fix`), and deduplicate before splitting"),
    "leakage": ("leakage findings; the baseline's raw val loss against the clean reference",
                "drop the leaked val rows (`audit fix`) and split by group or time"),
    "imbalance": ("class_imbalance, label_shift and unseen_labels findings", "weight the classes in the loss"),
}
ATTRIBUTION_FAMILY = {"label_noise": "labels", "duplicates": "duplicates"}


def imbalance_flagged(findings: Sequence[Finding]) -> list[Finding]:
    """The findings at warn or above that call for the class-imbalance experiment (class_imbalance of train only)."""
    return [f for f in findings if f.code in CAUSE_CODES["imbalance"] and f.severity >= Severity.WARN
            and (f.code != "class_imbalance" or f.metrics.get("split", "train") == "train")]


def data_cause(cause: str, findings: Sequence[Finding], checked: set[str] | None, baseline: BaselineResult | None,
               setup: BaseSetup, experiments: Mapping[str, Experiment] | None = None) -> Cause:
    """One data cause judged from the findings that name it and what the baseline measured (and, for
    imbalance, the ``experiments`` that tested it)."""
    codes = CAUSE_CODES[cause]
    experiment, remedy = DATA_TEXT[cause]
    if cause == "imbalance":
        flagged = imbalance_flagged(findings)
    else:
        flagged = [f for f in findings if f.code in codes and f.severity >= Severity.WARN]
    counts = _finding_counts(flagged)
    comparison = baseline.comparison if baseline is not None else None
    code = baseline.verdict.code if baseline is not None else None
    numbers: dict[str, Any] = {"findings": counts, "baseline_verdict": code}
    measured = _baseline_effect(comparison)
    if comparison is not None:
        numbers["reference_loss"] = comparison.reference_loss
        numbers["reference_loss_drop"] = comparison.reference_loss_drop
        numbers["raw_val_inflation_relative"] = comparison.raw_val_inflation_relative
    checked_here = checked is None or any(c in checked for c in codes)
    if not flagged:
        effect = "no finding at warn or fail" if checked_here else "not checked"
        if not checked_here:
            return Cause(cause, experiment, effect, INCONCLUSIVE, f"no check looking for {', '.join(codes)} ran",
                         "run the checks that look for them", numbers=numbers)
        return Cause(cause, experiment, effect, UNLIKELY, "the checks that look for it ran and found nothing",
                     "nothing to fix", numbers=numbers)
    worst = max(f.severity for f in flagged)
    effect = "; ".join(counts.values())
    if cause == "imbalance":
        ratio = next((f.metrics.get("imbalance_ratio") for f in flagged if f.code == "class_imbalance"), None)
        why = (f"the train classes are {ratio:.1f}x apart" if ratio else "the label distributions differ") + \
            f", flagged at {worst}"
        return judge_imbalance(effect, why, numbers, setup, experiments or {})
    if cause == "leakage":
        inflation = comparison.raw_val_inflation_relative if comparison is not None else None
        if inflation is not None:
            effect += f"; raw val loss {percent(inflation)} below the clean reference"
        if worst >= Severity.FAIL or code == "leakage":
            return Cause(cause, experiment, effect, LIKELY,
                         "val rows the model has seen make the raw val loss look better than it is"
                         + (" (baseline verdict: leakage)" if code == "leakage" else " (flagged at fail)"),
                         remedy, numbers=numbers)
        return Cause(cause, experiment, effect, INCONCLUSIVE, "flagged at warn only, and the baseline did not "
                     "measure an inflated val loss", remedy, numbers=numbers)
    if measured:
        effect += f"; {measured}"
    attributed = _attribution_of(cause, baseline)
    if attributed is not None:
        return _attributed(cause, experiment, effect, remedy, numbers, attributed)
    others = [c for c in ("label_noise", "duplicates") if c != cause
              and any(f.code in CAUSE_CODES[c] and f.severity >= Severity.WARN for f in findings)]
    if code == "data" and (worst >= Severity.FAIL or not others):
        return Cause(cause, experiment, effect, LIKELY,
                     f"flagged at {worst}, and the fixed data trains clearly better "
                     "(baseline verdict: data)" + (f"; the gain is shared with the {', '.join(others)} fixes"
                                                   if others else ""), remedy, numbers=numbers)
    if code == "data":
        return Cause(cause, experiment, effect, INCONCLUSIVE,
                     f"flagged at warn; the fixes together train clearly better (baseline verdict: data), but with "
                     f"the {', '.join(others)} fixes in the same plan this part alone was not measured",
                     remedy, numbers=numbers)
    if comparison is None:
        verdict = LIKELY if worst >= Severity.FAIL else INCONCLUSIVE
        reason = f"flagged at {worst}; no baseline measured what fixing it gains"
        return Cause(cause, experiment, effect, verdict, reason, remedy, numbers=numbers)
    return Cause(cause, experiment, effect, INCONCLUSIVE,
                 "flagged, but the fixed data does not train clearly better on the clean reference "
                 f"(baseline verdict: {code})", remedy, numbers=numbers)


def _attribution_of(cause: str, baseline: BaselineResult | None) -> FamilyRun | None:
    """The ``--attribute`` run of this cause's fixes alone, when it trained (see audit.training.attribution)."""
    attribution = baseline.attribution if baseline is not None else None
    family = ATTRIBUTION_FAMILY.get(cause)
    if attribution is None or not attribution.ran or family is None:
        return None
    entry = attribution.family(family)
    return entry if entry is not None and entry.ran else None


def _attributed(cause: str, experiment: str, effect: str, remedy: str, numbers: dict[str, Any],
                run: FamilyRun) -> Cause:
    """Judge a data cause by the run that applied its fixes alone: no other fix shares the gain."""
    measured = run.effect
    drop = measured.reference_loss_drop_relative
    numbers = {**numbers, "attribution": {
        "reference_loss": measured.reference_loss, "reference_loss_raw": measured.reference_loss_raw,
        "reference_loss_drop": measured.reference_loss_drop, "reference_loss_drop_relative": drop}}
    said = (f"fixing them alone took the clean reference loss from {fmt(measured.reference_loss_raw)} to "
            f"{fmt(measured.reference_loss)}")
    if drop is not None and drop >= DATA_LIKELY_GAIN and measured.reference_loss_drop_beyond_spread:
        verdict, reason = LIKELY, f"{said} ({percent(drop)} lower, beyond the seed spread)"
    elif drop is None or drop < DATA_UNLIKELY_GAIN:
        verdict, reason = UNLIKELY, f"flagged, but {said}: under {percent(DATA_UNLIKELY_GAIN)} lower"
        remedy = "fixing them is cheap and harmless, but it is not why the val loss stalls"
    else:
        verdict, reason = INCONCLUSIVE, f"{said}: lower, but not clearly beyond the seed spread"
    return Cause(cause, experiment + "; the --attribute run of these fixes alone", effect, verdict, reason,
                 remedy, numbers=numbers)


def _finding_counts(findings: list[Finding]) -> dict[str, str]:
    counts: dict[str, str] = {}
    for f in findings:
        split = f.metrics.get("split")
        key = f"{f.code}:{split}" if split else f.code
        n = len(f.rows) or f.metrics.get("n_rows") or len(f.columns)
        fraction = f.metrics.get("fraction")
        text = f"{f.code}{f' ({split})' if split else ''}: {n} rows" if n else f.code
        if isinstance(fraction, (int, float)):
            text += f" ({100 * fraction:.1f}%)"
        if f.code == "class_imbalance" and f.metrics.get("imbalance_ratio"):
            text = f"class_imbalance ({split or 'train'}): {f.metrics['imbalance_ratio']:.1f}x"
        counts[key] = f"{text} [{f.severity}]"
    return counts


def _baseline_effect(comparison: Comparison | None) -> str:
    if comparison is None:
        return ""
    reference, relative = comparison.reference_loss, comparison.reference_loss_drop_relative
    if reference.raw is None or reference.fixed is None:
        return ""
    return (f"the fixes took the reference loss from {fmt(reference.raw)} to {fmt(reference.fixed)} "
            f"({percent(-(relative or 0))}, drop {pm(comparison.reference_loss_drop)})")
