"""Undeclared row counters and record ids among the features, found with Spark aggregates over train.

The rule is :func:`checks.encoders.kinds.is_row_counter`'s: a number (or date) column of whole
values, present and unique in every train row, and either in file order or filling at least
half of its range. Such a column is a ``row_counter`` (:mod:`checks.encoders`): it tells
every row apart, so the row hashes leave it out (see :func:`checks.hashing.left_out_of`) and
the encoding drops it. One aggregate
pass screens the columns (count, whole values, approximate distinct count, range); an exact
distinct count and, for sparse ones, an ordered pass confirm the few candidates. Text codes
distinct in nearly every row (:func:`checks.encoders.kinds.is_record_id`) are left out alike.

The screen must never drop a counter, only keep the exact pass short. ``n`` distinct whole
values span at least ``n``, an exact test; the approximate distinct count is coarse
(``SCREEN_RSD``) with a threshold four of its standard errors below the row count: Spark keeps
a HyperLogLog++ sketch as that many fields of the aggregation buffer per column, and at a 1 %
error 64 columns of pixels exhausted a 1 GB driver while 5 % costs a few seconds.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from audit.spark.kinds import DATETIME, NUMERIC_KINDS, TEXT, quoted
from audit.spark.rows import ROW
from checks.encoders import MIN_ROWS_FOR_ID, is_record_id, record_id_reason, row_counter_reason
from checks.encoders.kinds import RECORD_ID_DISTINCT_SHARE

SCREEN_RSD = 0.05
SCREEN_SHARE = 1 - 4 * SCREEN_RSD


def as_float(value: Column, kind: str) -> Column:
    """float64 with null for missing and infinite cells; dates as seconds (:func:`checks.encoders.values.as_float`)."""
    if kind == DATETIME:
        number = F.unix_micros(value.cast("timestamp")) / 1e6
    else:
        number = value.cast("double")
    return F.when(number.isNull() | F.isnan(number) | (F.abs(number) == float("inf")), F.lit(None)).otherwise(number)


def integer_identifiers(train: DataFrame, kinds: dict[str, str], features: list[str], n_rows: int) -> dict[str, str]:
    """Feature column -> the reason it is a row counter, for the numbered, typed ``train``."""
    numbers = {c: as_float(F.col(quoted(c)), kinds[c]) for c in features if kinds[c] in (*NUMERIC_KINDS, DATETIME)}
    if n_rows < MIN_ROWS_FOR_ID or not numbers:
        return {}
    stats = train.agg(*[aggregate for i, value in enumerate(numbers.values()) for aggregate in (
        F.count(value).alias(f"n{i}"), F.sum((value != F.round(value)).cast("long")).alias(f"w{i}"),
        F.approx_count_distinct(value, SCREEN_RSD).alias(f"d{i}"), F.min(value).alias(f"lo{i}"),
        F.max(value).alias(f"hi{i}"))]).collect()[0]
    candidates = [i for i in range(len(numbers))
                  if stats[f"n{i}"] == n_rows and not stats[f"w{i}"] and stats[f"d{i}"] >= SCREEN_SHARE * n_rows
                  and stats[f"hi{i}"] - stats[f"lo{i}"] + 1 >= n_rows]
    if not candidates:
        return {}
    columns = list(numbers)
    distinct = train.agg(*[F.countDistinct(numbers[columns[i]]).alias(f"n{i}") for i in candidates]).collect()[0]
    found = {}
    for i in candidates:
        column = columns[i]
        if distinct[f"n{i}"] != n_rows:
            continue
        dense = n_rows >= 0.5 * (stats[f"hi{i}"] - stats[f"lo{i}"] + 1)
        if dense or in_file_order(train, numbers[column]):
            found[column] = row_counter_reason(n_rows)
    return found


def record_identifiers(train: DataFrame, kinds: dict[str, str], features: list[str], n_rows: int,
                       declared: set[str]) -> dict[str, str]:
    """Feature column -> the reason it is a record id (``checks.encoders.kinds.is_record_id``): a
    text column present in every train row and distinct in nearly every one, not free text
    (mostly values of three words or more, as the text kind reads them) and not ``declared``."""
    codes = {c: F.col(quoted(c)) for c in features if kinds[c] == TEXT and c not in declared}
    if n_rows < MIN_ROWS_FOR_ID or not codes:
        return {}
    stats = train.agg(*[aggregate for i, value in enumerate(codes.values()) for aggregate in (
        F.count(value).alias(f"n{i}"), F.approx_count_distinct(value, SCREEN_RSD).alias(f"d{i}"),
        F.avg((F.size(F.split(F.trim(value), r"\s+")) >= 3).cast("double")).alias(f"w{i}"))]).collect()[0]
    candidates = [i for i in range(len(codes)) if stats[f"n{i}"] == n_rows
                  and stats[f"d{i}"] >= SCREEN_SHARE * RECORD_ID_DISTINCT_SHARE * n_rows and (stats[f"w{i}"] or 0.0) < 0.5]
    if not candidates:
        return {}
    columns = list(codes)
    distinct = train.agg(*[F.countDistinct(codes[columns[i]]).alias(f"n{i}") for i in candidates]).collect()[0]
    return {columns[i]: record_id_reason(distinct[f"n{i}"], n_rows) for i in candidates
            if is_record_id(distinct[f"n{i}"], n_rows, n_rows)}


def in_file_order(train: DataFrame, value: Column) -> bool:
    """Strictly increasing or strictly decreasing in row order."""
    step = value - F.lag(value).over(Window.orderBy(ROW))
    signs = train.select(step.alias("step")).agg(F.min("step").alias("lo"), F.max("step").alias("hi")).collect()[0]
    return bool((signs["lo"] is not None and signs["lo"] > 0) or (signs["hi"] is not None and signs["hi"] < 0))

