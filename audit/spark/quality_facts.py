"""What data_quality measures on Spark: the train columns' profiles and each split's facts.

Both come from aggregates over every row, one pass a split, and are exact, so the suite and
the facts are the ones :mod:`checks.expectations_suite` and :mod:`checks.quality_facts`
compute with pandas:

- a profile (:class:`~checks.expectations_suite.ColumnProfile`) per train column: its type
  family from the column's kind, the share of missing cells (NaN counts as missing, as in
  pandas), the smallest and largest finite value of number features, and the distinct values
  of text features with at most ``max_categories`` of them (screened by an approximate
  distinct count, then listed exactly for the columns near or under the limit);
- a split's facts (:class:`~checks.quality_facts.SplitFacts`): infinite values, columns
  entirely missing or holding one value, text columns mixing numbers and text, formula-like
  cells; only the columns these name send rows back, their first ten by row number.

Both read :func:`validated_view`: the split's data columns with NaN turned into null, plus
the row number.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.findings import plain
from audit.spark.load import BOOLEAN, DATETIME, FLOAT, INTEGER, NUMBER_PATTERN, TEXT, SparkAuditData, quoted
from audit.spark.rows import ROW
from checks.expectations_suite import (
    BOOL_TYPES,
    DATETIME_TYPES,
    EXAMPLES_SHOWN,
    NUMERIC_TYPES,
    TEXT_TYPES,
    ColumnProfile,
    SuiteSettings,
    describe_value,
)
from checks.quality_facts import FORMULA_PREFIXES, Cells, Mixed, SplitFacts, stray_is_text

# A text column is screened by an approximate distinct count (relative error 1%); only those
# the estimate puts under this many times max_categories have their values listed exactly.
SCREEN_FACTOR = 1.5
FORMULA_PATTERN = "^[" + "".join("\\" + p for p in FORMULA_PREFIXES) + "]"
ORDERABLE = (T.NumericType, T.StringType, T.BooleanType, T.TimestampType, T.TimestampNTZType, T.DateType)


def validated_view(data: SparkAuditData, split: str) -> DataFrame:
    """The split's data columns in train's order, NaN as null (pandas' missing), then ROW."""
    frame = data.spark_frames[split]
    columns = []
    for column in data.frames["train"].columns:
        value = F.col(quoted(column))
        if data.kinds[split][column] == FLOAT:
            value = F.when(F.isnan(value), F.lit(None)).otherwise(value)
        columns.append(value.alias(column))
    return frame.select(*columns, ROW)


def type_family(data: SparkAuditData, column: str) -> list[str] | None:
    """The pandas type names a train column's kind stands for (see ``checks.expectations_suite.type_list``)."""
    kind = data.kinds["train"][column]
    if kind == BOOLEAN:
        return BOOL_TYPES
    if kind in (INTEGER, FLOAT):
        return NUMERIC_TYPES
    if kind == DATETIME:
        # pandas has a dtype for times without a zone only; dates and zoned instants get no type.
        naive = isinstance(data.spark_frames["train"].schema[column].dataType, T.TimestampNTZType)
        return DATETIME_TYPES if naive else None
    if kind == TEXT and isinstance(data.spark_frames["train"].schema[column].dataType, T.StringType):
        return TEXT_TYPES
    return None


def train_profiles(data: SparkAuditData, settings: SuiteSettings) -> dict[str, ColumnProfile]:
    """Every train column's profile, in train's order."""
    view = validated_view(data, "train")
    n_rows = data.n_rows["train"]
    columns = list(data.frames["train"].columns)
    features = set(data.feature_columns)
    numbers = [c for c in columns if c in features and data.kinds["train"][c] in (INTEGER, FLOAT)]
    texts = [c for c in columns if c in features and type_family(data, c) == TEXT_TYPES]
    finite = {c: F.when(~F.col(quoted(c)).isin(float("inf"), float("-inf")), F.col(quoted(c))) for c in numbers}
    stats = view.agg(
        *[F.count(quoted(c)).alias(f"n{i}") for i, c in enumerate(columns)],
        *[F.min(finite[c]).alias(f"lo_{c}") for c in numbers], *[F.max(finite[c]).alias(f"hi_{c}") for c in numbers],
        *[F.approx_count_distinct(quoted(c), 0.01).alias(f"d_{c}") for c in texts],
    ).collect()[0].asDict()
    listed = [c for c in texts if stats[f"d_{c}"] <= SCREEN_FACTOR * settings.max_categories]
    categories = {c: distinct_values(view, c, settings.max_categories) for c in listed}
    profiles = {}
    for i, column in enumerate(columns):
        present = int(stats[f"n{i}"])
        kind = data.kinds["train"][column]
        low, high = stats.get(f"lo_{column}"), stats.get(f"hi_{column}")
        profiles[column] = ColumnProfile(
            type_list=type_family(data, column),
            null_share=(n_rows - present) / n_rows,
            number=kind in (INTEGER, FLOAT),
            integer=kind == INTEGER and present == n_rows,
            finite_range=(float(low), float(high)) if low is not None else None,
            categories=categories.get(column),
            n_present=present,
        )
    return profiles


def distinct_values(view: DataFrame, column: str, limit: int) -> list[str] | None:
    """The column's distinct present values, or None when there are more than ``limit``."""
    found = view.select(quoted(column)).where(F.col(quoted(column)).isNotNull()).distinct().limit(limit + 1).collect()
    return [r[0] for r in found] if len(found) <= limit else None


def split_facts(data: SparkAuditData, split: str) -> SplitFacts:
    view = validated_view(data, split)
    kinds = data.kinds[split]
    columns = list(data.frames["train"].columns)
    schema = view.schema
    orderable = [c for c in columns if isinstance(schema[c].dataType, ORDERABLE)]
    floats = [c for c in columns if kinds[c] == FLOAT]
    texts = [c for c in columns if kinds[c] == TEXT and isinstance(schema[c].dataType, T.StringType)]
    stats = view.agg(
        *[F.count(quoted(c)).alias(f"n_{c}") for c in columns],
        *[F.min(quoted(c)).alias(f"lo_{c}") for c in orderable], *[F.max(quoted(c)).alias(f"hi_{c}") for c in orderable],
        *[F.sum((F.col(quoted(c)) == float("inf")).cast("long")).alias(f"pinf_{c}") for c in floats],
        *[F.sum((F.col(quoted(c)) == float("-inf")).cast("long")).alias(f"ninf_{c}") for c in floats],
        *[F.sum(number_text(c).cast("long")).alias(f"num_{c}") for c in texts],
        *[F.sum(formula_text(c).cast("long")).alias(f"eq_{c}") for c in texts],
    ).collect()[0].asDict()
    n_rows = data.n_rows[split]
    facts = SplitFacts(n_rows)
    for column in columns:
        present = int(stats[f"n_{column}"])
        if column in floats:
            positive, negative = int(stats[f"pinf_{column}"] or 0), int(stats[f"ninf_{column}"] or 0)
            if positive or negative:
                signs = ((float("inf"), positive), (float("-inf"), negative))
                examples = sorted(describe_value(value) for value, count in signs if count)
                rows = first_rows(view, F.abs(F.col(quoted(column))) == float("inf"))
                facts.infinite.append(Cells(column, positive + negative, examples, rows))
        if not present:
            facts.empty.append(column)
        elif (n_rows > 1 and present == n_rows and column in orderable
              and stats[f"lo_{column}"] == stats[f"hi_{column}"]):
            facts.constant.append((column, describe_value(plain(stats[f"lo_{column}"]))))
    for column in texts:
        present, n_numbers = int(stats[f"n_{column}"]), int(stats[f"num_{column}"] or 0)
        n_text = present - n_numbers
        if n_numbers and n_text:
            stray = ~number_text(column) if stray_is_text(n_numbers, n_text) else number_text(column)
            stray = F.col(quoted(column)).isNotNull() & stray
            facts.mixed.append(Mixed(column, n_numbers, n_text, first_values(view, column, stray),
                                     first_rows(view, stray)))
        n_formula = int(stats[f"eq_{column}"] or 0)
        if n_formula:
            formula = formula_text(column)
            facts.formula_like.append(Cells(column, n_formula, first_values(view, column, formula),
                                            first_rows(view, formula)))
    return facts


def number_text(column: str) -> Column:
    """A present text cell pandas would read as a number."""
    return F.col(quoted(column)).rlike(NUMBER_PATTERN)


def formula_text(column: str) -> Column:
    """A present text cell starting like a spreadsheet formula, and not a number like ``-5``."""
    return F.col(quoted(column)).rlike(FORMULA_PATTERN) & ~number_text(column)


def first_rows(view: DataFrame, condition: Column) -> list[int]:
    """The first rows meeting ``condition``, by row number."""
    return [int(r[0]) for r in view.where(condition).select(ROW).orderBy(ROW).limit(EXAMPLES_SHOWN).collect()]


def first_values(view: DataFrame, column: str, condition: Column) -> list:
    """The first distinct values of ``column`` among the rows meeting ``condition``, in the
    order they first occur (as ``pd.unique`` lists them)."""
    firsts = view.where(condition).groupBy(quoted(column)).agg(F.min(ROW).alias("first"))
    return [r[0] for r in firsts.orderBy("first").limit(EXAMPLES_SHOWN).collect()]
