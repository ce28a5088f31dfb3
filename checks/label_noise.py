"""Noisy labels: rows whose label out-of-sample predictions contradict (confident learning)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from checks.base import AuditData, Check, Finding, Severity, agree, counted, fraction, register, row_evidence
from checks.features import model_inputs
from checks.images.table import PictureInputs
from checks.label_evidence import Evidence, level, measure
from checks.text.columns import text_columns
from checks.text.model import table_out_of_fold
from checks.oof import (
    DEFAULT_MAX_FIT_ROWS,
    DEFAULT_MODEL,
    OutOfFold,
    min_int,
    model_choice,
    out_of_fold_probabilities,
)
from checks.oof_models import SELECTION_ROWS

# A row is flagged when both of cleanlab's rules agree (off the confident joint's diagonal and
# among the lowest self-confidence of its noise-rate estimate): on a 5,000-row pair of
# bench/hard_cases.py (label_noise_pair) it raised train F1 by up to 0.03 over cleanlab's
# default (prune_by_noise_rate) and by 0.04 to 0.1 over the confident joint alone, for every model.
FILTER = "both"
# Embeddings of pictures (the user's or a pretrained network's) are learned so that classes lie
# apart along directions: a logistic regression on them (a linear probe) is the usual model, and
# it fits in a small fraction of the time ``auto`` spends choosing among forests. With few
# train rows per number of the embedding it overfits: on planted 128-number vectors whose class
# sits in one number, label-issue F1 0.37 at 800 train rows (extra trees 0.88) and 0.54 at
# 1,600, 0.87 at 8,000. Below ``EMBEDDING_ROWS_PER_NUMBER`` rows a number, or below the rows
# ``auto`` tries its candidates on (where its choice costs least), ``auto`` chooses as for any table.
EMBEDDING_MODEL = "logistic_regression"
EMBEDDING_ROWS_PER_NUMBER = 50


@dataclass(frozen=True)
class SplitIssues:
    """One split's judged rows: what its ``label_issues`` finding states.

    ``rows`` are the flagged data-row numbers, worst ``quality`` (the given label's
    probability) first, each with its given and suggested label; the counts describe the
    whole split.
    """

    split: str
    n_rows: int
    n_scored: int
    n_unseen: int
    accuracy: float | None
    rows: np.ndarray
    given_labels: np.ndarray
    suggested_labels: np.ndarray
    quality: np.ndarray
    evidence: Evidence | None = None


@register
class LabelIssues(Check):
    """Rows whose given label is probably wrong, with the label a model suggests instead.

    What it detects:
        ``label_issues``: per split, rows whose label disagrees with out-of-sample predicted
        probabilities, found by confident learning (cleanlab's ``find_label_issues``). Each
        flagged row carries its ``given_label``, the ``suggested_label`` (the most probable
        class other than the given one) and its ``label_quality`` (cleanlab's self-confidence
        score, 0 to 1, lowest first). Train rows get probabilities from stratified K-fold
        cross-validation of a scikit-learn model on the encoded features; val rows from the
        average of the fold models, which never saw them. Val labels are flagged for review,
        never changed. The severity follows the evidence as well as the flagged share
        (:mod:`checks.label_evidence`): a model unsure of many rows (few rows, overlapping
        classes) does not fail a finding, and when most flags sit between one pair of classes
        (or a chain of neighbouring pairs, as along an ordered scale of grades) the finding
        names them as class overlap, one level lower, rows still listed.
        Val rows whose label never occurs in train are left to
        ``unseen_labels``. Above ``max_fit_rows`` train rows the models are fitted on a seeded
        stratified sample and score every row; the metrics say so. A table with free-text
        columns is modelled by a logistic regression on the TF-IDF of their words, beside the
        other columns' encoded features (checks/text/model.py); ``model`` applies to tables
        without text. For pictures the model reads the user's embeddings, a pretrained
        network's, or colour features, beside which a small CNN trained on the pictures by
        cross-validation (outside the checks, within its time budget) competes as one more
        candidate of ``auto``; the message, ``picture_inputs`` and ``network`` in the metrics
        say which won (and why a preferred source was passed over), with the out-of-fold accuracy.

    Why it matters:
        A network fits wrong labels by memorising them: training loss keeps falling while
        validation loss stalls or rises. Wrong val labels cap the validation score itself, so
        a better model looks no better.

    How to fix:
        Review the flagged train rows, worst quality first, and relabel them to the suggested
        label or drop them; review flagged val rows by hand. Give better probabilities with
        ``--pred-probs`` (a ``.npy`` of shape train rows x classes, columns in the sorted order
        of the train labels, text order for labels read from CSV, so ``"10"`` before ``"2"``)
        when you have a stronger model than the audit's.

    Parameters:
        warn_at_fraction: share of a split's rows flagged (and of wrong labels the strong
            flags point to) at or above which the finding warns (below it, flagged rows are
            listed at info level: a clean split still has a few ambiguous rows).
        fail_at_fraction: the same share at or above which the finding fails.
        model: the scikit-learn model that produces the probabilities: ``auto`` (chosen per
            data set among extra trees, a random forest, gradient boosting, logistic regression
            and their average by their out-of-fold agreement with the labels, within a time
            budget; ``model_choice`` in the metrics says which won and why, see
            :mod:`checks.oof_models`; a logistic regression on pictures' embeddings when train
            has 5,000 rows and 50 a number of the embedding) or one of
            ``logistic_regression``, ``hist_gradient_boosting``, ``random_forest``,
            ``extra_trees``, ``knn``, ``extra_trees_300``, ``random_forest_200``, ``average``.
        n_folds: cross-validation folds (at least 2; fewer when a class has fewer rows).
        max_fit_rows: above this many train rows, fit on a stratified sample of this size.
    """

    name = "label_issues"
    codes = ("label_issues",)
    parameters = {
        "warn_at_fraction": fraction(),
        "fail_at_fraction": fraction(),
        "model": model_choice(),
        "n_folds": min_int(2),
        "max_fit_rows": min_int(100),
    }

    def __init__(self, warn_at_fraction=0.02, fail_at_fraction=0.05, model=DEFAULT_MODEL, n_folds=5,
                 max_fit_rows=DEFAULT_MAX_FIT_ROWS):
        self.warn_at_fraction = warn_at_fraction
        self.fail_at_fraction = fail_at_fraction
        self.model = model
        self.n_folds = n_folds
        self.max_fit_rows = max_fit_rows

    def run(self, data: AuditData) -> list[Finding]:
        if data.labels("train").nunique() < 2:
            return []
        inputs = model_inputs(data)
        texts = data.pred_probs is None and bool(text_columns(data))
        if data.pred_probs is None and not inputs.n_features and not texts:
            return [self.not_checked_finding(inputs.dropped)]
        if data.pred_probs is None and data.labels("train").value_counts().max() < 2:
            # Cross-validation needs a class with two rows: one to fit on while the other is held out.
            return [self.not_checked_finding(inputs.dropped, "every train class has a single row, so no row can "
                                                             "be held out and predicted by a model that saw its class")]
        if texts:
            oof = table_out_of_fold(data, self.n_folds, self.max_fit_rows)
        else:
            oof = out_of_fold_probabilities(data, self.model_for(data), self.n_folds, self.max_fit_rows)
        pictures = data.images.inputs if data.images is not None else None
        return [self.split_finding(split, oof, data.frames[split].index.to_numpy(), data.labels(split).to_numpy(),
                                   pictures)
                for split in data.splits if split in oof.pred_probs]

    def model_for(self, data: AuditData) -> str:
        """``model``, except that ``auto`` on enough rows of pictures' embeddings is a logistic regression."""
        if self.model != DEFAULT_MODEL or data.images is None or data.images.inputs.source == "built_in":
            return self.model
        width = data.images.tables["train"].model_inputs.shape[1]
        enough = len(data.frames["train"]) >= max(SELECTION_ROWS, EMBEDDING_ROWS_PER_NUMBER * width)
        return EMBEDDING_MODEL if enough else self.model

    # The findings from probabilities and row numbers alone, so every engine reports them alike.

    def split_finding(self, split: str, oof: OutOfFold, rows: np.ndarray, given_labels: np.ndarray,
                      pictures: PictureInputs | None = None) -> Finding:
        """Label issues of one split from its probabilities in ``oof``; ``rows`` and
        ``given_labels`` hold each probability row's data-row number and label; ``pictures``
        says what the model read of pictures, when the rows are pictures."""
        from cleanlab.filter import find_label_issues
        from cleanlab.rank import get_label_quality_scores

        codes = oof.labels[split]
        probs = oof.pred_probs[split]
        # Unseen labels (val) and classes with a single train row have no out-of-sample opinion.
        train_counts = np.bincount(oof.labels["train"], minlength=len(oof.classes))
        scored = np.flatnonzero((codes >= 0) & (train_counts[np.maximum(codes, 0)] >= 2))
        flagged = np.zeros(len(codes), dtype=bool)
        quality = np.full(len(codes), np.nan)
        if len(np.unique(codes[scored])) >= 2:
            with warnings.catch_warnings():  # a class with one row in this split: nothing to prune
                warnings.filterwarnings("ignore", message="May not flag all label issues")
                flagged[scored] = find_label_issues(codes[scored], probs[scored], filter_by=FILTER, n_jobs=1)
            quality[scored] = get_label_quality_scores(codes[scored], probs[scored])
        positions = np.flatnonzero(flagged)
        positions = positions[np.lexsort((positions, quality[positions]))]
        suggested = suggested_classes(probs, codes)
        accuracy = float((probs[scored].argmax(axis=1) == codes[scored]).mean()) if len(scored) else None
        issues = SplitIssues(split, len(codes), len(scored), int((codes < 0).sum()), accuracy,
                             np.asarray(rows)[positions], np.asarray(given_labels)[positions],
                             oof.classes[suggested[positions]], quality[positions],
                             measure(codes, probs, scored, flagged, suggested, oof.classes, train_counts))
        return self.issues_finding(issues, oof, train_counts, pictures)

    def issues_finding(self, issues: SplitIssues, oof: OutOfFold, train_counts: np.ndarray,
                       pictures: PictureInputs | None = None) -> Finding:
        """The finding for one split's judged rows; ``train_counts`` counts every train row per class.

        Whoever judged the rows (cleanlab on one machine, the same rule on Spark aggregates),
        message, severity, metrics and evidence are built here alike; without ``issues.evidence``
        the severity follows the flagged share alone.
        """
        split, n_rows, n_flagged = issues.split, issues.n_rows, len(issues.rows)
        share = n_flagged / n_rows
        by_share = level(share, self.warn_at_fraction, self.fail_at_fraction)
        severity, why = by_share, ""
        if issues.evidence is not None:
            severity, why = issues.evidence.severity(self.warn_at_fraction, self.fail_at_fraction)
        action = "relabel or drop them" if split == "train" else "review them (val labels are never changed)"
        source = describe_source(oof, split, int(train_counts.sum()), pictures, issues.accuracy)
        if n_flagged:
            message = (
                f"{split}: {n_flagged} of {counted(n_rows)} ({share:.2%}) {agree(n_flagged, 'have', 'has')} a label that out-of-sample "
                f"predictions contradict ({source}); {action}."
            )
        else:  # nothing to act on, so no action to name
            message = f"{split}: none of {counted(n_rows)} has a label that out-of-sample predictions contradict ({source})."
        overlap = issues.evidence.overlap if issues.evidence is not None else None
        if overlap is not None:
            if len(overlap.pairs) == 1:
                between = f"between {overlap.classes[0]!r} and {overlap.classes[1]!r}: class overlap (two neighbouring classes)"
            else:
                named = ", ".join(f"{a!r} / {b!r}" for a, b in overlap.pairs)
                between = f"between neighbouring classes ({named}): class overlap along a scale of classes"
            message += (f" {overlap.n_rows} of them ({overlap.share:.0%}) sit {between} rather than wrong rows, "
                        f"so the finding is one level lower.")
        if why:
            message += f" {str(severity).capitalize()}, not {by_share}: {why}."
        metrics = {
            "split": split,
            "n_rows": n_flagged,
            "fraction": share,
            "n_scored_rows": issues.n_scored,
            "n_unseen_label_rows": issues.n_unseen,
            "single_row_classes": [str(c) for c, n in zip(oof.classes, train_counts) if n == 1],
            "prediction_accuracy": issues.accuracy,
            "classes": [str(c) for c in oof.classes],
            "severity_by_share": str(by_share),
            **(issues.evidence.to_dict() if issues.evidence is not None else {}),
            **oof.describe(),
            **({"picture_inputs": pictures.to_dict()} if pictures is not None else {}),
        }
        evidence = row_evidence(split, np.asarray(issues.rows).tolist(), given_label=issues.given_labels,
                                suggested_label=issues.suggested_labels,
                                label_quality=np.round(np.asarray(issues.quality, dtype=float), 6))
        return Finding(code="label_issues", severity=severity, message=message, metrics=metrics, rows=evidence)

    @staticmethod
    def not_checked_finding(dropped: list[dict[str, str]], reason: str | None = None) -> Finding:
        """An info finding when labels could not be checked: no encodable column (the
        ``dropped`` columns with their reasons), or ``reason``."""
        if reason is None:
            reason = ("no feature column can be encoded for a model "
                      f"({', '.join(d['column'] + ': ' + d['reason'] for d in dropped[:3]) or 'none left'})")
        return Finding(
            code="label_issues",
            severity=Severity.INFO,
            message=f"Labels were not checked: {reason}.",
            metrics={"split": "train", "n_rows": 0, "fraction": 0.0, "n_scored_rows": 0,
                     "dropped_columns": dropped},
        )


