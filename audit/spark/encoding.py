"""The features encoded on Spark as :mod:`checks.encoders` encodes them on one machine.

Each feature column's :class:`~checks.encoders.ColumnFacts` are measured with one aggregate
pass over every train row (whether every split is numeric, dates, the row counters found at
load time, and the distinct and present text keys of the other columns: an approximate
distinct count, made exact where it leaves the one-hot limit or uniqueness open), and
:func:`checks.encoders.decide_kind` decides each kind by the pandas engine's rules, reasons
included. A kind then becomes Spark column expressions (:data:`BUILDERS`): numbers, booleans
and dates centred on the train median and divided by the train IQR (the standard deviation
where it is 0, then 1), missing values at 0 with a ``__missing`` indicator; small
categoricals one-hot (x 1/sqrt 2) with a ``__missing`` indicator for values train lacks; a
kind without a builder (identifiers, row counters) is left out with its kind's reason.
Quartiles are exact up to ``EXACT_QUANTILE_ROWS`` train rows and from ``percentile_approx``
(relative rank error 1e-4) above, where scales can differ from numpy's interpolated quartiles
in the last digits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from audit.spark.identifiers import as_float
from audit.spark.kinds import DATETIME, NUMERIC_KINDS, quoted
from audit.spark.load import H1, H2, SparkAuditData, text_key
from audit.spark.rows import ROW
from checks.encoders import MAX_CATEGORIES, ColumnFacts, ColumnKind, decide_kind, role_kinds
from checks.encoders.tabular import ONE_HOT_SCALE

FEATURES = "__audit_features"
QUANTILE_ACCURACY = 10_000
# Up to this many train rows the quartiles are exact (numpy's linear interpolation); above,
# percentile_approx. Spark's exact percentile holds every value of every numeric column in
# one task's aggregation buffer, so at a million rows it costs more than the whole audit's
# exact checks; the approximate quartiles are within 1/QUANTILE_ACCURACY of the rows' ranks.
EXACT_QUANTILE_ROWS = 200_000
# A text column whose approximate distinct count (relative error 1%) is at least this share of
# its present values may be unique per row: its distinct values are counted exactly.
UNIQUE_SCREEN = 0.95


@dataclass
class SparkEncoding:
    """The encoded columns' names and sources, what was left out, and one expression a column."""

    columns: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)
    expressions: dict[str, list[Column]] = field(default_factory=dict)
    kinds: dict[str, ColumnKind] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return len(self.columns)

    def add(self, name: str, source: str, per_split: dict[str, Column]) -> None:
        self.columns.append(name)
        self.sources.append(source)
        for split, expression in per_split.items():
            self.expressions.setdefault(split, []).append(expression)


@dataclass(frozen=True)
class TrainStats:
    """What the builders read of the train aggregates: per numeric column its count, quartiles
    and standard deviation; whether any split misses a value; per categorical its categories."""

    numbers: dict[str, Any]
    missing_anywhere: dict[str, bool]
    categories: dict[str, list[str]]


def spark_encoding(data: SparkAuditData) -> SparkEncoding:
    """Shared: the encoding of ``data``'s features, fitted on every train row."""
    return data.shared("spark_encoding", _fit_encoding)


def spark_column_kinds(data: SparkAuditData) -> dict[str, ColumnKind]:
    """Every train column's kind and reason, as :func:`checks.encoders.column_kinds` gives them."""
    decided = {**role_kinds(data), **spark_encoding(data).kinds}
    return {column: decided[column] for column in data.frames["train"].columns}


