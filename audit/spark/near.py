"""Near duplicates and near leakage on Spark: the same encoded features, MLlib's LSH for the pairs.

Encoding (:func:`spark_encoding`) follows :mod:`checks.features` column by column: numeric,
boolean and date columns centred on the train median and divided by the train IQR (the
standard deviation where it is 0, then 1), missing values at 0 with a ``__missing``
indicator, small categoricals one-hot (x 1/sqrt 2) with a ``__missing`` indicator for values
train lacks, identifier-like and high-cardinality columns left out. The statistics are Spark
aggregates over every train row; quartiles are exact up to ``EXACT_QUANTILE_ROWS`` train rows
and from ``percentile_approx`` (relative rank error 1e-4) above, where scales can differ from
numpy's interpolated quartiles in the last digits.

As on one machine, rows are compared once per group of identical features (the group's first
row), and the threshold is ``max_relative_distance`` times the median distance from a
distinct train row to its nearest other one (or ``max_distance``). That median is measured
exactly, on every distinct train row up to ``CALIBRATION_SAMPLE`` and on a seeded sample of
that many above it: the sample is broadcast and each partition computes its distances to it.

Pairs within the threshold come from Spark MLlib's ``BucketedRandomProjectionLSH``, banded
(:mod:`audit.spark.lsh`), with as many projections a band and bands as the rows and the
calibration sample call for.
The pairs then go through the pandas check's own rule (each row's ``WITHIN_K`` nearest
within the threshold, rows visited in file order, a row flagged when a kept earlier row is
close), so the findings mean the same; distances are float64 from Spark, so they can differ
from the float32 matrix's in the last digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.identifiers import as_float
from audit.spark.lsh import Banding, candidate_pairs, choose_banding, fit_model
from audit.spark.load import DATETIME, H1, H2, NUMBER_PATTERN, NUMERIC_KINDS, SparkAuditData, _q, _try_cast
from audit.spark.rows import ROW
from audit.spark.session import pandas_version_quiet
from checks.base import Finding
from checks.features import MAX_CATEGORIES, ONE_HOT_SCALE
from checks.near_duplicates import NearDuplicates, NearLeakage, Threshold, not_compared
from checks.neighbours import WITHIN_K

FEATURES = "__audit_features"
VECTOR = "__audit_vector"
QUANTILE_ACCURACY = 10_000
# Up to this many train rows the quartiles are exact (numpy's linear interpolation; the
# values of a column are held in one aggregation buffer); above, percentile_approx.
EXACT_QUANTILE_ROWS = 2_000_000
# Above this many distinct train rows the typical distance is measured (exactly) on a seeded
# sample of them; the finding's metrics say so.
CALIBRATION_SAMPLE = 5000


@dataclass
class SparkEncoding:
    """The encoded columns' names and sources, what was left out, and one expression a column."""

    columns: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)
    expressions: dict[str, list[Column]] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return len(self.columns)


def _text(value: Column, kind: str) -> Column:
    """Text keys with numbers written one way, missing as null (as ``checks.features._as_text``)."""
    if kind in NUMERIC_KINDS:
        number = value.cast("double")
        return F.when(F.isnan(number), F.lit(None)).otherwise(F.when(number == 0, 0.0).otherwise(number).cast("string"))
    text = value.cast("string")
    number = F.when(text.rlike(NUMBER_PATTERN), _try_cast(text, "DOUBLE"))
    return F.when(number.isNotNull(), F.when(number == 0, 0.0).otherwise(number).cast("string")).otherwise(text)


def spark_encoding(data: SparkAuditData) -> SparkEncoding:
    """Shared: the encoding of ``data``'s features, fitted on every train row."""
    return data.shared("spark_encoding", _fit_encoding)


