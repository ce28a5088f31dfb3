"""The baseline's typed results: one run's summary, the comparison, the verdict, the whole result.

Renderers read these attributes; ``to_dict`` writes the JSON report's ``baseline`` section
(schema_version 1) exactly, key for key. A stage that did not run is a :class:`Skipped`
with its reason, for the baseline, its attribution and the diagnosis alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from audit.training.curves import CurveBand
from audit.training.fitting import STEPS_PER_EXECUTION
from audit.training.inputs import BaselineSettings
from audit.training.numbers import RawFixed, Spread, jsonable

if TYPE_CHECKING:
    from audit.training.attribution import Attribution


@dataclass(frozen=True)
class Skipped:
    """A stage that did not run, and why. ``empty`` holds the keys its JSON keeps, empty."""

    reason: str
    empty: Mapping[str, Any] = field(default_factory=dict)
    ran: ClassVar[bool] = False
    status: ClassVar[str] = "skipped"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, **self.empty}


def baseline_skipped(reason: str) -> Skipped:
    """The baseline (or its attribution) did not train: no verdict."""
    return Skipped(reason, {"verdict": None, "verdict_code": None})


@dataclass(frozen=True)
class PriorLoss:
    """Log-loss of predicting the train class shares, on val and on the reference set."""

    val_loss: float | None
    reference_loss: float | None
    strategy: str = "prior"

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "val_loss": self.val_loss, "reference_loss": self.reference_loss}


@dataclass(frozen=True)
class RunSummary:
    """One run (raw, fixed or a fix family's): sizes, curves, per-seed numbers and their spread."""

    train_rows: int
    val_rows: int
    reference_rows: int
    n_inputs: int
    class_weight: Mapping[str, float] | None
    curves: Mapping[str, CurveBand]
    per_seed: tuple[Mapping[str, Any], ...]
    summary: Mapping[str, Spread]
    dummy: PriorLoss
    duration_s: float
    stopped_by_time_budget: bool = False
    reused_raw: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "train_rows": self.train_rows,
            "val_rows": self.val_rows,
            "reference_rows": self.reference_rows,
            "n_inputs": self.n_inputs,
            "class_weight": None if self.class_weight is None else dict(self.class_weight),
            "curves": jsonable(self.curves),
            "per_seed": [dict(seed) for seed in self.per_seed],
            "summary": jsonable(self.summary),
            "dummy": self.dummy.to_dict(),
            "duration_s": self.duration_s,
            "stopped_by_time_budget": self.stopped_by_time_budget,
            "reused_raw": self.reused_raw,
        }


@dataclass(frozen=True)
class KeptOut:
    """The mean loss on the val rows left out of the reference set, at the best epoch and at the end."""

    at_best: float | None = None
    end: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"at_best": self.at_best, "end": self.end}


@dataclass(frozen=True)
class Comparison:
    """The numbers the verdict is made of, raw beside fixed, each with its seed spread."""

    reference_loss: RawFixed
    end_gap: RawFixed
    best_val_loss: RawFixed
    climb_after_stall: RawFixed
    stall_epoch: RawFixed
    reference_climb: RawFixed
    reference_end_gap: RawFixed
    reference_loss_end: RawFixed
    val_rows_kept_out_of_reference: int
    kept_out_rows_loss: KeptOut
    prior_val_loss: RawFixed
    fixes_changed_rows: bool
    reference_loss_drop: Spread
    reference_loss_drop_relative: float | None
    reference_loss_drop_beyond_spread: bool
    end_gap_drop: Spread
    raw_val_inflation: Spread
    raw_val_inflation_relative: float | None
    raw_val_inflation_beyond_spread: bool
    thresholds: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {name: jsonable(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Verdict:
    """Whom to blame (``code``: data, model, leakage or inconclusive) and why, with the numbers."""

    code: str
    text: str


@dataclass(frozen=True)
class SampledSplit:
    """How many rows of a split the network saw, of how many."""

    rows: int
    of_rows: int


@dataclass(frozen=True)
class TrainingSample:
    """How much of each split a baseline trained on a sample saw, and how the rows were chosen."""

    splits: Mapping[str, SampledSplit]
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {**{split: {"rows": s.rows, "of_rows": s.of_rows} for split, s in self.splits.items()},
                "how": self.how}


@dataclass(frozen=True)
class BaselineResult:
    """The baseline trained on the raw and on the fixed data, compared, with a verdict.

    ``estimated_s`` is what the cost model predicted before training, ``sample`` says which
    part of larger splits the network saw (None: all of them), ``attribution`` holds the
    runs of each fix family alone when they were asked for.
    """

    settings: BaselineSettings
    classes: tuple[Any, ...]
    batch_size: int
    raw: RunSummary
    fixed: RunSummary
    comparison: Comparison
    verdict: Verdict
    environment: Mapping[str, Any]
    duration_s: float
    estimated_s: float | None = None
    sample: TrainingSample | None = None
    attribution: Attribution | Skipped | None = None
    network: Mapping[str, Any] | None = None
    """The built-in network on pictures (:func:`audit.training.conv.describe`), else None."""
    ran: ClassVar[bool] = True
    status: ClassVar[str] = "ran"

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"status": self.status}
        if self.estimated_s is not None:
            document["estimated_s"] = self.estimated_s
        if self.sample is not None:
            document["sample"] = self.sample.to_dict()
        document.update({
            "settings": asdict(self.settings),
            **({"network": dict(self.network)} if self.network is not None else {}),
            "classes": list(self.classes),
            "batch_size": self.batch_size,
            "steps_per_execution": STEPS_PER_EXECUTION,
            "seeds": list(range(self.settings.seeds)),
            "raw": self.raw.to_dict(),
            "fixed": self.fixed.to_dict(),
            "comparison": self.comparison.to_dict(),
            "verdict": self.verdict.text,
            "verdict_code": self.verdict.code,
            "environment": dict(self.environment),
            "duration_s": self.duration_s,
        })
        if self.attribution is not None:
            document["attribution"] = self.attribution.to_dict()
        return document
