"""The bucket comparison of the Spark near-copy search, on Arrow batches built here: every pair
within the threshold that shares a band's bucket comes out once, whatever the batch cuts, and
val (query) rows pair only with train (base) rows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

from audit.spark import buckets  # noqa: E402
from audit.spark.buckets import BASE, KEYS, QUERY, SIDE, close_pairs_of_batches  # noqa: E402
from audit.spark.rows import ROW  # noqa: E402

FEATURES = "f"
BANDS = 3


def planted(n: int, seed: int = 0):
    """Rows with coarse band keys (many buckets of several rows, one large one) and features."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, n // 4, (n, BANDS))
    keys[: n // 5, 0] = -1  # a bucket of a fifth of the rows in band 0
    keys += np.arange(BANDS) * 1_000_000  # a band's keys are its own
    features = rng.standard_normal((n, 4))
    side = rng.integers(0, 2, n).astype(np.int8)
    return rng.permutation(n) * 3 + 7, side, keys, features


def sorted_batches(rows, side, keys, features, batch_rows: int):
    """The records Spark sends a partition: one per row and band, sorted by key, in batches."""
    n = len(rows)
    band = np.repeat(np.arange(BANDS)[None, :], n, axis=0).ravel()
    index = np.repeat(np.arange(n), BANDS)
    key = keys.ravel()
    order = np.argsort(key, kind="stable")
    band, index, key = band[order], index[order], key[order]
    table = pa.table({
        "key": key, "band": band.astype(np.int32), ROW: rows[index], SIDE: side[index],
        KEYS: pa.array([list(keys[i]) for i in index], type=pa.list_(pa.int64())),
        FEATURES: pa.array([list(features[i]) for i in index], type=pa.list_(pa.float64())),
    })
    return table.to_batches(max_chunksize=batch_rows)


def expected(rows, side, keys, features, threshold: float) -> dict:
    """Brute force: two base rows a < b, or a query row and a base row (across); two query rows never."""
    found = {}
    for i, j in itertools.combinations(range(len(rows)), 2):
        if not (keys[i] == keys[j]).any() or side[i] == side[j] == QUERY:
            continue
        d = float(np.sqrt(((features[i] - features[j]) ** 2).sum()))
        if d <= threshold:
            across = bool(side[i] != side[j])
            if across:
                pair = (rows[i], rows[j]) if side[i] == QUERY else (rows[j], rows[i])
            else:
                pair = (min(rows[i], rows[j]), max(rows[i], rows[j]))
            found[(*pair, across)] = d
    return found


def found(batches, threshold: float) -> list:
    out = [b.to_pydict() for b in close_pairs_of_batches(iter(batches), FEATURES, threshold)]
    return [(a, b, across, d) for o in out for a, b, d, across in zip(o["a"], o["b"], o["d"], o["across"])]


@pytest.mark.parametrize("batch_rows", [7, 64, 100_000])
def test_every_close_pair_sharing_a_bucket_comes_out_once(batch_rows, monkeypatch):
    monkeypatch.setattr(buckets, "PAIRS_A_STEP", 50)  # many steps, a bucket split between them
    rows, side, keys, features = planted(240)
    threshold = 1.6
    truth = expected(rows, side, keys, features, threshold)
    pairs = found(sorted_batches(rows, side, keys, features, batch_rows), threshold)
    assert sum(across for *_, across in truth) > 50 and sum(not across for *_, across in truth) > 20
    assert len(pairs) == len({(a, b) for a, b, _, _ in pairs})  # each pair once, whatever bands it shares
    assert {(a, b, across): d for a, b, across, d in pairs} == pytest.approx(truth)


def test_base_rows_alone_pair_among_themselves():
    rows, _, keys, features = planted(120)
    base = np.full(len(rows), BASE, dtype=np.int8)
    truth = expected(rows, base, keys, features, 1.6)
    assert truth and not any(across for *_, across in truth)
    assert {(a, b, across): d for a, b, across, d in found(sorted_batches(rows, base, keys, features, 32), 1.6)} \
        == pytest.approx(truth)


def test_rows_in_no_shared_bucket_or_beyond_the_threshold_give_nothing():
    rows, side, keys, features = planted(60)
    unique = np.arange(60 * BANDS).reshape(60, BANDS)
    assert found(sorted_batches(rows, side, unique, features, 16), 10.0) == []
    assert found(sorted_batches(rows, side, keys, features, 16), 0.0) == []