def _fit_encoding(data: SparkAuditData) -> SparkEncoding:
    kinds = data.kinds
    numeric = [c for c in data.feature_columns
               if all(kinds[s][c] in (*NUMERIC_KINDS, DATETIME) for s in data.splits)]
    text = [c for c in data.feature_columns if c not in numeric]
    train = data.spark_frames["train"]
    n_train = data.n_rows["train"]
    aggregates: list[Column] = []
    for i, column in enumerate(numeric):
        value = as_float(F.col(_q(column)), kinds["train"][column])
        aggregates += [
            F.count(value).alias(f"n{i}"),
            (F.percentile(value, F.array(*[F.lit(q) for q in (0.25, 0.5, 0.75)])) if n_train <= EXACT_QUANTILE_ROWS
             else F.percentile_approx(value, [0.25, 0.5, 0.75], QUANTILE_ACCURACY)).alias(f"q{i}"),
            F.stddev_pop(value).alias(f"s{i}"),
        ]
    for i, column in enumerate(text):
        aggregates += [F.approx_count_distinct(_text(F.col(_q(column)), kinds["train"][column]), 0.01).alias(f"t{i}"),
                       F.count(_text(F.col(_q(column)), kinds["train"][column])).alias(f"tn{i}")]
    stats = train.agg(*aggregates).collect()[0] if aggregates else {}
    # Exact distinct counts only where the estimate leaves the decision open.
    open_text = [i for i, c in enumerate(text) if 0.7 * MAX_CATEGORIES <= stats[f"t{i}"] <= 1.5 * MAX_CATEGORIES]
    exact_counts: dict[str, int] = {}
    if open_text:
        row = train.agg(*[F.countDistinct(_text(F.col(_q(text[i])), kinds["train"][text[i]])).alias(f"t{i}")
                          for i in open_text]).collect()[0]
        exact_counts = row.asDict()
    missing_any = _missing_anywhere(data, numeric)

    # One part a column, joined in the order of the columns as on one machine (models see
    # the encoded columns in that order; tree ensembles depend on it).
    parts: dict[str, SparkEncoding] = {}
    for i, column in enumerate(numeric):
        encoding = parts[column] = SparkEncoding(expressions={split: [] for split in data.splits})
        if column in data.identifiers:
            encoding.dropped.append({"column": column, "reason": data.identifiers[column]})
            continue
        low, centre, high = stats[f"q{i}"] or (0.0, 0.0, 0.0)
        scale = (high - low) if stats[f"n{i}"] else 1.0
        if not scale > 0:
            scale = stats[f"s{i}"] or 0.0
        if not scale > 0:
            scale = 1.0
        centre = centre if stats[f"n{i}"] else 0.0
        encoding.columns.append(column)
        encoding.sources.append(column)
        for split in data.splits:
            value = as_float(F.col(_q(column)), kinds[split][column])
            encoding.expressions[split].append(F.coalesce((value - F.lit(centre)) / F.lit(scale), F.lit(0.0)))
        if missing_any.get(column):
            encoding.columns.append(f"{column}__missing")
            encoding.sources.append(column)
            for split in data.splits:
                value = as_float(F.col(_q(column)), kinds[split][column])
                encoding.expressions[split].append(value.isNull().cast("double"))
    categories = _categories(data, [c for i, c in enumerate(text)
                                    if exact_counts.get(f"t{i}", stats[f"t{i}"]) <= MAX_CATEGORIES])
    for i, column in enumerate(text):
        encoding = parts[column] = SparkEncoding(expressions={split: [] for split in data.splits})
        n_distinct = int(exact_counts.get(f"t{i}", stats[f"t{i}"]))
        if n_distinct > MAX_CATEGORIES:
            kind = "identifier-like: unique per row" if n_distinct == stats[f"tn{i}"] else "high-cardinality text"
            encoding.dropped.append({"column": column, "reason": (
                f"{kind} ({n_distinct} distinct values in train, more than {MAX_CATEGORIES} to one-hot encode)")})
            continue
        known = categories.get(column, [])
        for category in known:
            encoding.columns.append(f"{column}={category}")
            encoding.sources.append(column)
            for split in data.splits:
                key = _text(F.col(_q(column)), kinds[split][column])
                encoding.expressions[split].append(
                    F.when(key == F.lit(category), F.lit(float(ONE_HOT_SCALE))).otherwise(F.lit(0.0)))
        if _has_unknown(data, column, known):
            encoding.columns.append(f"{column}__missing")
            encoding.sources.append(column)
            for split in data.splits:
                key = _text(F.col(_q(column)), kinds[split][column])
                unknown = key.isNull() | ~key.isin(*known) if known else F.lit(True)
                encoding.expressions[split].append(F.when(unknown, F.lit(float(ONE_HOT_SCALE))).otherwise(F.lit(0.0)))
    whole = SparkEncoding(expressions={split: [] for split in data.splits})
    for column in data.feature_columns:
        part = parts[column]
        whole.columns += part.columns
        whole.sources += part.sources
        whole.dropped += part.dropped
        for split in data.splits:
            whole.expressions[split] += part.expressions[split]
    return whole


