"""The model the executors score every row with: sized as on one machine, replaced when scoring is over budget."""

from __future__ import annotations

from audit.spark.scoring_budget import SCORING_BUDGET_S, for_executors
from checks.oof_models import CandidateScore, ModelChoice, estimated_seconds, sized_to_budget

RANKED = (CandidateScore("average", 0.10, 0.30, 50.0), CandidateScore("extra_trees_300", 0.11, 0.31, 20.0),
          CandidateScore("hist_gradient_boosting", 0.12, 0.32, 10.0),
          CandidateScore("logistic_regression", 0.15, 0.40, 1.0))
CHOICE = ModelChoice("average", 5000, RANKED)
FEATURES, CLASSES, FOLDS = 27, 3, 5


def test_few_rows_to_score_keep_the_winner_sized_as_on_one_machine():
    choice, notes = for_executors(CHOICE, 200_000, 40_000, FEATURES, CLASSES, FOLDS)
    assert choice.model == "average" and notes == []
    assert (choice.n_estimators, choice.n_fit_rows) == sized_to_budget("average", 200_000, 40_000, FEATURES,
                                                                        CLASSES, FOLDS)
    assert choice.candidates == RANKED


def test_millions_of_rows_to_score_go_to_the_first_ranked_candidate_whose_scoring_fits():
    n_scored = 11_800_000
    choice, notes = for_executors(CHOICE, 200_000, n_scored, FEATURES, CLASSES, FOLDS)
    over = [c.model for c in RANKED[:RANKED.index(next(c for c in RANKED if c.model == choice.model))]]
    assert over and choice.model != "average"
    for name in over:  # every better-ranked candidate would have cost more than the budget
        trees, _ = sized_to_budget(name, 200_000, n_scored, FEATURES, CLASSES, FOLDS)
        assert estimated_seconds(name, 0, n_scored, FEATURES, CLASSES, FOLDS, trees) > SCORING_BUDGET_S
    assert estimated_seconds(choice.model, 0, n_scored, FEATURES, CLASSES, FOLDS,
                             choice.n_estimators) <= SCORING_BUDGET_S
    assert len(notes) == 1 and "average" in notes[0] and choice.model.replace("_", " ") in notes[0]


def test_when_no_candidate_fits_the_cheapest_to_score_is_used_and_said_so():
    choice, notes = for_executors(CHOICE, 200_000, 10 ** 10, FEATURES, CLASSES, FOLDS)
    assert choice.model == "logistic_regression"
    assert "the cheapest candidate to score" in notes[0]
