"""Close pairs inside hash buckets: rows that share a band's bucket compared with numpy, where they meet.

Joining a bucket's rows with each other on Spark makes one row a candidate pair, and each
pair then has to fetch both rows' features (two shuffles as wide as the features, for every
candidate) before a distance can be taken. Here each (row, band) record carries its features
and every band's key instead: the records are shuffled once by their key and sorted within
their partition, so a bucket's records arrive next to each other in an Arrow batch, and one
vectorised numpy step a batch takes every pair of a bucket, keeps a pair only in the first
band where its rows meet (no distinct over the candidates), and keeps it if its exact
float64 distance is within the threshold. Only pairs within the threshold leave the Python
workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.rows import ROW
from checks.features import pair_distances
from audit.spark.session import pandas_version_quiet

SIDE = "__audit_side"
# A row's side: base rows pair with each other and with query rows, query rows only with base
# rows (train is the base and val the queries when looking for near leaks).
QUERY, BASE = 0, 1
KEYS = "__audit_band_keys"
# Candidate pairs compared in one numpy step: bounds a Python worker's memory whatever the
# size of a bucket (each pair gathers both rows' features).
PAIRS_A_STEP = 1 << 16

PAIR_SCHEMA = T.StructType([T.StructField("a", T.LongType()), T.StructField("b", T.LongType()),
                            T.StructField("d", T.DoubleType()), T.StructField("across", T.BooleanType())])


@dataclass(frozen=True)
class Records:
    """A run of (row, band) records sorted by bucket key, as numpy arrays."""

    key: np.ndarray
    band: np.ndarray
    row: np.ndarray
    side: np.ndarray
    keys: np.ndarray  # rows x bands: every band's key of the record's row
    features: np.ndarray  # rows x encoded features

    def __len__(self) -> int:
        return len(self.key)

    def take(self, start: int, stop: int | None = None) -> Records:
        return Records(*(part[start:stop] for part in self.parts()))

    def parts(self) -> tuple[np.ndarray, ...]:
        return self.key, self.band, self.row, self.side, self.keys, self.features

    @staticmethod
    def joined(first: Records | None, second: Records) -> Records:
        if first is None or not len(first):
            return second
        return Records(*(np.concatenate([a, b]) for a, b in zip(first.parts(), second.parts())))


def close_pairs_in_buckets(signed: DataFrame, features: str, threshold: float) -> DataFrame:
    """Pairs (``a``, ``b``, ``d``, ``across``) of rows sharing a bucket in some band, once each,
    within the threshold. ``signed`` has ROW, :data:`SIDE`, :data:`KEYS` (one key a band) and the
    features. Two base rows make a pair ``a < b``; a query row ``a`` and a base row ``b`` a pair
    ``across``; two query rows none."""
    records = signed.select(F.posexplode(KEYS).alias("band", "key"), ROW, SIDE, KEYS, features)
    # Most records are alone in their bucket: counted in the JVM (the count's shuffle and sort
    # by key are the ones the comparison needs), they never reach Python.
    shared = (records.withColumn("n", F.count(F.lit(1)).over(Window.partitionBy("key"))).where(F.col("n") > 1)
              .sortWithinPartitions("key"))
    def verify(batches):
        yield from close_pairs_of_batches(batches, features, threshold)

    with pandas_version_quiet():
        return shared.select("key", "band", ROW, SIDE, KEYS, features).mapInArrow(verify, PAIR_SCHEMA)


def close_pairs_of_batches(batches, features: str, threshold: float) -> Iterator:
    """The Arrow batches of one sorted partition in, batches of close pairs out. A bucket cut by
    a batch boundary is carried over to the next batch whole."""
    import pyarrow as pa

    schema = pa_schema()

    def as_batches(records: Records) -> Iterator:
        return (pa.RecordBatch.from_pydict(pairs, schema=schema) for pairs in pairs_of_records(records, threshold))

    carried = None
    for batch in batches:
        if not batch.num_rows:
            continue
        records = Records.joined(carried, records_of(batch, features))
        cut = int(np.searchsorted(records.key, records.key[-1]))
        carried = records.take(cut)
        yield from as_batches(records.take(0, cut))
    if carried is not None and len(carried):
        yield from as_batches(carried)


def pa_schema():
    import pyarrow as pa

    return pa.schema([("a", pa.int64()), ("b", pa.int64()), ("d", pa.float64()), ("across", pa.bool_())])


def matrix(column, n_rows: int) -> np.ndarray:
    """An Arrow list column of equal-length numbers as a rows x length float64/int64 array."""
    values = column.flatten().to_numpy(zero_copy_only=False)
    return values.reshape(n_rows, -1)


def records_of(batch, features: str) -> Records:
    n = batch.num_rows
    column = batch.column
    return Records(column("key").to_numpy(), column("band").to_numpy(), column(ROW).to_numpy(),
                   column(SIDE).to_numpy(), matrix(column(KEYS), n), matrix(column(features), n).astype(np.float64))


def pairs_of_records(records: Records, threshold: float) -> Iterator[dict[str, np.ndarray]]:
    """Every pair of records with the same key, compared about ``PAIRS_A_STEP`` pairs at a time."""
    n, key = len(records), records.key
    if n < 2:
        return
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], n]
    # A record pairs with the records after it in its bucket.
    partners = np.repeat(ends, ends - starts) - np.arange(n) - 1
    position = np.flatnonzero(partners)
    partners = partners[position]
    total = np.cumsum(partners)
    begin = 0
    while begin < len(position):
        done = int(total[begin - 1]) if begin else 0
        end = max(int(np.searchsorted(total, done + PAIRS_A_STEP, side="right")), begin + 1)
        counts = partners[begin:end]
        left = np.repeat(position[begin:end], counts)
        right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(counts) - counts, counts)
        found = within_threshold(records, left, right, threshold)
        if found is not None:
            yield found
        begin = end


def within_threshold(records: Records, left: np.ndarray, right: np.ndarray,
                     threshold: float) -> dict[str, np.ndarray] | None:
    paired = (records.side[left] == BASE) | (records.side[right] == BASE)
    left, right = left[paired], right[paired]
    # A pair meeting in several bands is kept in the first only (and two bands' keys that
    # happen to be equal put nothing together).
    band = records.band[left]
    same = records.keys[left] == records.keys[right]
    first = (np.argmax(same, axis=1) == band) & (records.band[right] == band)
    left, right = left[first], right[first]
    if not len(left):
        return None
    distance = pair_distances(records.features, left, records.features, right)
    close = distance <= threshold
    if not close.any():
        return None
    left, right, distance = left[close], right[close], distance[close]
    a, b = records.row[left], records.row[right]
    across = records.side[left] != records.side[right]
    query_first = records.side[left] == QUERY
    first = np.where(across, np.where(query_first, a, b), np.minimum(a, b))
    second = np.where(across, np.where(query_first, b, a), np.maximum(a, b))
    return {"a": first, "b": second, "d": distance, "across": across}
