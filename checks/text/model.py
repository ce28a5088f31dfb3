"""Out-of-fold probabilities for text: TF-IDF and logistic regression, for label issues.

The same contract as checks/oof.py (and the same :class:`~checks.oof.OutOfFold` result), with
text as the input:

- features: hashed TF-IDF of word 1-2-grams (and in-word character n-grams if the spec asks;
  checks/text/tfidf.py), fitted on the train rows the models are fitted on; beside them, when
  given, the tabular features' encoded matrix (its columns already scaled alike);
- train rows get out-of-fold probabilities from seeded stratified K-fold cross-validation;
  val rows the average of the fold models; above ``max_fit_rows`` train rows the folds run
  on a seeded stratified sample and the other rows are scored like val rows;
- folds see train in the order of its content (raw text hash, then label; byte-identical
  rows keep their file order), so re-sorting a file flags the same rows;
- logistic regression (lbfgs, deterministic): a linear model on TF-IDF is what text
  classification baselines use, and its probabilities are calibrated enough for confident
  learning.
"""

from __future__ import annotations

import warnings
import numpy as np
import pandas as pd

from checks.base import AuditData
from checks.features import model_inputs
from checks.oof import OutOfFold, encode_labels, expand, label_classes, stratified_sample
from checks.text.columns import normalised_texts, raw_texts
from checks.text.exact import normalise_all
from checks.text.near import joined_token_texts
from checks.text.normalise import text_hashes
from checks.text.shingles import take_texts
from checks.text.tfidf import CHUNK_ROWS, TfidfSpec, fit_tfidf, tfidf_matrix

TEXT_MODEL = "tfidf_logistic_regression"
# Past about fifty thousand rows a linear model on TF-IDF learns little more about four to a
# few dozen classes (on the planted tickets doubling the sample moved label-issue F1 by a few
# thousandths and the time by half again); rows beyond it are scored, not fitted.
DEFAULT_MAX_FIT_ROWS = 50_000
DEFAULT_C = 1.0


def table_out_of_fold(data: AuditData, n_folds: int, max_fit_rows: int) -> OutOfFold:
    """The probabilities of a table with text: its texts, and its other columns' model inputs
    when it has some; computed once per setting."""
    def compute(d: AuditData) -> OutOfFold:
        inputs = model_inputs(d)
        numeric = dict(inputs.matrices) if inputs.n_features else None
        return text_out_of_fold(raw_texts(d), {s: d.labels(s) for s in d.splits}, numeric, n_folds, max_fit_rows,
                                d.random_state, normalised=normalised_texts(d))

    return data.shared(f"text_out_of_fold:{n_folds}:{max_fit_rows}", compute)


def text_out_of_fold(texts: dict[str, pd.Series | pd.DataFrame], labels: dict[str, pd.Series],
                     numeric: dict[str, np.ndarray] | None = None, n_folds: int = 5,
                     max_fit_rows: int = DEFAULT_MAX_FIT_ROWS, random_state: int = 0,
                     spec: TfidfSpec = TfidfSpec(), c: float = DEFAULT_C,
                     normalised: dict[str, pd.Series | pd.DataFrame] | None = None) -> OutOfFold:
    """Probabilities per split (``train`` and optionally ``val``) from the texts and, if given,
    ``numeric[split]`` (rows in the splits' order) stacked beside them; ``normalised`` takes
    the splits' normalised texts when the caller already has them."""
    splits = [s for s in ("train", "val") if s in texts]
    classes = label_classes(labels["train"])
    codes = {s: encode_labels(labels[s], classes) for s in splits}
    normalised = {s: normalise_all(texts[s]) for s in splits} if normalised is None else normalised
    tokens = {s: joined_token_texts(normalised[s]).reset_index(drop=True) for s in splits}
    n_classes = len(classes)
    order = np.lexsort((codes["train"], text_hashes(texts["train"])))
    y = codes["train"][order]
    notes: list[str] = []
    fit_rows = np.arange(len(y))
    if len(y) > max_fit_rows:
        fit_rows = stratified_sample(y, max_fit_rows, n_folds, random_state)
        notes.append(f"train has {len(y)} rows: the models were fitted on a seeded stratified sample of "
                     f"{len(fit_rows)} rows and the other rows scored by the fold models' average")
    fit_positions = order[fit_rows]
    fit_texts = take_texts(tokens["train"], fit_positions)
    fitted = fit_tfidf(fit_texts, spec)

    def features(split: str, positions: np.ndarray, split_texts: pd.Series):
        matrix = tfidf_matrix(fitted, split_texts)
        if numeric is None:
            return matrix
        import scipy.sparse as sp

        return sp.hstack([matrix, sp.csr_matrix(np.asarray(numeric[split], dtype=np.float32)[positions])],
                         format="csr")

    x = features("train", fit_positions, fit_texts)
    folds = _fold_count(y[fit_rows], n_folds, classes, notes)
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    probs = {s: np.zeros((len(codes[s]), n_classes)) for s in splits}
    models = []
    with warnings.catch_warnings():  # single-row classes are accounted for by _fold_count
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        fold_splits = list(splitter.split(np.zeros(len(fit_rows)), y[fit_rows]))
    for fold_train, fold_test in fold_splits:
        model = _fit(x[fold_train], y[fit_rows[fold_train]], c)
        probs["train"][fit_positions[fold_test]] = expand(model.predict_proba(x[fold_test]), model.classes_, n_classes)
        models.append(model)

    # Rows no fold model was fitted on: scored by the average of all of them, chunk by chunk.
    rest = {"train": np.sort(order[np.setdiff1d(np.arange(len(y)), fit_rows)])}
    if "val" in splits:
        rest["val"] = np.arange(len(codes["val"]))
    for split, positions in rest.items():
        for begin in range(0, len(positions), CHUNK_ROWS):
            chunk = positions[begin:begin + CHUNK_ROWS]
            x_chunk = features(split, chunk, take_texts(tokens[split], chunk))
            probs[split][chunk] = sum(expand(m.predict_proba(x_chunk), m.classes_, n_classes) for m in models) / folds
    source = {"train": f"{folds}-fold cross-validation"}
    if "val" in splits:
        source["val"] = f"average of the {folds} fold models"
    return OutOfFold(classes, codes, probs, source, TEXT_MODEL, folds, len(fit_rows), notes)


def _fit(x, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    # tol 1e-3: the same probabilities to a few thousandths in a sixth of the iterations.
    return LogisticRegression(C=c, tol=1e-3, max_iter=300).fit(x, y)


def _fold_count(y: np.ndarray, n_folds: int, classes: np.ndarray, notes: list[str]) -> int:
    """Fewer folds when a class has fewer rows than folds (single-row classes aside)."""
    counts = np.bincount(y, minlength=len(classes))
    repeated = counts[counts >= 2]
    folds = max(2, min(n_folds, int(repeated.min()) if len(repeated) else 2))
    if folds < n_folds:
        small = [str(k) for k, n in zip(classes, counts) if 2 <= n < n_folds]
        notes.append(f"folds reduced from {n_folds} to {folds}: class(es) {', '.join(small[:5])} have fewer "
                     f"than {n_folds} rows")
    return folds
