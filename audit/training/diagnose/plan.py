"""The experiments the diagnosis trains, and the plan that fits them in the time budget.

Every variant is trained for the baseline's epoch budget from ``seeds`` initialisations,
all of them side by side in ONE packed model (:mod:`audit.training.diagnose.packed`):

* ``base``: the baseline network (``default``: Dense(128, relu), Dropout(0.5); ``wide``:
  two Dense(512, relu), no dropout) with Adam at 1e-3 and balanced class weights when the
  classes are 3x apart, as the baseline trains it. A model file cannot be varied: its
  diagnosis varies the ``default`` network and says so.
* too little data: ``base`` on 25, 50 and 75 % of the train rows (nested, stratified by
  class, drawn anew for every seed), scored on the same validation rows.
* capacity: every hidden layer at half and at double width.
* regularisation: the other dropout (0 when the base has dropout, 0.5 when not), and L2
  penalties of 1e-4 and 1e-3 on every kernel on top of the base.
* learning rate: a warm start (2 epochs rising to the base rate) then exponential decay to
  a tenth of it by the last epoch; reduce-on-plateau (x0.2 after ``max(2, patience // 2)``
  epochs without a new best val loss, as Keras' ReduceLROnPlateau); constant rates of 1/3
  and 3 times the base rate.
* class imbalance, only when a class_imbalance (train), label_shift or unseen_labels
  finding is at warn or above: the base without class weights, with balanced class weights,
  and on a class-balanced resample of the train rows (one draw with replacement a seed,
  every class to an equal share; as a row weight, so it takes the same steps). The base
  itself is one of the first two (it weights the classes when they are 3x apart).
* early stopping and overfitting: no training; the ``base`` curves read the way Keras'
  EarlyStopping with the configured patience reads them.
* data causes (noisy labels, duplicates, leakage): no training; the findings and the
  baseline's raw-vs-fixed comparison.

The time budget picks the plan before training, from the cost model
(:func:`audit.training.cost.packed_seconds`), within ``PLAN_SHARE`` (70 %) of the budget:
optional variants (L2 1e-4, the constant 1/3 and 3x rates) go first, then seeds (3 to 2),
then a stratified sample of the train rows (down to 500), then epochs (down to 15);
``budget.cuts`` lists what went. A deadline stops training at the budget regardless, and
the result says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from audit.training.cost import packed_seconds
from audit.training.networks import weight_count

DEFAULT_BUDGET_S = 60.0
PLAN_SHARE = 0.7
SEEDS = 3
MIN_SEEDS = 2
FRACTIONS = (0.25, 0.5, 0.75)
MIN_SAMPLE_ROWS = 500
MAX_VAL_ROWS = 5_000
MAX_EVAL_TRAIN_ROWS = 5_000
MIN_EPOCHS = 15

BASE_LEARNING_RATE = 1e-3
ALT_DROPOUT = 0.5
L2_STRENGTHS = (1e-4, 1e-3)
LR_FACTORS = (1 / 3, 3.0)
WARMUP_EPOCHS = 2
DECAY_TO = 0.1
PLATEAU_FACTOR = 0.2
AUTO_WEIGHTS = "auto"
UNWEIGHTED, WEIGHTED, RESAMPLED = "imbalance_unweighted", "imbalance_weighted", "imbalance_resampled"


@dataclass(frozen=True)
class DiagnoseSettings:
    """How much to spend on the diagnosis.

    ``budget_s`` bounds the wall time of training (the plan is made to fit it, and a
    deadline enforces it). ``epochs``, ``patience``, ``model`` and ``batch_size`` default
    to the baseline's, so the experiments vary one thing at a time from what it trained.
    """

    budget_s: float = DEFAULT_BUDGET_S
    seeds: int = SEEDS
    epochs: int | None = None
    patience: int | None = None
    model: str | None = None
    batch_size: int | None = None
    random_state: int = 0
    settle: bool = True
    """Train every experiment again for longer (up to 4x the epochs, within the budget) when the base
    was still improving at its last epoch, before judging the other causes."""


@dataclass(frozen=True)
class Variant:
    """One configuration of the network: what the experiment changed from the base."""

    name: str
    experiment: str
    label: str
    widths: tuple[int, ...]
    dropout: float
    l2: float = 0.0
    lr_mode: str = "constant"  # constant | decay | plateau
    lr_factor: float = 1.0
    fraction: float = 1.0
    weighting: str = AUTO_WEIGHTS  # auto (balanced when 3x apart) | none | balanced | resample
    optional: bool = False

    def config(self) -> dict:
        return {"widths": list(self.widths), "dropout": self.dropout, "l2": self.l2, "lr_mode": self.lr_mode,
                "lr_factor": self.lr_factor, "train_fraction": self.fraction, "class_weighting": self.weighting}


@dataclass(frozen=True)
class Plan:
    """What the budget allows: seeds, rows, epochs, variants, and what had to go."""

    seeds: int
    train_rows: int
    val_rows: int
    epochs: int
    variants: tuple[Variant, ...]
    estimated_s: float
    cuts: tuple[str, ...] = ()


@dataclass(frozen=True)
class BaseSetup:
    """What every experiment starts from: the base network, how it trains, and the data's classes.

    ``prior_val_loss`` is the val loss of predicting the train class shares (the floor a
    network must beat); ``class_weight`` the balanced weights by class code, or None.
    """

    patience: int
    epochs: int
    batch_size: int
    n_features: int
    n_classes: int
    classes: tuple[Any, ...]
    widths: tuple[int, ...]
    dropout: float
    prior_val_loss: float | None
    class_weight: Mapping[int, float] | None
    balanced_weight: Mapping[int, float] | None = None
    """Balanced weights by class code whatever the ratio: the class-weight experiment's remedy."""
    minority_classes: tuple[int, ...] = ()
    """The class codes with fewer train rows than an even share, whose val loss judges imbalance."""