def _fit_encoding(data: SparkAuditData) -> SparkEncoding:
    facts, numbers = _measure(data)
    decided = {column: decide_kind(facts[column]) for column in data.feature_columns}
    stats = TrainStats(
        numbers=numbers,
        missing_anywhere=_missing_anywhere(data, [c for c in numbers if decided[c].kind in NUMBER_KINDS]),
        categories=_categories(data, [c for c in data.feature_columns if decided[c].kind == "categorical"]),
    )
    # Columns in file order, as on one machine: models see the encoded columns in that
    # order, and tree ensembles depend on it.
    whole = SparkEncoding(expressions={split: [] for split in data.splits}, kinds=decided)
    for column in data.feature_columns:
        builder = BUILDERS.get(decided[column].kind)
        before = whole.n_features
        if builder is not None:
            builder(data, column, stats, whole)
        if whole.n_features == before:
            whole.dropped.append({"column": column, "reason": decided[column].reason})
    return whole


def _measure(data: SparkAuditData) -> tuple[dict[str, ColumnFacts], dict[str, Any]]:
    """Each feature column's facts, and per numeric column (count, quartiles, standard
    deviation) over train: one aggregate pass, and a second for the exact distinct counts."""
    kinds = data.kinds
    numeric = [c for c in data.feature_columns
               if all(kinds[s][c] in (*NUMERIC_KINDS, DATETIME) for s in data.splits)]
    text = [c for c in data.feature_columns if c not in numeric]
    train = data.spark_frames["train"]
    n_train = data.n_rows["train"]
    aggregates: list[Column] = []
    for i, column in enumerate(numeric):
        value = as_float(F.col(quoted(column)), kinds["train"][column])
        aggregates += [
            F.count(value).alias(f"n{i}"),
            (F.percentile(value, F.array(*[F.lit(q) for q in (0.25, 0.5, 0.75)])) if n_train <= EXACT_QUANTILE_ROWS
             else F.percentile_approx(value, [0.25, 0.5, 0.75], QUANTILE_ACCURACY)).alias(f"q{i}"),
            F.stddev_pop(value).alias(f"s{i}"),
        ]
    keys = {column: text_key(F.col(quoted(column)), kinds["train"][column]) for column in text}
    for i, column in enumerate(text):
        aggregates += [F.approx_count_distinct(keys[column], 0.01).alias(f"t{i}"), F.count(keys[column]).alias(f"tn{i}")]
    stats = train.agg(*aggregates).collect()[0].asDict() if aggregates else {}
    # Exact distinct counts only where the estimate leaves the decision open: near the one-hot
    # limit, or near one value a row (an identifier's reason says whether it is unique).
    open_text = [i for i in range(len(text)) if 0.7 * MAX_CATEGORIES <= stats[f"t{i}"] <= 1.5 * MAX_CATEGORIES
                 or stats[f"t{i}"] >= UNIQUE_SCREEN * stats[f"tn{i}"]]
    if open_text:
        stats |= train.agg(*[F.countDistinct(keys[text[i]]).alias(f"t{i}") for i in open_text]).collect()[0].asDict()

    def facts_of(column: str, **counts: int) -> ColumnFacts:
        # Record ids (text) are claimed from their distinct counts, as on pandas; only whole numbers count rows.
        counter = column in numeric and column in data.identifiers
        return ColumnFacts(column, n_train, numeric=column in numeric, dates=_has_dates(data, column),
                           row_counter=counter, declared=data.declared_kinds.get(column), **counts)

    facts = {column: facts_of(column) for column in numeric}
    facts |= {column: facts_of(column, n_distinct=int(stats[f"t{i}"]), n_present=int(stats[f"tn{i}"]))
              for i, column in enumerate(text)}
    return facts, {column: (stats[f"n{i}"], stats[f"q{i}"], stats[f"s{i}"]) for i, column in enumerate(numeric)}


def _has_dates(data: SparkAuditData, column: str) -> bool:
    return any(data.kinds[split][column] == DATETIME for split in data.splits)