def _missing_anywhere(data: SparkAuditData, numeric: list[str]) -> dict[str, bool]:
    found = {c: False for c in numeric}
    if not numeric:
        return found
    for split in data.splits:
        row = data.spark_frames[split].agg(*[
            F.count(as_float(F.col(_q(c)), data.kinds[split][c])).alias(f"n{i}") for i, c in enumerate(numeric)
        ]).collect()[0]
        for i, column in enumerate(numeric):
            found[column] |= row[f"n{i}"] < data.n_rows[split]
    return found


def _categories(data: SparkAuditData, columns: list[str]) -> dict[str, list[str]]:
    if not columns:
        return {}
    pairs = F.explode(F.array(*[F.struct(F.lit(c).alias("c"), _text(F.col(_q(c)), data.kinds["train"][c]).alias("v"))
                                for c in columns]))
    found = data.spark_frames["train"].select(pairs.alias("p")).select("p.c", "p.v").filter(F.col("v").isNotNull()) \
        .distinct().collect()
    categories: dict[str, list[str]] = {c: [] for c in columns}
    for record in found:
        categories[record["c"]].append(record["v"])
    return {c: sorted(v) for c, v in categories.items()}


def _has_unknown(data: SparkAuditData, column: str, known: list[str]) -> bool:
    for split in data.splits:
        key = _text(F.col(_q(column)), data.kinds[split][column])
        unknown = key.isNull() | ~key.isin(*known) if known else F.lit(True)
        if data.spark_frames[split].filter(unknown).limit(1).count():
            return True
    return False


def encoded(data: SparkAuditData, split: str) -> DataFrame:
    """ROW, label, the hashes, the encoded features as an array and as an MLlib vector."""
    from pyspark.ml.functions import array_to_vector

    encoding = spark_encoding(data)
    features = F.array(*encoding.expressions[split]).cast("array<double>")
    return (data.spark_frames[split].select(ROW, F.col(_q(data.label)).alias("__label"), H1, H2,
                                            features.alias(FEATURES))
            .withColumn(VECTOR, array_to_vector(F.col(FEATURES))))


def distinct_rows(data: SparkAuditData, split: str) -> DataFrame:
    """The first row of each group of identical features, encoded; cached for the audit."""
    def compute(d: SparkAuditData) -> DataFrame:
        frame = encoded(d, split)
        first = frame.groupBy(H1, H2).agg(F.min(ROW).alias(ROW))
        return frame.join(first, on=[H1, H2, ROW], how="left_semi").persist()

    return data.shared(f"spark_distinct:{split}", compute)


def calibration_sample(data: SparkAuditData) -> tuple[np.ndarray, np.ndarray, int]:
    """(row numbers, encoded features) of up to ``CALIBRATION_SAMPLE`` distinct train rows
    chosen by a seeded hash of the row number, and the number of distinct train rows; shared."""
    def compute(d: SparkAuditData) -> tuple[np.ndarray, np.ndarray, int]:
        distinct = distinct_rows(d, "train")
        order = F.xxhash64(F.col(ROW), F.lit(int(d.random_state)))
        sample = distinct.select(ROW, FEATURES).orderBy(order, ROW).limit(CALIBRATION_SAMPLE).collect()
        rows = np.array([r[ROW] for r in sample], dtype=np.int64)
        vectors = np.array([r[FEATURES] for r in sample], dtype=np.float64).reshape(len(sample), -1)
        return rows, vectors, distinct.count()

    return data.shared("spark_calibration_sample", compute)


def typical_distance(data: SparkAuditData) -> tuple[float | None, int, int]:
    """(median nearest-other-row distance, rows measured, distinct train rows); shared."""
    return data.shared("spark_typical_distance", _typical_distance)


