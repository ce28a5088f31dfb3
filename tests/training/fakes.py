"""Typed training results built by hand, for the tests of the verdict rules and of the renderers.

Real results come from real training (tests/training/test_baseline.py and
test_diagnose.py); these stand in where a test needs chosen numbers: a verdict rule just
below and just above its threshold, or a renderer shown a stall at a given epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from audit.training.baseline import SEED_NUMBERS
from audit.training.curves import CurveBand
from audit.training.diagnose.results import CAUSES, Budget, Cause, Diagnosis, LearningCurve, Network
from audit.training.inputs import BaselineSettings
from audit.training.numbers import Spread
from audit.training.results import BaselineResult, PriorLoss, RunSummary, Verdict
from audit.training.verdict import compare, verdict


def alike(numbers: Mapping[str, float | None], seeds: int = 3) -> list[dict[str, Any]]:
    """Per-seed numbers, the same for every seed."""
    return [{"seed": k, **{name: numbers.get(name) for name in SEED_NUMBERS}} for k in range(seeds)]


def spread(mean: float | None, std: float | None = 0.0, n: int = 3) -> Spread:
    return Spread(mean, std, mean, mean, n if mean is not None else 0)


def band(mean: Sequence[float | None], std: Sequence[float | None] = ()) -> CurveBand:
    std = tuple(std) or tuple(0.0 for _ in mean)
    return CurveBand(tuple(mean), std, tuple(mean), tuple(mean))


def fake_run(per_seed: Sequence[Mapping[str, Any]] | None = None, *, summary: Mapping[str, Spread] | None = None,
             curves: Mapping[str, CurveBand] | None = None, train_rows: int = 500, val_rows: int = 200,
             reference_rows: int = 200, reused_raw: bool = False, prior: float = 1.6) -> RunSummary:
    """A run summary: the spread of ``per_seed`` (three seeds of nothing by default; a number a seed does not
    give is None), ``summary`` laid over it."""
    per_seed = tuple({"seed": k, **dict.fromkeys(SEED_NUMBERS), **seed}
                     for k, seed in enumerate(per_seed if per_seed is not None else alike({})))
    spreads = {name: Spread.of([s.get(name) for s in per_seed]) for name in SEED_NUMBERS}
    spreads.update(summary or {})
    return RunSummary(train_rows=train_rows, val_rows=val_rows, reference_rows=reference_rows, n_inputs=8,
                      class_weight=None, curves=dict(curves or {}), per_seed=per_seed, summary=spreads,
                      dummy=PriorLoss(prior, prior), duration_s=1.0, reused_raw=reused_raw)


def fake_baseline(raw: RunSummary, fixed: RunSummary, judged: Verdict | None = None, *, epochs: int = 30,
                  **changes: Any) -> BaselineResult:
    """A trained baseline of these two runs: compared as the baseline compares, judged as given (or by the rules)."""
    comparison = compare(raw, fixed)
    result = BaselineResult(settings=BaselineSettings(epochs=epochs), classes=(0, 1, 2), batch_size=32, raw=raw,
                            fixed=fixed, comparison=comparison, verdict=judged or verdict(comparison),
                            environment={}, duration_s=12.0, estimated_s=10.0)
    return replace(result, **changes)


def fake_diagnosis(payload: str = "") -> Diagnosis:
    """A diagnosis with ``payload`` in every text it shows: capacity likely, every other cause unlikely."""
    causes = tuple(Cause(cause, "exp" + payload, "eff" + payload, "likely" if cause == "capacity" else "unlikely",
                         "why" + payload, "do" + payload, "model = keras.Sequential([])  # " + payload)
                   for cause, _ in CAUSES)
    nothing = Spread()
    curve = LearningCurve(fractions=(0.25, 0.5, 0.75, 1.0), train_rows=(30, 60, 90, 120),
                          variants=("data_25", "data_50", "data_75", "base"),
                          best_val_loss=tuple(spread(m, 0.01) for m in (0.5, 0.38, 0.33, 0.3)), slope=nothing,
                          intercept=nothing, fitted_doubling_gain=nothing, first_doubling_gain=nothing,
                          last_doubling_gain=nothing, doubling_gain=Spread(0.05, 0.01, 0.04, 0.06, 3),
                          predicted_rows=240, predicted_loss=0.25)
    budget = Budget(budget_s=60.0, estimated_s=30.0, seeds=3, epochs=40, epochs_run=40, train_rows=120,
                    train_rows_available=120, val_rows=60, val_rows_available=60, variants=13,
                    cuts=("seeds 3 -> 2" + payload,), stopped_by_deadline=False, training_s=20.0, training_cpu_s=30.0)
    return Diagnosis(causes=causes, network=Network("default" + payload, (128,), 0.5, 1e-3, 32, 32), budget=budget,
                     notes=("note" + payload,), patience=5, classes=(0, 1, 2), prior_val_loss=1.1,
                     learning_curve=curve, experiments={}, environment={}, duration_s=21.0)
