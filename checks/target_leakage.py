"""Target leakage: feature columns that give the label away on their own.

Each feature column is scored alone by a cross-validated one-column classifier: the column's
values are cut into bins (its distinct values when there are few, train quantiles when there
are many; categories by value, rare ones pooled), every bin predicts the class it is most
typical of in the other folds, and the score is the balanced accuracy of those held-out
predictions rescaled so that chance is 0 and perfect is 1. Counting is vectorised
(``np.bincount`` per column), so a million rows take seconds and nothing is sampled.
Quantile bins are made fine enough that the smallest class spans ``BINS_PER_SMALLEST_CLASS``
of them, so a rare class keeps bins of its own.

No absolute score marks a leak: noisy labels cap what any column can reach (a copy of the
true label scores about 0.76 when 8 % of five imbalanced classes' labels are flipped). A
column is judged against the rest of the data instead (:mod:`checks.target_rest`): it gives
the label away when it alone predicts the label about as well as all the other feature
columns together (a cross-validated model on them, on a sample), or when it scores far
above every other column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from checks.base import AuditData, Check, Finding, Parameter, Severity, fraction, register
from checks.encoders import column_kinds, encoder_for
from checks.encoders.values import as_float, is_numeric
from checks.text.columns import normalised_texts, text_columns
from checks.text.shortcut import text_shortcut
from checks.target_rest import rest_score

MAX_BINS = 32
MIN_ROWS_PER_BIN = 40
BINS_PER_SMALLEST_CLASS = 2
MAX_CLASS_BINS = 256
MIN_ROWS_PER_CLASS_BIN = 5
MAX_CATEGORIES = 4096
MAX_CLASSES = 500
MIN_ROWS_FOR_ID = 50
MIN_DISTINCT_MONOTONIC = 20


def _at_least_two() -> Parameter:
    return Parameter("an int >= 2", lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 2)


@register
class TargetLeakage(Check):
    """Feature columns that alone predict the label almost perfectly, and identifiers that carry it.

    What it detects:
        ``target_leakage``: feature columns (label, id, group, time and ignored columns are
        not features) whose cross-validated one-column score on train (balanced accuracy
        rescaled so that chance is 0 and perfect is 1) is at least ``min_score`` and that,
        judged against the rest of the data, give the label away: either they score at
        least ``all_others_score - rest_tolerance`` (all the other feature columns together,
        cross-validated on a sample) and ``min_margin`` above every other column, or
        ``far_margin`` above every other column. Also identifier-like feature columns
        (unique per row as text or whole numbers, or monotonic in file order) whose score is
        at least ``id_min_score`` and at least 4/sqrt(rows), four standard errors of a column
        without signal. Each flagged column is listed in ``columns`` with its ``score``, its
        ``balanced_accuracy``, the ``all_others_score``, the ``best_other_score`` (and
        ``best_other_column``), the ``reason`` and, for identifiers, ``id_like`` (``unique``
        or ``monotonic``). The metrics hold every column's score. A free-text column is scored by one
        word per class (checks/text/shortcut.py, its ``keywords`` listed) against the median of
        the other columns, and is never judged an identifier.

    Why it matters:
        A column that is a copy, a consequence or an encoding of the label (a diagnosis code
        recorded after the outcome, a file path holding the class name) makes the model look
        excellent in validation and fail in production, where the column is missing or means
        something else. A row id or a row counter that predicts the label tells that the rows
        were ordered or numbered by class: the model learns the numbering.

    How to fix:
        Remove the column from the features (or pass it with --ignore); declare identifiers
        with --id-column; shuffle before numbering rows. Keep the column only if it will be
        known, with the same meaning, when the model predicts.

    Parameters:
        min_score: one-column score (0 = chance, 1 = perfect) a column needs before it is
            judged against the rest of the data; flagged predictors fail.
        rest_tolerance: how far below the score of all the other columns together a
            column's own score may be and still count as "about as well".
        min_margin: how far above every other column's score such a column must be (two
            columns that each carry the label, like petal length and width, are features).
        far_margin: how far above every other column's score a column is flagged whatever
            the other columns do together.
        id_min_score: score at or above which an identifier-like column is flagged as
            carrying label signal (warns).
        n_folds: cross-validation folds.
    """

    name = "target_leakage"
    codes = ("target_leakage",)
    parameters = {
        "min_score": fraction(),
        "rest_tolerance": fraction(),
        "min_margin": fraction(),
        "far_margin": fraction(),
        "id_min_score": fraction(),
        "n_folds": _at_least_two(),
    }

    def __init__(self, min_score=0.5, rest_tolerance=0.05, min_margin=0.15, far_margin=0.4, id_min_score=0.1,
                 n_folds=5):
        self.min_score = min_score
        self.rest_tolerance = rest_tolerance
        self.min_margin = min_margin
        self.far_margin = far_margin
        self.id_min_score = id_min_score
        self.n_folds = n_folds

    def run(self, data: AuditData) -> list[Finding]:
        labels = data.labels("train")
        classes, y = np.unique(labels.astype("string").to_numpy(dtype=object), return_inverse=True)
        n_rows = len(y)
        if len(classes) < 2 or len(classes) > MAX_CLASSES or n_rows < 2 * self.n_folds:
            return []
        folds = np.random.default_rng(data.random_state).permutation(n_rows) % self.n_folds
        frame = data.frames["train"]
        texts = text_columns(data)
        smallest_class = int(np.bincount(y).min())
        scores: dict[str, dict[str, Any]] = {}
        for column in scored_columns(data):
            codes, n_codes, how = bin_column(frame[column], smallest_class)
            balanced = cross_validated_balanced_accuracy(codes, n_codes, y, len(classes), folds, self.n_folds)
            scores[str(column)] = {
                "score": rescale(balanced, len(classes)), "balanced_accuracy": balanced,
                "binning": how, "n_bins": n_codes, "id_like": id_like(frame[column]),
            }

        scores.update(self.text_scores(data, texts, scores))
        scores = {str(c): scores[str(c)] for c in data.feature_columns if str(c) in scores}
        id_floor = max(self.id_min_score, 4 / np.sqrt(n_rows))
        flagged = []
        for column, s in scores.items():
            others = {c: o["score"] for c, o in scores.items() if c != column}
            best_other = max(others, key=lambda c: (others[c], c)) if others else None
            best_score = others[best_other] if others else 0.0
            reference = float(np.median(list(others.values()))) if others else 0.0
            rest, far = None, False
            if "shortcut" in s:  # judged by its words already
                predictor, reference = s["shortcut"].flagged, s["shortcut"].reference_score
            else:
                judged = s["score"] >= self.min_score and s["score"] - best_score >= self.min_margin
                rest = rest_score(data, column, y, self.n_folds) if judged else None
                far = s["score"] - best_score >= self.far_margin
                predictor = judged and (far or s["score"] >= rest.score - self.rest_tolerance)
            identifier = s["id_like"] is not None and s["score"] >= id_floor
            if not (predictor or identifier):
                continue
            if "shortcut" in s:
                reason = s["shortcut"].reason
            elif predictor:
                reason = (f"alone predicts the label (score {s['score']:.3f}, balanced accuracy "
                          f"{s['balanced_accuracy']:.3f}) {'far above' if far else 'about as well as'} the rest of the "
                          f"data: all the other feature columns together score {rest.score:.3f}, the best other "
                          f"column {best_score:.3f}" + (f" ({best_other})" if best_other is not None else ""))
            else:
                kind = "unique per row" if s["id_like"] == "unique" else "monotonic in file order"
                reason = f"identifier-like ({kind}) yet predicts the label (score {s['score']:.3f})"
            flagged.append({
                "column": column, "score": s["score"], "reason": reason,
                "kind": "predictor" if predictor else "identifier",
                "all_others_score": None if rest is None else rest.score,
                "all_others": None if rest is None else rest.to_dict(),
                "best_other_score": best_score, "best_other_column": best_other,
                "reference_score": reference,
                "balanced_accuracy": s["balanced_accuracy"], "id_like": s["id_like"],
                "binning": s["binning"], "n_bins": s["n_bins"],
                **({"keywords": s["shortcut"].keywords} if "shortcut" in s else {}),
            })
        if not flagged:
            return []
        flagged.sort(key=lambda c: (-c["score"], c["column"]))
        severity = Severity.FAIL if any(c["kind"] == "predictor" for c in flagged) else Severity.WARN
        names = ", ".join(f"{c['column']} ({c['score']:.3f})" for c in flagged[:5])
        return [Finding(
            code="target_leakage",
            severity=severity,
            message=(
                f"{len(flagged)} feature column(s) give the label away on their own: {names}"
                f"{' ...' if len(flagged) > 5 else ''} (cross-validated one-column score, 0 = chance, 1 = perfect)."
            ),
            metrics={
                "n_columns": len(scores), "n_flagged": len(flagged), "n_rows": n_rows, "n_classes": len(classes),
                "n_folds": self.n_folds, "id_score_floor": id_floor,
                "scores": {c: s["score"] for c, s in scores.items()}, "sampled": [],
            },
            columns=flagged,
        )]


    def text_scores(self, data: AuditData, texts: list[str], scores: dict[str, dict[str, Any]]) -> dict[str, dict]:
        """Free-text columns scored by one word per class (checks/text/shortcut.py): a text column is
        meant to predict the label, so it is flagged only when a single word gives the label away,
        far better than the other columns (``scores``) do, by the shortcut's own thresholds
        (``checks.text.shortcut.MIN_SCORE`` and ``MIN_MARGIN``: the column-level ones are for one
        value per row); it is never judged an identifier."""
        others = [s["score"] for s in scores.values()]
        reference = float(np.median(others)) if others else 0.0
        found = {}
        for column in texts:
            shortcut = text_shortcut(column, data.frames["train"][column], data.labels("train"), reference,
                                     n_folds=self.n_folds, random_state=data.random_state,
                                     normalised=normalised_texts(data)["train"][column])
            found[str(column)] = {"score": shortcut.score, "balanced_accuracy": shortcut.balanced_accuracy,
                                  "binning": "one word per class", "n_bins": len(shortcut.keywords), "id_like": None,
                                  "shortcut": shortcut}
        return found


def scored_columns(data: AuditData) -> list[str]:
    """The feature columns scored by binning their values (not an image's path, whose folder is its class,
    nor a free text, scored by :meth:`TargetLeakage.text_scores`)."""
    kinds = column_kinds(data)
    return [column for column in data.feature_columns if encoder_for(kinds[column].kind).scored_alone]


def rescale(balanced_accuracy: float, n_classes: int) -> float:
    """Balanced accuracy mapped so that chance (1/K) is 0 and perfect is 1."""
    chance = 1 / n_classes
    return float((balanced_accuracy - chance) / (1 - chance))


def quantile_bins(n_rows: int, smallest_class: int | None = None) -> int:
    """How many quantile bins: one per ``MIN_ROWS_PER_BIN`` rows up to ``MAX_BINS``, and enough
    that the smallest class spans ``BINS_PER_SMALLEST_CLASS`` of them (up to ``MAX_CLASS_BINS``,
    with at least ``MIN_ROWS_PER_CLASS_BIN`` rows a bin)."""
    bins = min(n_rows // MIN_ROWS_PER_BIN, MAX_BINS)
    if smallest_class:
        for_class = int(np.ceil(BINS_PER_SMALLEST_CLASS * n_rows / smallest_class))
        bins = max(bins, min(for_class, MAX_CLASS_BINS, n_rows // MIN_ROWS_PER_CLASS_BIN))
    return int(max(bins, 2))


def bin_column(values: pd.Series, smallest_class: int | None = None) -> tuple[np.ndarray, int, str]:
    """Integer bin codes 0..n-1 for a column (missing values get a bin of their own)."""
    n_rows = len(values)
    n_quantile_bins = quantile_bins(n_rows, smallest_class)
    if is_numeric(values):
        numbers = as_float(values)
        missing = np.isnan(numbers)
        present = numbers[~missing]
        distinct = np.unique(present)
        if len(distinct) <= n_quantile_bins:
            codes = np.searchsorted(distinct, numbers)
            how = "distinct values"
        else:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, n_quantile_bins + 1)[1:-1]))
            codes = np.searchsorted(edges, numbers, side="right")
            how = "train quantiles"
        n_codes = int(codes[~missing].max()) + 1 if len(present) else 0
        codes = np.where(missing, n_codes, codes)
        return codes.astype(np.int64), n_codes + 1, how

    text = values.astype("string")
    codes, uniques = pd.factorize(text, sort=True, use_na_sentinel=True)
    n_present = int((codes >= 0).sum())
    if len(uniques) == n_present and n_present >= MIN_ROWS_FOR_ID:
        # Unique per row: a category is never seen twice, so bin by sorted position instead,
        # which catches ids that are numbered or prefixed by class.
        ranks = np.where(codes >= 0, codes, 0).astype(np.float64)
        edges = np.quantile(ranks[codes >= 0], np.linspace(0, 1, n_quantile_bins + 1)[1:-1])
        binned = np.searchsorted(np.unique(edges), ranks, side="right")
        n_codes = int(binned.max()) + 1
        return np.where(codes >= 0, binned, n_codes).astype(np.int64), n_codes + 1, "sorted text position"
    if len(uniques) > MAX_CATEGORIES:
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        keep = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES - 1]
        remap = np.full(len(uniques), MAX_CATEGORIES - 1)
        remap[keep] = np.arange(len(keep))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        n_codes = MAX_CATEGORIES
        how = f"the {MAX_CATEGORIES - 1} most frequent values, the rest pooled"
    else:
        n_codes = len(uniques)
        how = "categories"
    return np.where(codes >= 0, codes, n_codes).astype(np.int64), n_codes + 1, how


def cross_validated_balanced_accuracy(codes: np.ndarray, n_codes: int, y: np.ndarray, n_classes: int,
                                      folds: np.ndarray, n_folds: int) -> float:
    """Balanced accuracy of per-bin predictions, each fold predicted from the other folds' counts.

    A bin predicts the class it is most over-represented in (count over class total), the
    rule that maximises balanced accuracy; a bin empty in the other folds predicts class 0.
    """
    flat = (folds * n_codes + codes) * n_classes + y
    per_fold = np.bincount(flat, minlength=n_folds * n_codes * n_classes).reshape(n_folds, n_codes, n_classes)
    total = per_fold.sum(axis=0)
    correct = np.zeros(n_classes)
    for f in range(n_folds):
        fitted = total - per_fold[f]
        class_total = np.maximum(fitted.sum(axis=0), 1)
        predicted = np.argmax(fitted / class_total, axis=1)
        correct += np.bincount(predicted, weights=per_fold[f][np.arange(n_codes), predicted], minlength=n_classes)
    class_sizes = np.bincount(y, minlength=n_classes)
    present = class_sizes > 0
    return float(np.mean(correct[present] / class_sizes[present]))


def id_like(values: pd.Series) -> str | None:
    """``unique`` (text or whole numbers, one value per row), ``monotonic`` (in file order), or None."""
    if len(values) < MIN_ROWS_FOR_ID or values.isna().any():
        return None
    if is_numeric(values):
        numbers = as_float(values)
        if np.isnan(numbers).any():
            return None
        n_distinct = len(np.unique(numbers))
        if n_distinct == len(numbers) and np.all(numbers == np.round(numbers)):
            return "unique"
    else:
        n_distinct = int(values.astype("string").nunique())
        if n_distinct == len(values):
            return "unique"
    if n_distinct >= MIN_DISTINCT_MONOTONIC:
        try:
            if values.is_monotonic_increasing or values.is_monotonic_decreasing:
                return "monotonic"
        except TypeError:  # mixed types have no order
            return None
    return None
