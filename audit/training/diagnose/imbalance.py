"""Class imbalance as a tested cause: the same network with and without class weights, and on a
class-balanced resample of the train rows, judged on the minority classes.

The experiment runs only when a class_imbalance (train), label_shift or unseen_labels finding
is at warn or above (:mod:`audit.training.diagnose.plan` adds its arms). Per seed, each arm's
lowest val loss over the rows of the minority classes (fewer train rows than an even share)
and its highest balanced accuracy (mean per-class recall) are compared with the unweighted
arm's, seed by seed. The overall val loss is not the yardstick: weighting the classes moves
the predicted shares away from the train priors, which costs log loss on the majority rows
by design.

* likely: an arm lowers the minority loss by the size that matters (10 % of the unweighted
  arm's, at least 0.01 nats) beyond ``SPREAD_FACTOR`` seed std without lowering the balanced
  accuracy clearly, or raises the balanced accuracy by at least ``MIN_BALANCED_GAIN`` (2
  points) beyond the spread without raising the minority loss clearly. The remedy is that
  arm (class weights first when both help), with its snippet.
* unlikely: no arm's effect on either number is favourable at that size.
* inconclusive otherwise (a favourable effect within the seed spread), or when the arms were
  not trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.training.diagnose.experiments import paired
from audit.training.diagnose.model_causes import change, effect_threshold
from audit.training.diagnose.plan import RESAMPLED, UNWEIGHTED, WEIGHTED, BaseSetup
from audit.training.diagnose.results import INCONCLUSIVE, LIKELY, UNLIKELY, Cause, Experiment
from audit.training.diagnose.snippets import snippet
from audit.training.encoding import json_label
from audit.training.numbers import fmt, pm
from audit.training.verdict import SPREAD_FACTOR

MIN_BALANCED_GAIN = 0.02
EXPERIMENT = ("the base network without class weights, with balanced class weights, and on a class-balanced "
              "resample of the train rows; judged on the minority classes' val loss and the balanced accuracy")
UNFAVOURABLE = ("small", "hurts", "noise")


def judge_imbalance(findings_effect: str, why: str, numbers: dict[str, Any], setup: BaseSetup,
                     experiments: Mapping[str, Experiment]) -> Cause:
    """The imbalance row from its experiment; ``why`` says what the findings flagged."""
    arms = _arms(experiments, setup)
    if arms is None:
        return Cause("imbalance", EXPERIMENT, findings_effect + "; not measured", INCONCLUSIVE,
                     f"{why}; the class-weight experiment was not trained", "raise --diagnose-budget",
                     numbers=numbers)
    unweighted, treated = arms
    scale = unweighted.summary["best_minority_loss"].mean
    judged: dict[str, dict[str, Any]] = {}
    for name, arm in treated.items():
        loss = paired(unweighted.per_seed, arm.per_seed, "best_minority_loss")  # positive: the arm is lower
        balanced = paired(unweighted.per_seed, arm.per_seed, "best_balanced_accuracy")  # positive: the arm is higher
        judged[name] = {"minority_loss_drop": loss, "minority_loss": change(loss, scale),
                        "balanced_accuracy_gain": balanced,
                        "balanced_accuracy": change(balanced, None, MIN_BALANCED_GAIN)}
    labels = {UNWEIGHTED: "no class weights", WEIGHTED: "balanced class weights",
              RESAMPLED: "a class-balanced resample of the train rows"}
    effect = findings_effect + "; " + "; ".join(
        f"{labels[name]}{' (the base)' if arm is experiments['base'] else ''}: minority val loss "
        f"{pm(arm.summary['best_minority_loss'])}, balanced accuracy {pm(arm.summary['best_balanced_accuracy'])}"
        for name, arm in ((UNWEIGHTED, unweighted), *treated.items()))
    numbers = {**numbers, "minority_classes": _minority_labels(setup), "minority_loss_unweighted": scale,
               "judged": judged,
               "threshold_minority_loss": effect_threshold(scale), "threshold_balanced_accuracy": MIN_BALANCED_GAIN}
    helping = [name for name, j in judged.items()
               if (j["minority_loss"] == "helps" and j["balanced_accuracy"] != "hurts")
               or (j["balanced_accuracy"] == "helps" and j["minority_loss"] != "hurts")]
    if helping:
        winner = helping[0]  # class weights come first: the cheaper remedy
        j = judged[winner]
        reason = (f"{why}; {labels[winner]} lowers the minority classes' val loss by {pm(j['minority_loss_drop'])} and "
                  f"changes the balanced accuracy by {pm(j['balanced_accuracy_gain'])} against no class weights "
                  f"(over {j['minority_loss_drop'].n} seeds; it takes {fmt(effect_threshold(scale))} of loss or "
                  f"{MIN_BALANCED_GAIN:g} of balanced accuracy, beyond {SPREAD_FACTOR:g} seed std)")
        if winner == RESAMPLED:
            remedy = "resample the train rows so that every class has an equal share"
            code = snippet(setup, resample=True)
        elif setup.class_weight:
            remedy = ("keep the balanced class weights the baseline trains with (below); a model without them does "
                      "worse on the minority classes")
            code = snippet(setup, class_weight=setup.balanced_weight)
        else:
            remedy = "pass balanced class weights to fit (the weights of the fixed train split below)"
            code = snippet(setup, class_weight=setup.balanced_weight)
        numbers = {**numbers, "remedy_arm": winner, "remedy_label": labels[winner]}
        # the remedy's variant, when it is one of its own (the base may be the weighted arm)
        variant = winner if winner in experiments else None
        return Cause("imbalance", EXPERIMENT, effect, LIKELY, reason, remedy, code, numbers, variant)
    if all(j["minority_loss"] in UNFAVOURABLE and j["balanced_accuracy"] in UNFAVOURABLE for j in judged.values()):
        return Cause("imbalance", EXPERIMENT, effect, UNLIKELY,
                     f"{why}, but neither class weights nor resampling lowers the minority classes' val loss by "
                     f"{fmt(effect_threshold(scale))} or raises the balanced accuracy by {MIN_BALANCED_GAIN:g} "
                     "beyond the seed spread", "the class shares are not what holds the model back",
                     numbers=numbers)
    return Cause("imbalance", EXPERIMENT, effect, INCONCLUSIVE,
                 f"{why}; an effect of the size that matters, but within {SPREAD_FACTOR:g} seed std",
                 "not settled: rerun with a larger budget (more seeds)", numbers=numbers)


def _arms(experiments: Mapping[str, Experiment], setup: BaseSetup) -> tuple[Experiment, dict[str, Experiment]] | None:
    """The unweighted arm, and the weighted and resampled arms by variant name; None when not trained."""
    base = experiments.get("base")
    resampled = experiments.get(RESAMPLED)
    if base is None or resampled is None:
        return None
    if setup.class_weight:  # the base weights the classes
        unweighted = experiments.get(UNWEIGHTED)
        weighted = base
    else:
        unweighted, weighted = base, experiments.get(WEIGHTED)
    if unweighted is None or weighted is None:
        return None
    return unweighted, {WEIGHTED: weighted, RESAMPLED: resampled}


def _minority_labels(setup: BaseSetup) -> list[Any]:
    return [json_label(setup.classes[code]) for code in setup.minority_classes]
