"""Banded random-projection hashing on Spark: which pairs of rows to compare for near copies.

Each row is projected on random unit vectors (:func:`directions`) and every projection cut
into buckets ``BUCKETS_PER_THRESHOLD`` thresholds long, by an Arrow UDF doing one matrix
product a batch. The projections are grouped into bands: two rows are candidates when they
share the bucket of every projection of one band, and a candidate is kept at its exact
distance if within the threshold. (Spark MLlib's ``BucketedRandomProjectionLSH`` computes the
same buckets, but as one vector object per projection and row, several times slower; its
``approxSimilarityJoin`` ORs single projections, whose candidates grow with the square of
the rows.)

How many projections a band has and how many bands there are follow from the data
(:func:`choose_banding`), since a fixed number does not hold up as rows grow: three
projections a band let 226 million pairs meet on the planted 100,000-row pair.

- Projections a band: the fewest with which unrelated rows rarely meet. On the calibration
  sample (the seeded sample of distinct train rows the threshold is measured on), the share
  of its pairs that agree on every projection of a band, averaged over ``DRAWS`` draws of
  random directions, must keep a band's expected candidates under ``CANDIDATES_PER_ROW``
  times the train rows. Where too few sample pairs still meet to measure the share, it is
  extrapolated from its last step.
- Bands: enough that a pair exactly at the threshold is missed by every band with
  probability at most ``MISSED_AT_THRESHOLD``. One projection separates such a pair with
  probability about sqrt(2 / (pi d)) / ``BUCKETS_PER_THRESHOLD`` in d encoded dimensions; a
  band of k keeps it together with (1 - that)^k. Closer pairs (near copies are usually far
  closer) are missed far less often.

Each row's band keys are hashed where the row is; the rows of a bucket then meet in one
partition with their features and are compared there (:mod:`audit.spark.buckets`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.buckets import BASE, KEYS, QUERY, SIDE, close_pairs_in_buckets, matrix
from audit.spark.rows import ROW
from audit.spark.session import pandas_version_quiet

BUCKETS_PER_THRESHOLD = 4.0
CANDIDATES_PER_ROW = 2.0
MISSED_AT_THRESHOLD = 0.01
MIN_PROJECTIONS, MAX_PROJECTIONS = 3, 32
MIN_BANDS, MAX_BANDS = 4, 24
DRAWS = 4
# Fewer sample pairs meeting than this measure the share too coarsely to compare with.
MIN_MEETING_PAIRS = 20


@dataclass(frozen=True)
class Banding:
    bands: int
    projections: int
    bucket_length: float

    def describe(self) -> str:
        return (f"approximate (banded random projections on Spark: {self.bands} bands of {self.projections} "
                f"projections, bucket length {self.bucket_length:.4g}; candidates within the threshold kept at "
                f"their exact distance)")


def bucket_length(threshold: float) -> float:
    return max(threshold * BUCKETS_PER_THRESHOLD, 1e-12)


def choose_banding(sample: np.ndarray, n_rows: int, threshold: float, random_state: int) -> Banding:
    """Projections a band and bands for ``n_rows`` rows like ``sample`` (rows x encoded features)."""
    width = bucket_length(threshold)
    n_sample, n_features = sample.shape
    sample_pairs = n_sample * (n_sample - 1) / 2
    allowed = min(1.0, 2 * CANDIDATES_PER_ROW / max(n_rows - 1, 1))  # a band's candidates / all pairs
    directions = np.random.default_rng(random_state).standard_normal((DRAWS, n_features, MAX_PROJECTIONS))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    buckets = np.floor(np.einsum("sf,dfp->dsp", sample, directions) / width).astype(np.int64)
    keys = np.zeros((DRAWS, n_sample), dtype=np.int64)
    projections, previous = MAX_PROJECTIONS, None
    for k in range(1, MAX_PROJECTIONS + 1):
        keys = keys * np.int64(1_000_003) + buckets[:, :, k - 1]  # wraps around; a clash only adds pairs
        share = float(np.mean([meeting_pairs(draw) for draw in keys])) / max(sample_pairs, 1)
        if k >= MIN_PROJECTIONS and share <= allowed:
            projections = k
            break
        if k >= MIN_PROJECTIONS and share * sample_pairs < MIN_MEETING_PAIRS:
            step = share / previous if previous else 0.0
            more = math.ceil(math.log(allowed / share) / math.log(step)) if 0 < step < 1 else 0
            projections = min(MAX_PROJECTIONS, k + more)
            break
        previous = share
    separated = math.sqrt(2 / (math.pi * max(n_features, 1))) / BUCKETS_PER_THRESHOLD
    together = (1 - separated) ** projections
    bands = math.ceil(math.log(MISSED_AT_THRESHOLD) / math.log(1 - together)) if together < 1 else MIN_BANDS
    return Banding(min(MAX_BANDS, max(MIN_BANDS, bands)), projections, width)


def meeting_pairs(keys: np.ndarray) -> int:
    """Pairs of rows with equal keys."""
    _, counts = np.unique(keys, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def directions(n_features: int, banding: Banding, random_state: int) -> np.ndarray:
    """Unit projection directions, features x (bands x projections), seeded."""
    drawn = np.random.default_rng([int(random_state), n_features, banding.bands, banding.projections]).standard_normal(
        (n_features, banding.bands * banding.projections))
    return drawn / np.linalg.norm(drawn, axis=0, keepdims=True)


def band_keys(banding: Banding, projections: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rows x bands: a 64-bit hash of each band and its buckets, with wrapping integer
    arithmetic (a clash only adds a candidate, which the exact distance then rejects)."""
    k = banding.projections
    buckets = np.floor(rows @ projections / banding.bucket_length).astype(np.int64)
    keys = np.empty((len(rows), banding.bands), dtype=np.int64)
    for band in range(banding.bands):
        key = np.full(len(rows), band, dtype=np.int64)
        for column in buckets[:, band * k:(band + 1) * k].T:
            key = key * np.int64(1_000_003) + column
        keys[:, band] = key
    return keys