def estimate_seconds(n_train: int, n_val: int, n_features: int, n_classes: int, variants: Sequence[Variant],
                     seeds: int, epochs: int, batch_size: int, keras_loaded: bool = False) -> float:
    """Rough CPU seconds of training every variant and seed in one packed model on 2 cores."""
    weights = seeds * sum(weight_count(v.widths, n_features, n_classes) for v in variants)
    groups = len({(v.widths, v.l2 > 0) for v in variants})
    eval_rows = min(n_train, MAX_EVAL_TRAIN_ROWS) + n_val
    return packed_seconds(n_train, eval_rows, weights, groups, epochs, batch_size, keras_loaded)


def plan_budget(n_train: int, n_val: int, n_features: int, n_classes: int, widths: tuple[int, ...],
                dropout: float, budget_s: float, *, seeds: int = SEEDS, epochs: int = 40, batch_size: int = 32,
                keras_loaded: bool = False, imbalance: bool = False, base_weighted: bool = False) -> Plan | None:
    """The largest plan whose estimate fits the budget, cutting in a fixed order; None if none does.

    Order of cuts: optional variants, then seeds (down to 2), then train rows (a
    stratified sample, down to 500), then epochs (down to 15). ``imbalance`` adds the
    class-imbalance arms (``base_weighted``: the base already weights the classes).
    """
    variants = build_variants(widths, dropout, imbalance=imbalance, base_weighted=base_weighted)

    target = PLAN_SHARE * budget_s

    def cost(vs: Sequence[Variant], s: int, rows: int, e: int) -> float:
        return estimate_seconds(rows, n_val, n_features, n_classes, vs, s, e, batch_size, keras_loaded)

    cuts: list[str] = []
    chosen = list(variants)
    if cost(chosen, seeds, n_train, epochs) > target:
        dropped = [v for v in chosen if v.optional]
        chosen = [v for v in chosen if not v.optional]
        cuts.append("variants " + ", ".join(v.name for v in dropped))
    if cost(chosen, seeds, n_train, epochs) > target and seeds > MIN_SEEDS:
        cuts.append(f"seeds {seeds} -> {MIN_SEEDS}")
        seeds = MIN_SEEDS
    rows = n_train
    if cost(chosen, seeds, rows, epochs) > target and n_train > MIN_SAMPLE_ROWS:
        low, high = MIN_SAMPLE_ROWS, n_train
        while high - low > max(50, n_train // 100):
            middle = (low + high) // 2
            low, high = (middle, high) if cost(chosen, seeds, middle, epochs) <= target else (low, middle)
        rows = low
        cuts.append(f"train rows {n_train} -> a stratified sample of {rows}")
    if cost(chosen, seeds, rows, epochs) > target and epochs > MIN_EPOCHS:
        fitted = epochs
        while fitted > MIN_EPOCHS and cost(chosen, seeds, rows, fitted) > target:
            fitted -= 1
        cuts.append(f"epochs {epochs} -> {fitted}")
        epochs = fitted
    estimate = cost(chosen, seeds, rows, epochs)
    if estimate > target:
        return None
    return Plan(seeds, rows, n_val, epochs, tuple(chosen), estimate, tuple(cuts))


def build_variants(widths: tuple[int, ...], dropout: float, *, imbalance: bool = False,
                   base_weighted: bool = False) -> tuple[Variant, ...]:
    """Every configuration the experiments train, base first; the imbalance arms when asked for."""
    base = Variant("base", "base", "base network", widths, dropout)
    half = tuple(max(w // 2, 2) for w in widths)
    double = tuple(2 * w for w in widths)
    other_dropout = 0.0 if dropout > 0 else ALT_DROPOUT
    variants = [base]
    variants += [replace(base, name=f"data_{round(100 * f)}", experiment="too_little_data",
                         label=f"{100 * f:.0f}% of the train rows", fraction=f) for f in FRACTIONS]
    variants += [
        replace(base, name="width_half", experiment="capacity", label=f"half width ({widths_text(half)})",
                widths=half),
        replace(base, name="width_double", experiment="capacity", label=f"double width ({widths_text(double)})",
                widths=double),
        replace(base, name=f"dropout_{other_dropout:g}", experiment="regularisation",
                label=f"dropout {other_dropout:g}", dropout=other_dropout),
    ]
    variants += [replace(base, name=f"l2_{strength:g}", experiment="regularisation", label=f"L2 {strength:g}",
                         l2=strength, optional=strength != L2_STRENGTHS[-1]) for strength in L2_STRENGTHS]
    variants += [
        replace(base, name="lr_decay", experiment="learning_rate",
                label=f"warm start + exponential decay to {DECAY_TO:g}x", lr_mode="decay"),
        replace(base, name="lr_plateau", experiment="learning_rate",
                label=f"reduce on plateau (x{PLATEAU_FACTOR:g})", lr_mode="plateau"),
    ]
    variants += [replace(base, name=f"lr_x{factor:.2g}", experiment="learning_rate",
                         label=f"constant {factor * BASE_LEARNING_RATE:.2g}", lr_factor=factor, optional=True)
                 for factor in LR_FACTORS]
    if imbalance:
        other = (replace(base, name=UNWEIGHTED, experiment="imbalance", label="no class weights", weighting="none")
                 if base_weighted else
                 replace(base, name=WEIGHTED, experiment="imbalance", label="balanced class weights",
                         weighting="balanced"))
        variants += [other, replace(base, name=RESAMPLED, experiment="imbalance",
                                    label="class-balanced resample of the train rows", weighting="resample")]
    return tuple(variants)


def widths_text(widths: Sequence[int]) -> str:
    return " + ".join(str(w) for w in widths) + " units"


def plateau_patience(patience: int) -> int:
    """Reduce-on-plateau waits half the early-stopping patience (at least 2), so it acts first."""
    return max(2, patience // 2)
