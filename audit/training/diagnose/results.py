"""The diagnosis's typed results: one row a cause, the experiments behind them, the whole diagnosis.

Renderers read these attributes; ``to_dict`` writes the JSON report's ``diagnosis`` section
(schema_version 1) exactly, key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from audit.training.numbers import Spread, jsonable
from audit.training.results import Skipped

LIKELY, UNLIKELY, INCONCLUSIVE = "likely", "unlikely", "inconclusive"

CAUSES = (
    ("overfitting", "Overfitting"),
    ("too_little_data", "Too little data"),
    ("capacity", "Model capacity"),
    ("regularisation", "Regularisation"),
    ("learning_rate", "Learning rate"),
    ("early_stopping", "Early stopping"),
    ("unconverged", "Unconverged training"),
    ("label_noise", "Noisy labels"),
    ("duplicates", "Duplicates"),
    ("leakage", "Leakage"),
    ("imbalance", "Class imbalance"),
)
# Tried for pictures only, where the row follows regularisation.
PICTURE_CAUSES = (("augmentation", "Augmentation"),)


def diagnosis_skipped(reason: str) -> Skipped:
    """The diagnosis did not run: no causes."""
    return Skipped(reason, {"causes": []})


@dataclass(frozen=True)
class Cause:
    """One cause of a stalling val loss: the experiment, its measured effect, the verdict and the remedy.

    ``verdict`` is likely, unlikely or inconclusive; ``snippet`` a pasteable Keras recipe of
    the remedy (or None), ``remedy_variant`` the experiment variant it comes from, and
    ``numbers`` the thresholds and measurements the verdict was read from.
    """

    cause: str
    experiment: str
    effect: str
    verdict: str
    reason: str
    remedy: str
    snippet: str | None = None
    numbers: Mapping[str, Any] = field(default_factory=dict)
    remedy_variant: str | None = None

    @property
    def title(self) -> str:
        return dict(CAUSES + PICTURE_CAUSES)[self.cause]

    def to_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "title": self.title, "experiment": self.experiment, "effect": self.effect,
                "verdict": self.verdict, "reason": self.reason, "remedy": self.remedy, "snippet": self.snippet,
                "remedy_variant": self.remedy_variant, "numbers": jsonable(dict(self.numbers))}


@dataclass(frozen=True)
class Experiment:
    """One variant's configuration, per-seed numbers and curves, their spread, and its effect against base.

    ``effect`` holds, per compared number, the per-seed difference base minus variant
    (positive: the variant is better); None for the base itself.
    """

    experiment: str
    label: str
    config: Mapping[str, Any]
    per_seed: tuple[Mapping[str, Any], ...]
    summary: Mapping[str, Spread]
    curves: Mapping[str, Mapping[str, list]]
    per_seed_curves: Mapping[str, list]
    effect: Mapping[str, Spread] | None = None

    def to_dict(self) -> dict[str, Any]:
        document = {"experiment": self.experiment, "label": self.label, "config": dict(self.config),
                    "per_seed": [dict(seed) for seed in self.per_seed], "summary": jsonable(self.summary),
                    "curves": jsonable(self.curves), "per_seed_curves": jsonable(self.per_seed_curves)}
        if self.effect is not None:
            document["effect"] = jsonable(self.effect)
        return document


@dataclass(frozen=True)
class LearningCurve:
    """Best val loss against train rows: the slope, the measured doublings and the next one predicted."""

    fractions: tuple[float, ...]
    train_rows: tuple[int, ...]
    variants: tuple[str, ...]
    best_val_loss: tuple[Spread, ...]
    slope: Spread
    intercept: Spread
    fitted_doubling_gain: Spread
    first_doubling_gain: Spread
    last_doubling_gain: Spread
    doubling_gain: Spread
    predicted_rows: int
    predicted_loss: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fractions": list(self.fractions),
            "train_rows": list(self.train_rows),
            "variants": list(self.variants),
            "best_val_loss": jsonable(self.best_val_loss),
            "fit": {"x": "ln(train rows)", "slope": self.slope.to_dict(), "intercept": self.intercept.to_dict()},
            "fitted_doubling_gain": self.fitted_doubling_gain.to_dict(),
            "first_doubling_gain": self.first_doubling_gain.to_dict(),
            "last_doubling_gain": self.last_doubling_gain.to_dict(),
            "doubling_gain": self.doubling_gain.to_dict(),
            "predicted_rows": self.predicted_rows,
            "predicted_loss": self.predicted_loss,
        }


@dataclass(frozen=True)
class Network:
    """The base network every experiment varies, and how it was trained."""

    model: str
    widths: tuple[int, ...]
    dropout: float
    learning_rate: float
    batch_size: int
    steps_per_execution: int
    optimizer: str = "adam"

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "widths": list(self.widths), "dropout": self.dropout,
                "learning_rate": self.learning_rate, "optimizer": self.optimizer, "batch_size": self.batch_size,
                "steps_per_execution": self.steps_per_execution}


@dataclass(frozen=True)
class Budget:
    """What the time budget allowed, what it cut, and what training took."""

    budget_s: float
    estimated_s: float
    seeds: int
    epochs: int
    epochs_run: int
    train_rows: int
    train_rows_available: int
    val_rows: int
    val_rows_available: int
    variants: int
    cuts: tuple[str, ...]
    stopped_by_deadline: bool
    training_s: float
    training_cpu_s: float
    first_epochs: int | None = None
    """The epochs of the first training; ``epochs`` is more when the base had not settled by then."""

    def to_dict(self) -> dict[str, Any]:
        return {name: jsonable(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Diagnosis:
    """Every cause of a stalling val loss, judged from small controlled experiments on the fixed data."""

    causes: tuple[Cause, ...]
    network: Network
    budget: Budget
    notes: tuple[str, ...]
    patience: int
    classes: tuple[Any, ...]
    prior_val_loss: float | None
    learning_curve: LearningCurve | None
    experiments: Mapping[str, Experiment]
    environment: Mapping[str, Any]
    duration_s: float
    ran: ClassVar[bool] = True
    status: ClassVar[str] = "ran"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "causes": [cause.to_dict() for cause in self.causes],
            "network": self.network.to_dict(),
            "budget": self.budget.to_dict(),
            "notes": list(self.notes),
            "patience": self.patience,
            "classes": list(self.classes),
            "prior_val_loss": self.prior_val_loss,
            "learning_curve": None if self.learning_curve is None else self.learning_curve.to_dict(),
            "experiments": {name: entry.to_dict() for name, entry in self.experiments.items()},
            "environment": dict(self.environment),
            "duration_s": self.duration_s,
        }
