"""Text shortcuts: a text column whose label can be read off one word per class.

A text column is *meant* to predict the label: ticket text predicts its queue, a review its
rating. So "predicts the label far better than the other columns" cannot be the test for a
text column: on the planted tickets a TF-IDF model of the ticket text alone reached a
rescaled balanced accuracy near 0.9, barely below a note naming the queue in 97% of rows.
What gives a shortcut away is *how* it predicts: the note names the label (or a code for it)
in one word, ordinary text spreads its signal over many words.

The score is therefore that of the simplest reader: for each class, the one word whose
presence best tells that class from the rest (largest difference between the share of the
class's rows containing it and the share of the other rows containing it); a row is given
the class of the best of those words it contains, or, with none, the class most common among
rows with none. Fitted on K-1 folds and scored on the held-out fold, as balanced accuracy
rescaled so that chance is 0 and perfect is 1 (like checks/target_leakage.py). A column is
flagged when the score is at least ``min_score`` and at least ``min_margin`` above the
reference score of the other feature columns (their median one-column score, which the
caller computes).

Words are those of :func:`checks.text.normalise.token_text`; above ``max_rows`` train rows a
seeded sample is scored (the keywords come from the same sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from checks.text.normalise import normalise, token_text
from checks.text.shingles import ShingleSpec, shingle_sets

MIN_SCORE = 0.9
MIN_MARGIN = 0.3
MAX_ROWS = 200_000
WORDS = ShingleSpec(word_ngrams=(1,))


@dataclass(frozen=True)
class TextShortcut:
    """One text column's one-word-per-class score, its keywords, and whether it is flagged."""

    column: str
    score: float
    balanced_accuracy: float
    reference_score: float
    keywords: dict[str, str]
    flagged: bool
    reason: str
    n_rows: int


def text_shortcut(column: str, values: pd.Series, labels: pd.Series, reference_score: float = 0.0,
                  min_score: float = MIN_SCORE, min_margin: float = MIN_MARGIN, n_folds: int = 5,
                  random_state: int = 0, max_rows: int = MAX_ROWS,
                  normalised: pd.Series | None = None) -> TextShortcut:
    """Score ``column`` (train values) against the train labels; see the module docstring.

    ``normalised`` takes the column's normalised texts when the caller already has them.
    """
    rng = np.random.default_rng(random_state)
    normalised = normalise(values) if normalised is None else normalised
    if len(values) > max_rows:
        keep = np.sort(rng.choice(len(values), max_rows, replace=False))
        normalised, labels = normalised.iloc[keep], labels.iloc[keep]
    classes, y = np.unique(labels.astype(str).to_numpy(), return_inverse=True)
    tokens = token_text(normalised).fillna("").reset_index(drop=True)
    rows, words, hashes = _row_words(tokens)
    n_rows, n_classes = len(y), len(classes)
    folds = rng.permutation(n_rows) % n_folds
    correct = np.zeros(n_classes)
    for fold in range(n_folds):
        fitted = folds[rows] != fold
        keyword_class, keyword_strength, fallback = _fit(rows[fitted], words[fitted], y, folds != fold,
                                                         n_classes, len(hashes))
        held_out = folds == fold
        predicted = _predict(rows, words, keyword_class, keyword_strength, fallback, n_rows)[held_out]
        correct += np.bincount(y[held_out], weights=(predicted == y[held_out]).astype(float), minlength=n_classes)
    sizes = np.bincount(y, minlength=n_classes)
    balanced = float(np.mean(correct[sizes > 0] / sizes[sizes > 0]))
    score = (balanced - 1 / n_classes) / (1 - 1 / n_classes) if n_classes > 1 else 0.0
    keyword_class, _, _ = _fit(rows, words, y, np.ones(n_rows, dtype=bool), n_classes, len(hashes))
    keywords = {str(classes[k]): _spelled(hashes[w], rows, words, hashes, tokens)
                for w, k in enumerate(keyword_class.tolist()) if k >= 0}
    flagged = score >= min_score and score - reference_score >= min_margin
    named = ", ".join(f"{word!r} for {label!r}" for label, word in sorted(keywords.items())[:4])
    reason = (f"one word per class reads the label off this text (score {score:.3f}, other columns "
              f"{reference_score:.3f}): {named}" if flagged else
              f"no shortcut: one word per class scores {score:.3f} (flagged from {min_score:g})")
    return TextShortcut(str(column), float(score), balanced, float(reference_score), keywords, flagged, reason, n_rows)


def _row_words(tokens: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row position, word number) for each distinct word of each row, and each word number's hash."""
    sets = shingle_sets(tokens, WORDS)
    words, hashes = pd.factorize(sets.hashes)
    return sets.owners, words.astype(np.int64), np.asarray(hashes, dtype=np.uint64)


def _spelled(word_hash: int, rows: np.ndarray, words: np.ndarray, hashes: np.ndarray, tokens: pd.Series) -> str:
    """The word behind a hash, read back from the first row holding it."""
    holder = int(rows[np.flatnonzero(hashes[words] == word_hash)[0]])
    candidates = tokens.iloc[holder].split(" ")
    spelled = shingle_sets(candidates, WORDS).hashes
    return candidates[int(np.flatnonzero(spelled == word_hash)[0])]


def _fit(rows: np.ndarray, words: np.ndarray, y: np.ndarray, fitted_rows: np.ndarray, n_classes: int,
         n_words: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Each word's class (-1 unless it is the best word of some class), its strength, and the
    class of rows holding no keyword."""
    class_sizes = np.bincount(y[fitted_rows], minlength=n_classes).astype(float)
    df = np.bincount(words * n_classes + y[rows], minlength=n_words * n_classes).reshape(n_words, n_classes)
    inside = df / np.maximum(class_sizes, 1)
    outside = (df.sum(axis=1, keepdims=True) - df) / np.maximum(class_sizes.sum() - class_sizes, 1)
    strength = inside - outside  # Youden's J of "contains the word" as a detector of the class
    best_word = strength.argmax(axis=0)
    keyword_class = np.full(n_words, -1)
    keyword_strength = np.zeros(n_words)
    for k in np.argsort(strength[best_word, np.arange(n_classes)]):  # the stronger class wins a shared word
        keyword_class[best_word[k]] = k
        keyword_strength[best_word[k]] = strength[best_word[k], k]
    has_keyword = np.zeros(len(y), dtype=bool)
    has_keyword[rows[keyword_class[words] >= 0]] = True
    without = np.bincount(y[fitted_rows & ~has_keyword], minlength=n_classes)
    fallback = int(without.argmax()) if without.any() else int(class_sizes.argmax())
    return keyword_class, keyword_strength, fallback


def _predict(rows: np.ndarray, words: np.ndarray, keyword_class: np.ndarray, keyword_strength: np.ndarray,
             fallback: int, n_rows: int) -> np.ndarray:
    """Each row's class: that of the strongest keyword it contains, else ``fallback``."""
    hit = keyword_class[words] >= 0
    best = np.full(n_rows, -np.inf)
    np.maximum.at(best, rows[hit], keyword_strength[words[hit]])
    predicted = np.full(n_rows, fallback)
    winners = hit & (keyword_strength[words] == best[rows])
    predicted[rows[winners]] = keyword_class[words[winners]]
    return predicted
