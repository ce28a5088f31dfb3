"""Out-of-fold TF-IDF probabilities: label issues found with confident learning, clean labels left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.tickets import LABEL, QUEUES, TEXT
from checks.text.model import TEXT_MODEL, text_out_of_fold
from checks.text.tfidf import TfidfSpec, fit_tfidf, tfidf_matrix


def issues(oof, split: str) -> set[int]:
    from cleanlab.filter import find_label_issues

    return set(np.flatnonzero(find_label_issues(oof.labels[split], oof.pred_probs[split], n_jobs=1)).tolist())


def splits(pair) -> tuple[dict, dict]:
    return ({"train": pair.train[TEXT], "val": pair.val[TEXT]}, {"train": pair.train[LABEL], "val": pair.val[LABEL]})


@pytest.fixture(scope="module")
def planted_oof(text_pair):
    return text_out_of_fold(*splits(text_pair))


def f1(found: set, truth: set) -> float:
    hit = len(found & truth)
    return 2 * hit / (len(found) + len(truth))


def test_flipped_labels_are_found(text_pair, planted_oof):
    assert planted_oof.model == TEXT_MODEL and planted_oof.n_folds == 5
    assert f1(issues(planted_oof, "train"), text_pair.label_issues["train"]) >= 0.85
    assert f1(issues(planted_oof, "val"), text_pair.label_issues["val"]) >= 0.85


def test_clean_labels_are_left_alone(clean_text_pair):
    oof = text_out_of_fold(*splits(clean_text_pair))
    assert len(issues(oof, "train")) <= 0.01 * len(clean_text_pair.train)
    assert len(issues(oof, "val")) <= 0.01 * len(clean_text_pair.val)


def test_probabilities_cover_every_row(planted_oof, text_pair):
    assert list(planted_oof.classes) == sorted(QUEUES)
    for split, frame in (("train", text_pair.train), ("val", text_pair.val)):
        probs = planted_oof.pred_probs[split]
        assert probs.shape == (len(frame), 4) and np.allclose(probs.sum(axis=1), 1)
    assert planted_oof.source == {"train": "5-fold cross-validation", "val": "average of the 5 fold models"}


def test_same_seed_same_probabilities(text_pair):
    texts, labels = splits(text_pair)
    small = {s: v.iloc[:800] for s, v in texts.items()}, {s: v.iloc[:800] for s, v in labels.items()}
    first, second = text_out_of_fold(*small, random_state=2), text_out_of_fold(*small, random_state=2)
    assert all(np.array_equal(first.pred_probs[s], second.pred_probs[s]) for s in ("train", "val"))


def test_a_resorted_file_gets_the_same_probabilities(clean_text_pair):
    texts, labels = splits(clean_text_pair)
    order = np.random.default_rng(0).permutation(1000)
    base = text_out_of_fold({"train": texts["train"].iloc[:1000]}, {"train": labels["train"].iloc[:1000]})
    shuffled = text_out_of_fold({"train": texts["train"].iloc[:1000].iloc[order]},
                                {"train": labels["train"].iloc[:1000].iloc[order]})
    assert np.allclose(base.pred_probs["train"][order], shuffled.pred_probs["train"])


def test_above_max_fit_rows_a_sample_is_fitted_and_every_row_scored(text_pair):
    texts, labels = splits(text_pair)
    oof = text_out_of_fold(texts, labels, max_fit_rows=1500)
    assert oof.n_fit_rows <= 1500 and "stratified sample" in oof.notes[0]
    assert np.allclose(oof.pred_probs["train"].sum(axis=1), 1)
    assert f1(issues(oof, "train"), text_pair.label_issues["train"]) >= 0.75


def test_tabular_features_are_stacked_beside_the_text(text_pair):
    """A numeric column that carries the true queue makes the model surer of the true labels."""
    texts, labels = splits(text_pair)
    true = {s: pd.Index(QUEUES).get_indexer(text_pair.true_labels[s]) for s in ("train", "val")}
    numeric = {s: np.eye(4)[true[s]] * 3.0 for s in true}
    with_numbers = text_out_of_fold(texts, labels, numeric=numeric)
    without = text_out_of_fold(texts, labels)
    classes = list(with_numbers.classes)

    def agreement(oof):
        codes = pd.Index(classes).get_indexer(text_pair.true_labels["train"])
        return (oof.pred_probs["train"].argmax(axis=1) == codes).mean()

    assert agreement(with_numbers) > agreement(without)


def test_tfidf_matches_scikit_learn_weights():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["refund my payment", "my payment failed again", "refund again", "my order is late"]
    spec = TfidfSpec(word_ngrams=(1,), min_df=1, bits=20)
    ours = tfidf_matrix(fit_tfidf(texts, spec), texts).toarray()
    theirs = TfidfVectorizer(sublinear_tf=True, token_pattern=r"\S+").fit_transform(texts).toarray()
    # Same values per row up to the order of the columns.
    assert np.allclose(np.sort(ours, axis=1)[:, -6:], np.sort(theirs, axis=1)[:, -6:], atol=1e-6)


def test_rare_ngrams_are_dropped():
    spec = TfidfSpec(word_ngrams=(1,))
    fitted = fit_tfidf(["common rare1", "common rare2", "common"], spec)
    assert fitted.n_features == 1
    assert tfidf_matrix(fitted, ["rare1 unseen"]).nnz == 0