def signatures(banding: Banding, projections: np.ndarray, frame: DataFrame, features: str, side: int) -> DataFrame:
    """ROW, :data:`~audit.spark.buckets.SIDE`, :data:`~audit.spark.buckets.KEYS` (one key a band)
    and the features: a scalar Arrow UDF does one matrix product a batch, and only the features
    go to Python (the other columns stay in the JVM)."""
    import pyarrow as pa

    bands = banding.bands

    def keys(column):
        n = len(column)
        hashed = band_keys(banding, projections, matrix(column, n).astype(np.float64))
        return pa.ListArray.from_arrays(pa.array(np.arange(0, n * bands + 1, bands, dtype=np.int32)),
                                        pa.array(hashed.ravel()))

    keys.__annotations__ = {"column": pa.Array, "return": pa.Array}  # Spark reads the kind of UDF from them
    with pandas_version_quiet():
        hashing = F.arrow_udf(keys, T.ArrayType(T.LongType()))
        return frame.select(ROW, F.lit(side).cast(T.ByteType()).alias(SIDE), hashing(F.col(features)).alias(KEYS),
                            features)


def banded_close_pairs(banding: Banding, projections: np.ndarray, base: DataFrame, queries: DataFrame | None,
                       features: str, threshold: float) -> DataFrame:
    """Pairs within the threshold that meet in a band, once each, at their exact distance ``d``:
    two base rows ``a < b``, or (``across``) a query row ``a`` and a base row ``b``. Both kinds
    come from one shuffle, so the base rows are hashed and moved once."""
    signed = signatures(banding, projections, base, features, side=BASE)
    if queries is not None:
        signed = signed.unionByName(signatures(banding, projections, queries, features, side=QUERY))
    return close_pairs_in_buckets(signed, features, threshold)
