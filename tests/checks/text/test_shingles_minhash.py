"""Vectorised shingles, MinHash signatures, banding and exact Jaccard against plain Python sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.tickets import TEXT
from checks.text.jaccard import jaccard_of_pairs
from checks.text.minhash import (MAX_BUCKET_SIZE, Banding, Signatures, banding_for, candidate_pairs,
                                 estimated_similarity, minhash_signatures)
from checks.text.normalise import normalise, token_text
from checks.text.shingles import ShingleSpec, iter_shingles, shingle_sets

SPECS = [ShingleSpec((2,)), ShingleSpec((1, 2), (5,)), ShingleSpec((), (), (3, 4, 5)), ShingleSpec((3,), (), (4,))]


def reference(text: str, spec: ShingleSpec) -> set:
    """The shingles as strings, written the obvious way (character n-grams from scikit-learn's analyser)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not text:
        return set()
    words, padded, out = text.split(" "), f" {text} ", set()
    for n in spec.word_ngrams:
        out |= {("w", n, " ".join(words[i:i + n])) for i in range(len(words) - n + 1)} or {("w", n, text)}
    for n in spec.char_ngrams:
        out |= {("c", n, padded[i:i + n]) for i in range(len(padded) - n + 1)} or {("c", n, padded)}
    for n in spec.char_wb_ngrams:
        analyser = CountVectorizer(analyzer="char_wb", ngram_range=(n, n), lowercase=False).build_analyzer()
        out |= {("b", n, gram) for gram in analyser(text)}
    return out


@pytest.fixture(scope="module")
def tokens(text_pair) -> list[str]:
    texts = pd.concat([text_pair.train[TEXT].iloc[:700], text_pair.val[TEXT].iloc[:300]], ignore_index=True)
    return token_text(normalise(texts)).tolist() + ["", "a", "ab c", "x y"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_shingle_sets_match_python_sets(tokens, spec):
    sets = shingle_sets(tokens, spec)
    expected = [reference(t, spec) for t in tokens]
    assert sets.sizes.tolist() == [len(e) for e in expected]
    rng = np.random.default_rng(0)
    first, second = rng.integers(0, len(tokens), (2, 3000))
    exact = [len(expected[a] & expected[b]) / max(len(expected[a] | expected[b]), 1) if expected[a] | expected[b]
             else 1.0 for a, b in zip(first, second)]
    assert np.allclose(jaccard_of_pairs(sets, first, second, chunk_pairs=700), exact)


def test_chunks_do_not_change_the_hashes(tokens):
    whole = np.concatenate([c.hashes for _, c in iter_shingles(tokens, SPECS[1], chunk_texts=10_000)])
    pieces = np.concatenate([c.hashes for _, c in iter_shingles(tokens, SPECS[1], chunk_texts=37)])
    assert np.array_equal(whole, pieces)


def test_equal_ngrams_hash_equally_wherever_they_sit():
    sets = shingle_sets(["a b c", "x a b", "a b"], ShingleSpec((2,)))
    assert len(set(sets.hashes.tolist())) == 3  # "a b" (in all three), "b c", "x a"
    assert len(sets.hashes) == 5


@pytest.mark.parametrize("similarity", [0.5, 0.64, 0.69, 0.8, 0.95])
def test_banding_is_the_most_selective_that_keeps_recall(similarity):
    banding = banding_for(similarity)
    assert banding.candidate_probability(similarity) >= 0.99
    assert banding.rows_per_band * banding.n_bands <= 256
    sharper = Banding(banding.rows_per_band + 1, 256 // (banding.rows_per_band + 1))
    assert sharper.candidate_probability(similarity) < 0.99


def test_signatures_estimate_the_jaccard_similarity(tokens):
    signatures = minhash_signatures(tokens, SPECS[0], seed=1)
    sets = shingle_sets(tokens, SPECS[0])
    rng = np.random.default_rng(1)
    first, second = rng.integers(0, len(tokens) - 4, (2, 3000))
    first = np.concatenate([first, np.arange(50)])
    second = np.concatenate([second, np.arange(50)])  # identical texts: estimate 1
    error = estimated_similarity(signatures.slots, first, second) - jaccard_of_pairs(sets, first, second)
    assert np.abs(error).max() < 0.1 and abs(error.mean()) < 0.01
    assert not signatures.has_shingles[len(tokens) - 4] and signatures.has_shingles[:-4].all()


def test_signatures_are_seeded(tokens):
    one, same, other = (minhash_signatures(tokens[:200], SPECS[0], seed=s).slots for s in (4, 4, 5))
    assert np.array_equal(one, same) and not np.array_equal(one, other)


def test_identical_signatures_make_a_chain_not_all_pairs():
    slots = np.zeros((500, 256), dtype=np.uint8)
    first, second = candidate_pairs(Signatures(slots, np.ones(500, dtype=bool)), Banding(6, 42))
    assert len(first) < 2 * 500  # each member with the bucket's first and its predecessor
    assert (first < second).all() and {(0, 499), (498, 499)} <= set(zip(first.tolist(), second.tolist()))


def test_small_buckets_give_every_pair_once():
    slots = np.zeros((MAX_BUCKET_SIZE, 256), dtype=np.uint8)
    has = np.ones(MAX_BUCKET_SIZE, dtype=bool)
    has[3] = False  # a text without shingles is never a candidate
    first, second = candidate_pairs(Signatures(slots, has), Banding(6, 42))
    expected = {(a, b) for a in range(MAX_BUCKET_SIZE) for b in range(a + 1, MAX_BUCKET_SIZE) if 3 not in (a, b)}
    assert set(zip(first.tolist(), second.tolist())) == expected and len(first) == len(expected)