def _typical_distance(data: SparkAuditData) -> tuple[float | None, int, int]:
    distinct = distinct_rows(data, "train")
    rows, vectors, n_distinct = calibration_sample(data)
    if len(rows) < 2 or vectors.shape[1] == 0:
        return None, len(rows), n_distinct
    shared = distinct.sparkSession.sparkContext.broadcast((rows, vectors))

    def nearest(batches):
        sample_rows, sample_vectors = shared.value
        sample_norms = (sample_vectors ** 2).sum(axis=1)
        best = np.full(len(sample_rows), np.inf)
        for batch in batches:
            base = np.array(batch[FEATURES].tolist(), dtype=np.float64).reshape(len(batch), -1)
            base_rows = batch[ROW].to_numpy()
            # |s - b|^2 = |s|^2 + |b|^2 - 2 s.b, one matrix product a batch; clipped at 0 for rounding.
            for start in range(0, len(base), 1024):
                chunk, chunk_rows = base[start:start + 1024], base_rows[start:start + 1024]
                d2 = sample_norms[:, None] + (chunk ** 2).sum(axis=1)[None, :] - 2.0 * sample_vectors @ chunk.T
                np.maximum(d2, 0.0, out=d2)
                d2[sample_rows[:, None] == chunk_rows[None, :]] = np.inf
                best = np.minimum(best, d2.min(axis=1))
        yield pd.DataFrame({"i": np.arange(len(sample_rows)), "d2": best})

    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("d2", T.DoubleType())])
    with pandas_version_quiet():
        mins = (distinct.select(ROW, FEATURES).mapInPandas(nearest, schema)
                .groupBy("i").agg(F.min("d2").alias("d2")).collect())
    shared.unpersist()
    nearest_distances = np.sqrt(np.array([r["d2"] for r in mins], dtype=np.float64))
    positive = nearest_distances[np.isfinite(nearest_distances) & (nearest_distances > 0)]
    value = float(np.median(positive)) if len(positive) else None
    return value, len(rows), n_distinct


def near_threshold(data: SparkAuditData, max_relative_distance: float, max_distance: float | None) -> Threshold:
    """The threshold with the pandas check's metrics; the search and the sampling say Spark."""
    encoding = spark_encoding(data)
    typical, n_measured, n_distinct = typical_distance(data)
    metrics: dict[str, Any] = {
        "typical_neighbour_distance": typical,
        "max_relative_distance": max_relative_distance,
        "neighbour_search": "",
        "n_encoded_features": encoding.n_features,
        "dropped_columns": [d["column"] for d in encoding.dropped],
        "sampled": [],
    }
    if n_measured < n_distinct:
        metrics["sampled"].append({"part": "typical_neighbour_distance", "rows": n_measured, "of_rows": n_distinct,
                                   "search": "exact (each Spark partition against the broadcast sample)"})
    if max_distance is not None:
        value, source = float(max_distance), "absolute"
    elif typical is not None:
        value, source = float(max_relative_distance * typical), "relative"
    else:
        value, source = None, "none"
    if value is not None:
        metrics["neighbour_search"] = lsh_for(data, value)[0].describe()
    metrics["threshold"] = value
    metrics["threshold_source"] = source
    return Threshold(value, source, metrics)


def lsh_for(data: SparkAuditData, threshold: float) -> tuple[Banding, Any]:
    """The banding for this threshold and the MLlib model with its projections; shared."""
    def compute(d: SparkAuditData) -> tuple[Banding, Any]:
        _, vectors, n_distinct = calibration_sample(d)
        banding = choose_banding(vectors, n_distinct, threshold, d.random_state)
        return banding, fit_model(distinct_rows(d, "train"), VECTOR, banding, d.random_state)

    return data.shared(f"spark_lsh:{threshold!r}", compute)


def close_pairs(data: SparkAuditData, split: str, threshold: float) -> pd.DataFrame:
    """Pairs of distinct rows of a split within the threshold: a < b (row numbers), distance d."""
    def compute(d: SparkAuditData) -> pd.DataFrame:
        rows = distinct_rows(d, split)
        banding, model = lsh_for(d, threshold)
        pairs = candidate_pairs(model, banding, rows, rows, FEATURES, threshold, within=True).collect()
        return pd.DataFrame(pairs, columns=["a", "b", "d"]).astype({"a": "int64", "b": "int64", "d": "float64"})

    return data.shared(f"spark_pairs:{split}:{threshold!r}", compute)


def near_rows_within(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pandas rule on the pairs: each row's ``WITHIN_K`` nearest, then the file-order walk."""
    if pairs.empty:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64)
    both = pd.concat([pairs.rename(columns={"a": "q", "b": "o"}), pairs.rename(columns={"b": "q", "a": "o"})])
    both = both.sort_values(["q", "d", "o"], kind="stable").groupby("q", sort=False).head(WITHIN_K)
    edges = pd.DataFrame({"a": np.minimum(both["q"], both["o"]), "b": np.maximum(both["q"], both["o"]),
                          "d": both["d"].to_numpy()}).drop_duplicates(["a", "b"])
    edges = edges.sort_values(["b", "d", "a"], kind="stable")
    flagged: dict[int, tuple[int, float]] = {}
    for a_i, b_i, d_i in edges.itertuples(index=False):
        if b_i not in flagged and a_i not in flagged:
            flagged[b_i] = (a_i, d_i)
    later = np.array(sorted(flagged), dtype=np.int64)
    earlier = np.array([flagged[b][0] for b in later], dtype=np.int64)
    dist = np.array([flagged[b][1] for b in later], dtype=np.float64)
    return later, earlier, dist