def suggested_classes(probs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The most probable class other than the given one (the argmax for unseen labels)."""
    others = probs.copy()
    given = codes >= 0
    others[np.flatnonzero(given), codes[given]] = -np.inf
    return others.argmax(axis=1)


def describe_source(oof: OutOfFold, split: str, n_train: int, pictures: PictureInputs | None = None,
                    accuracy: float | None = None) -> str:
    """Where the probabilities came from; for pictures also what the model read, its accuracy
    out of fold, whether the pictures' network or a feature model won, and why a preferred
    source was passed over."""
    model = oof.model.replace("_", " ")
    if oof.source.get(split) == "given":
        return "probabilities given with --pred-probs"
    if split == "train":
        text = f"{oof.n_folds}-fold cross-validated {model}"
    else:
        text = f"{model} fitted on train" if not oof.network_won else f"the {oof.n_folds} fold models of a {model}"
    if oof.n_fit_rows < n_train:
        text += f" on a sample of {oof.n_fit_rows} rows"
    if pictures is not None:
        text += f" on {oof.network.described if oof.network_won else pictures.described}"
        if accuracy is not None:
            text += f", {'out-of-fold' if split == 'train' else 'val'} accuracy {accuracy:.3f}"
        if split == "train":
            text += network_comparison(oof, pictures)
        if pictures.note and split == "train":
            text += f"; {pictures.note}"
    return text


def network_comparison(oof: OutOfFold, pictures: PictureInputs) -> str:
    """How the pictures' network fared against the feature models, from the model choice."""
    if oof.choice is None or oof.network is None or oof.network.skipped:
        return ""
    scores = {c.model: c for c in oof.choice.candidates}
    network = scores.get(oof.network.model)
    if network is None:
        return ""
    if oof.network_won:
        best = min((c for c in oof.choice.candidates if c.model != network.model), key=lambda c: c.error_rate,
                   default=None)
        return (f", chosen over the models of {pictures.described}"
                + (f" (best {best.model.replace('_', ' ')}: out-of-fold accuracy {1 - best.error_rate:.3f})"
                   if best else ""))
    return (f"; chosen over {network.model.replace('_', ' ')} on {oof.network.described} "
            f"(out-of-fold accuracy {1 - network.error_rate:.3f})")
