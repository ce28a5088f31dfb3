"""How large a model the executors can afford to apply to every row.

On one machine :func:`checks.oof.choose_model` sizes the chosen model (trees, fitted rows)
to :data:`~checks.oof_models.FIT_BUDGET_S`, counting the rows its fold models score besides
the ones they were fitted on. On Spark the folds are fitted on the driver's sample and every
other row is scored on the executors, so the same sizing is applied here with the same count
(every train row outside the sample and every val row), and the driver fits no more rows
than the pandas engine would.

Scoring is the part that grows with the data: each row is scored by every fold model, and
the average of four candidates is four models a fold. At millions of rows that alone can
cost many times the fits, whatever the sizing. When the chosen model's estimated scoring
exceeds :data:`SCORING_BUDGET_S`, the first candidate in the selection's ranking whose
scoring fits scores the rows instead (the cheapest one if none does), and a note says so. The
estimates depend on the row counts only, so the same data gets the same model.
"""

from __future__ import annotations

from dataclasses import replace

from checks.oof_models import ModelChoice, estimated_seconds, sized_to_budget

# Estimated seconds on two cores (the unit of checks.oof_models.COST) for scoring every row
# outside the fitted sample with every fold model.
SCORING_BUDGET_S = 120.0


def for_executors(choice: ModelChoice, n_sample: int, n_scored: int, n_features: int, n_classes: int,
                  folds: int) -> tuple[ModelChoice, list[str]]:
    """The model (sized as on one machine) the executors score ``n_scored`` rows with, and the
    notes that explain a replacement."""
    def sized(name: str) -> tuple[int | None, int, float]:
        trees, rows = sized_to_budget(name, n_sample, n_scored, n_features, n_classes, folds)
        return trees, rows, estimated_seconds(name, 0, n_scored, n_features, n_classes, folds, trees)

    ranked = [choice.model, *[c.model for c in choice.candidates if c.model != choice.model]]
    costs = {name: sized(name) for name in ranked}
    name = next((n for n in ranked if costs[n][2] <= SCORING_BUDGET_S), min(ranked, key=lambda n: costs[n][2]))
    trees, rows, _ = costs[name]
    notes = []
    if name != choice.model:
        why = ("the next candidate by the selection whose scoring fits" if costs[name][2] <= SCORING_BUDGET_S
               else "the cheapest candidate to score")
        notes.append(f"scoring the {n_scored} rows outside the fitted sample with every fold model of "
                     f"{choice.model.replace('_', ' ')} was estimated at {costs[choice.model][2]:.0f} s on two cores, "
                     f"over the {SCORING_BUDGET_S:.0f} s budget; {name.replace('_', ' ')}, {why} (estimated "
                     f"{costs[name][2]:.0f} s), was used instead")
    return replace(choice, model=name, n_estimators=trees, n_fit_rows=rows), notes