def near_leaks(data: SparkAuditData, threshold: float) -> pd.DataFrame:
    """Every val row (not an exact copy of a train row) with its nearest distinct train row
    within the threshold: columns row, train_row, d, label, train_label; by row."""
    def compute(d: SparkAuditData) -> pd.DataFrame:
        train = distinct_rows(d, "train")
        train_hashes = d.spark_frames["train"].select(H1, H2).distinct()
        val = encoded(d, "val").join(train_hashes, on=[H1, H2], how="left_anti")
        banding, model = lsh_for(d, threshold)
        pairs = (candidate_pairs(model, banding, val, train, FEATURES, threshold, within=False)
                 .join(val.select(F.col(ROW).alias("a"), F.col("__label").alias("la")), on="a")
                 .join(train.select(F.col(ROW).alias("b"), F.col("__label").alias("lb")), on="b"))
        nearest = (pairs.select("a", "la", F.struct("d", "b", "lb").alias("m"))
                   .groupBy("a", "la").agg(F.min("m").alias("m"))
                   .select(F.col("a").alias("row"), F.col("m.b").alias("train_row"), F.col("m.d").alias("d"),
                           F.col("la").alias("label"), F.col("m.lb").alias("train_label"))
                   .orderBy("row").collect())
        return pd.DataFrame([tuple(r) for r in nearest], columns=["row", "train_row", "d", "label", "train_label"])

    return data.shared(f"spark_near_leaks:{threshold!r}", compute)


def labels_of(data: SparkAuditData, split: str, rows: np.ndarray) -> pd.Series:
    if not len(rows):
        return pd.Series([], dtype=object)
    keys = data.spark.createDataFrame([(int(r),) for r in np.unique(rows)], T.StructType([T.StructField(ROW, T.LongType())]))
    found = data.compact(split).join(keys, on=ROW).collect()
    return pd.Series({r[ROW]: r[data.label] for r in found}, dtype=object)


def near_duplicates(check: NearDuplicates, data: SparkAuditData) -> list[Finding]:
    threshold = near_threshold(data, check.max_relative_distance, check.max_distance)
    if threshold.value is None or threshold.metrics["n_encoded_features"] == 0:
        return [not_compared("near_duplicates", None, threshold)]
    findings = []
    for split in data.splits:
        rows, kept, dist = near_rows_within(close_pairs(data, split, threshold.value))
        if len(rows):
            findings.append(check.near_duplicates_finding(split, data.n_rows[split], rows, kept, dist, threshold,
                                                          distinct_rows(data, split).count()))
            labels = labels_of(data, split, np.concatenate([rows, kept]))
            conflict = check.conflicts_within_finding(split, data.n_rows[split], labels, rows, kept, dist, threshold)
            if conflict is not None:
                findings.append(conflict)
    if "val" in data.splits:
        leaks = near_leaks(data, threshold.value)
        conflict = check.conflicts_across_finding(data.n_rows["val"], leaks["row"].to_numpy(),
                                                  leaks["train_row"].to_numpy(), leaks["d"].to_numpy(),
                                                  leaks["label"].to_numpy(), leaks["train_label"].to_numpy(),
                                                  threshold)
        if conflict is not None:
            findings.append(conflict)
    return findings


def near_leakage(check: NearLeakage, data: SparkAuditData) -> list[Finding]:
    threshold = near_threshold(data, check.max_relative_distance, check.max_distance)
    if threshold.value is None or threshold.metrics["n_encoded_features"] == 0:
        return [not_compared("near_leakage", "val", threshold)]
    leaks = near_leaks(data, threshold.value)
    return check.finding(data.n_rows["val"], leaks["row"].to_numpy(), leaks["train_row"].to_numpy(),
                         leaks["d"].to_numpy(), threshold)


IMPLEMENTATIONS = {"near_duplicates": near_duplicates, "near_leakage": near_leakage}