def _numbers(data: SparkAuditData, column: str, stats: TrainStats, encoding: SparkEncoding) -> None:
    """Scaled by the train median and IQR, as :func:`checks.encoders.tabular.numeric_blocks`."""
    n_present, quartiles, spread = stats.numbers[column]
    low, centre, high = quartiles or (0.0, 0.0, 0.0)
    scale = (high - low) if n_present else 1.0
    if not scale > 0:
        scale = spread or 0.0
    if not scale > 0:
        scale = 1.0
    centre = centre if n_present else 0.0
    values = {split: as_float(F.col(quoted(column)), data.kinds[split][column]) for split in data.splits}
    encoding.add(column, column, {split: F.coalesce((v - F.lit(centre)) / F.lit(scale), F.lit(0.0))
                                  for split, v in values.items()})
    if stats.missing_anywhere.get(column):
        encoding.add(f"{column}__missing", column, {split: v.isNull().cast("double") for split, v in values.items()})


def _one_hot(data: SparkAuditData, column: str, stats: TrainStats, encoding: SparkEncoding) -> None:
    """An indicator per train category and one for the rest, as :func:`checks.encoders.tabular.one_hot_blocks`."""
    known = stats.categories.get(column, [])
    keys = {split: text_key(F.col(quoted(column)), data.kinds[split][column]) for split in data.splits}
    on = F.lit(float(ONE_HOT_SCALE))
    for category in known:
        encoding.add(f"{column}={category}", column,
                     {split: F.when(key == F.lit(category), on).otherwise(F.lit(0.0)) for split, key in keys.items()})
    if _has_unknown(data, column, known):
        encoding.add(f"{column}__missing", column,
                     {split: F.when(_unknown(key, known), on).otherwise(F.lit(0.0)) for split, key in keys.items()})


NUMBER_KINDS = ("numeric", "date")
BUILDERS: dict[str, Callable[[SparkAuditData, str, TrainStats, SparkEncoding], None]] = {
    "numeric": _numbers, "date": _numbers, "categorical": _one_hot,
}


def _missing_anywhere(data: SparkAuditData, numeric: list[str]) -> dict[str, bool]:
    found = {c: False for c in numeric}
    if not numeric:
        return found
    for split in data.splits:
        row = data.spark_frames[split].agg(*[
            F.count(as_float(F.col(quoted(c)), data.kinds[split][c])).alias(f"n{i}") for i, c in enumerate(numeric)
        ]).collect()[0]
        for i, column in enumerate(numeric):
            found[column] |= row[f"n{i}"] < data.n_rows[split]
    return found


def _categories(data: SparkAuditData, columns: list[str]) -> dict[str, list[str]]:
    if not columns:
        return {}
    pairs = F.explode(F.array(*[F.struct(F.lit(c).alias("c"), text_key(F.col(quoted(c)), data.kinds["train"][c]).alias("v"))
                                for c in columns]))
    found = data.spark_frames["train"].select(pairs.alias("p")).select("p.c", "p.v").filter(F.col("v").isNotNull()) \
        .distinct().collect()
    categories: dict[str, list[str]] = {c: [] for c in columns}
    for record in found:
        categories[record["c"]].append(record["v"])
    return {c: sorted(v) for c, v in categories.items()}


def _unknown(key: Column, known: list[str]) -> Column:
    return key.isNull() | ~key.isin(*known) if known else F.lit(True)


def _has_unknown(data: SparkAuditData, column: str, known: list[str]) -> bool:
    for split in data.splits:
        key = text_key(F.col(quoted(column)), data.kinds[split][column])
        if data.spark_frames[split].filter(_unknown(key, known)).limit(1).count():
            return True
    return False


def encoded(data: SparkAuditData, split: str) -> DataFrame:
    """ROW, label, the hashes and the encoded features as an array of doubles."""
    encoding = spark_encoding(data)
    features = F.array(*encoding.expressions[split]).cast("array<double>")
    return data.spark_frames[split].select(ROW, F.col(quoted(data.label)).alias("__label"), H1, H2,
                                           features.alias(FEATURES))
