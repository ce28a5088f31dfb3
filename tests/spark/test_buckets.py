"""The bucket comparison of the Spark near-copy search, on Arrow batches built here: every pair
within the threshold that shares a band's bucket comes out once, whatever the batch cuts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

from audit.spark import buckets  # noqa: E402
from audit.spark.buckets import KEYS, SIDE, close_pairs_of_batches  # noqa: E402
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


def expected(rows, side, keys, features, threshold: float, within: bool) -> dict:
    found = {}
    for i, j in itertools.combinations(range(len(rows)), 2):
        if not (keys[i] == keys[j]).any() or (not within and side[i] == side[j]):
            continue
        d = float(np.sqrt(((features[i] - features[j]) ** 2).sum()))
        if d <= threshold:
            a, b = (i, j) if within or side[i] == 0 else (j, i)
            pair = (min(rows[a], rows[b]), max(rows[a], rows[b])) if within else (rows[a], rows[b])
            found[pair] = d
    return found


def found(batches, threshold: float, within: bool) -> list:
    out = [b.to_pydict() for b in close_pairs_of_batches(iter(batches), FEATURES, threshold, within)]
    return [(a, b, d) for o in out for a, b, d in zip(o["a"], o["b"], o["d"])]


@pytest.mark.parametrize("within", [True, False])
@pytest.mark.parametrize("batch_rows", [7, 64, 100_000])
def test_every_close_pair_sharing_a_bucket_comes_out_once(within, batch_rows, monkeypatch):
    monkeypatch.setattr(buckets, "PAIRS_A_STEP", 50)  # many steps, a bucket split between them
    rows, side, keys, features = planted(240)
    threshold = 1.6
    truth = expected(rows, side, keys, features, threshold, within)
    pairs = found(sorted_batches(rows, side, keys, features, batch_rows), threshold, within)
    assert len(truth) > 100
    assert len(pairs) == len({(a, b) for a, b, _ in pairs})  # each pair once, whatever bands it shares
    assert {(a, b): d for a, b, d in pairs} == pytest.approx(truth)


def test_rows_in_no_shared_bucket_or_beyond_the_threshold_give_nothing():
    rows, side, keys, features = planted(60)
    unique = np.arange(60 * BANDS).reshape(60, BANDS)
    assert found(sorted_batches(rows, side, unique, features, 16), 10.0, True) == []
    assert found(sorted_batches(rows, side, keys, features, 16), 0.0, True) == []
