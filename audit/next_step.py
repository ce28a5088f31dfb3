"""What to run next: the ``audit fix`` command for this run, and the remedies ranked by measured effect.

A report that ends on a verdict leaves the reader to work out the command and to guess which
remedy matters. The command repeats this run's inputs, roles and fix options, so the fixed
splits it writes are the ones the report measured. Remedies are the likely causes of the
diagnosis (or, without one, the fix families the attribution trained), each with the
relative loss improvement its experiment measured; the largest comes first. A gain the
learning curve predicts for twice the rows ranks after every measured one (it costs new
labels, the others a command), and a remedy nothing measured comes last.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.training.numbers import fmt
from checks import REGISTRY

if TYPE_CHECKING:
    from audit.report import AuditReport
    from audit.training.attribution import Attribution, FamilyRun
    from audit.training.diagnose.results import Cause, Diagnosis

IN_MEMORY = "DataFrame"
"""The source a split has when it was given as a DataFrame rather than a file."""
# The fix family behind each data cause of the diagnosis.
CAUSE_FAMILIES = {"label_noise": "labels", "duplicates": "duplicates", "leakage": "leakage"}
FAMILY_ACTIONS = {
    "labels": ("Noisy labels", "relabel or drop the flagged label rows (`audit fix` drops them; add --relabel to "
                               "give them the suggested label)"),
    "duplicates": ("Duplicates", "drop the repeated train rows (`audit fix`)"),
    "leakage": ("Leakage", "drop the leaked val rows (`audit fix`) and split by group or time"),
}


@dataclass(frozen=True)
class Remedy:
    """One thing to try, and what its experiment measured (``gain``: relative loss improvement;
    ``predicted``: extrapolated rather than measured)."""

    title: str
    action: str
    measured: str
    gain: float | None
    predicted: bool = False


@dataclass(frozen=True)
class NextStep:
    """The command that writes the fixed splits (None when the inputs were not files) and the ranked remedies."""

    command: str | None
    remedies: tuple[Remedy, ...]

    @property
    def first(self) -> Remedy | None:
        return self.remedies[0] if self.remedies else None


def next_step(report: AuditReport) -> NextStep:
    remedies = ranked(diagnosis_remedies(report) or attribution_remedies(report))
    return NextStep(fix_command(report), tuple(remedies))


def fix_command(report: AuditReport) -> str | None:
    """``audit fix`` with this run's inputs, roles, seed, output folder and fix options.

    None when the inputs were DataFrames (``report.fixed_train()`` gives the fixed split), the
    run was on Spark, which writes no fixed files, or the plan changes nothing.
    """
    data, settings = report.data, report.settings or {}
    train, val = data.sources.get("train"), data.sources.get("val")
    if not train or train == IN_MEMORY or settings.get("engine") == "spark":
        return None
    if report.fixes is not None and not report.fixes.changes_anything:
        return None
    split_column = settings.get("split_column")
    words = ["audit", "fix", "--train", train]
    if val and not split_column:
        words += ["--val", val]
    label = None if Path(train).is_dir() else data.label  # class folders name their labels
    flags = (("--split-column", split_column), ("--label", label), ("--id-column", data.id_column),
             ("--group-column", data.group_column), ("--time-column", data.time_column))
    words += [word for flag, value in flags if value for word in (flag, str(value))]
    for column in data.ignored:
        words += ["--ignore", str(column)]
    checks = settings.get("checks")
    if checks and set(checks) != set(REGISTRY):  # the plan fixes what these checks found
        words += ["--checks", ",".join(checks)]
    if settings.get("seed"):
        words += ["--seed", str(settings["seed"])]
    if settings.get("out"):
        words += ["--out", str(settings["out"])]
    options = report.fixes.options if report.fixes is not None else None
    if options is not None and options.relabel:
        words.append("--relabel")
    if options is not None and options.keep_majority:
        words.append("--keep-majority")
    if options is not None and options.include_info:
        words.append("--fix-info")
    return shlex.join(words)


def ranked(remedies: list[Remedy]) -> list[Remedy]:
    """Largest measured gain first, then predicted gains; unmeasured remedies last, in their given order."""
    return sorted(remedies, key=lambda r: (r.gain is None, r.predicted, -(r.gain or 0.0)))


def diagnosis_remedies(report: AuditReport) -> list[Remedy]:
    diagnosis = report.diagnosis
    if diagnosis is None or not diagnosis.ran:
        return []
    attribution = attribution_of(report)
    remedies = []
    for cause in diagnosis.causes:
        if cause.verdict != "likely":
            continue
        family = attribution.family(CAUSE_FAMILIES[cause.cause]) if attribution and cause.cause in CAUSE_FAMILIES \
            else None
        if family is not None and family.ran:
            measured, gain = family_effect(family)
        else:
            measured, gain = cause_effect(cause, diagnosis)
        remedies.append(Remedy(cause.title, cause.remedy, measured, gain, predicted=cause.cause == "too_little_data"))
    return remedies


def attribution_remedies(report: AuditReport) -> list[Remedy]:
    attribution = attribution_of(report)
    if attribution is None:
        return []
    remedies = []
    for family in attribution.families:
        if not family.ran or family.family not in FAMILY_ACTIONS:
            continue
        measured, gain = family_effect(family)
        if gain is not None and gain > 0:
            title, action = FAMILY_ACTIONS[family.family]
            remedies.append(Remedy(title, action, measured, gain))
    return remedies


def attribution_of(report: AuditReport) -> Attribution | None:
    baseline = report.baseline
    if baseline is None or not baseline.ran or baseline.attribution is None or not baseline.attribution.ran:
        return None
    return baseline.attribution


def family_effect(family: FamilyRun) -> tuple[str, float | None]:
    """Leakage fixes the yardstick (how much the leaked rows flattered the val loss); the others the loss."""
    effect = family.effect
    if family.family == "leakage":
        removed = effect.inflation_removed
        return (f"the leaked rows made the val loss look {removed:.0%} better than the clean reference loss",
                removed if removed > 0 else None)
    gain = effect.reference_loss_drop_relative
    return (f"alone it took the clean reference loss from {fmt(effect.reference_loss_raw)} to "
            f"{fmt(effect.reference_loss)}" + (f" ({-gain:+.0%})" if gain is not None else ""), gain)


def imbalance_effect(cause: Cause) -> tuple[str, float | None]:
    """What the class-imbalance remedy measured: the drop of the minority classes' val loss (its yardstick;
    weighting the classes raises the overall val loss by design). Not ranked when the baseline already
    trains that way (the remedy is to keep it, nothing to try)."""
    numbers = cause.numbers
    judged = numbers.get("judged", {}).get(numbers.get("remedy_arm") or "", None)
    scale = numbers.get("minority_loss_unweighted")
    if judged is None or not scale or judged["minority_loss_drop"].mean is None:
        return "", None
    gain = judged["minority_loss_drop"].mean / scale
    said = f"{numbers['remedy_label']} lowered the minority classes' val loss by {gain:.0%}"
    return said, None if cause.remedy_variant is None else gain


def cause_effect(cause: Cause, diagnosis: Diagnosis) -> tuple[str, float | None]:
    """The gain a model cause's experiment measured: the learning curve's next doubling, or the winning variant."""
    curve = diagnosis.learning_curve
    if cause.cause == "too_little_data" and curve is not None and curve.predicted_loss is not None:
        now = curve.best_val_loss[-1].mean
        if now:
            gain = (now - curve.predicted_loss) / now
            return (f"doubling to {curve.predicted_rows} rows predicts a best val loss of "
                    f"{fmt(curve.predicted_loss)}, from {fmt(now)} ({-gain:+.0%})", gain)
    if cause.cause == "imbalance":
        return imbalance_effect(cause)
    variant = diagnosis.experiments.get(cause.remedy_variant) if cause.remedy_variant else None
    base = diagnosis.experiments.get("base")
    if variant is not None and variant.effect is not None and base is not None:
        change, best = variant.effect.get("best_val_loss"), base.summary.get("best_val_loss")
        if change is not None and change.mean is not None and best is not None and best.mean:
            gain = change.mean / best.mean
            return f"the {variant.label} variant lowered the best val loss by {gain:.0%}", gain
    return "", None
