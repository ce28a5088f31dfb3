"""data_quality on Spark: the same suite, validated by great-expectations' Spark data source.

The suite is the pandas engine's: given with ``--expectations``, or inferred from train by
the rules of :func:`checks.expectations_suite.suite_from_profiles`, the profiles measured
with Spark aggregates over every train row (:mod:`audit.spark.quality_facts`), so nothing is
sampled. great-expectations then validates it on every row of each split through a Spark
data source (``add_spark`` / ``add_dataframe_asset`` / ``add_batch_definition_whole_dataframe``,
the DataFrame given as a batch parameter), and the check's own
:meth:`~checks.expectations.DataQuality.findings` turns the outcomes and the split facts into
findings, so they read as the pandas engine's.

What great-expectations sees differs from the pandas engine in two ways, both undone here:

- Spark has no index, so the validated frame carries the row number as one more column,
  sorted by it (the unexpected examples are then the first rows, as with pandas); table
  expectations on the column list or count are given that column too, and their
  outcomes are reported without it;
- Spark checks a column's type by the Spark type of the whole column, named like
  ``DoubleType``: the suite's pandas type names are validated as the Spark types of their
  family. When a text column fails a number type, the evidence counts its present cells,
  as pandas (which checks text cells one by one) does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.kinds import DATETIME, FLOAT, INTEGER, quoted
from audit.spark.load import SparkAuditData
from audit.spark.quality_facts import first_rows, split_facts, train_profiles, validated_view
from audit.spark.rows import ROW
from checks.base import Finding
from checks.expectations import INFERRED, DataQuality
from checks.expectations_suite import (
    BOOL_TYPES,
    DATETIME_TYPES,
    EXAMPLES_SHOWN,
    NUMERIC_TYPES,
    TEXT_TYPES,
    Outcome,
    describe_value,
    json_safe,
    suite_from_profiles,
    validate_batches,
)

TYPE_LIST = "expect_column_values_to_be_in_type_list"
SPARK_NUMBERS = ["ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType", "DecimalType"]
SPARK_TYPES = {
    **{name: SPARK_NUMBERS for name in NUMERIC_TYPES},
    **{name: ["BooleanType"] for name in BOOL_TYPES},
    **{name: ["TimestampNTZType"] for name in DATETIME_TYPES},
    **{name: ["StringType"] for name in TEXT_TYPES},
}
# Table expectations naming the columns: (the kwarg, how the row column is added to it).
WITH_ROW_COLUMN = {
    "expect_table_columns_to_match_ordered_list": ("column_list", lambda v: [*(v or []), ROW]),
    "expect_table_columns_to_match_set": ("column_set", lambda v: [*(v or []), ROW]),
    "expect_table_column_count_to_equal": ("value", lambda v: v + 1 if isinstance(v, int) else v),
}
MISSING_AS = {INTEGER: "nan", FLOAT: "nan", DATETIME: "NaT"}
SUITE_INFERRED_WITH = ("Spark aggregates over every train row (exact counts, finite minimum and maximum, "
                       "and the distinct values of text columns with few of them)")
VALIDATED_WITH = "great-expectations' Spark data source, on every row of each split"


def inferred_suite(check: DataQuality, data: SparkAuditData) -> dict[str, Any]:
    """The suite the pandas engine would infer from the same train split."""
    settings = check.settings()

    def compute(d: SparkAuditData) -> dict[str, Any]:
        return suite_from_profiles(train_profiles(d, settings), set(d.feature_columns), d.n_rows["train"], settings)

    key = f"spark_expectation_suite:{settings.range_margin}:{settings.null_margin}:{settings.max_categories}"
    return data.shared(key, compute)


def data_quality(check: DataQuality, data: SparkAuditData) -> list[Finding]:
    if data.expectations_suite is not None:
        suite, source = data.expectations_suite, "given"
    else:
        suite, source = inferred_suite(check, data), INFERRED
    views = {split: validated_view(data, split).orderBy(ROW) for split in data.splits}
    outcomes, invalid = validate_batches(as_validated_on_spark(suite), views, "spark", data.verbose, row_column=ROW)
    outcomes = {split: [as_reported(o, suite, views[split], data.kinds[split]) for o in found]
                for split, found in outcomes.items()}
    facts = {split: split_facts(data, split) for split in data.splits}
    engine = {"validated_with": VALIDATED_WITH, "sampled": []}
    if source != "given":
        engine["suite_inferred_with"] = SUITE_INFERRED_WITH
    return check.findings(suite, source, outcomes, invalid, facts, engine)


def as_validated_on_spark(suite: dict[str, Any]) -> dict[str, Any]:
    """The suite with Spark's type names and the row column added to table column lists."""
    expectations = []
    for spec in suite.get("expectations", []):
        kwargs = dict(spec.get("kwargs") or {})
        kind = spec.get("type")
        if kind == TYPE_LIST and isinstance(kwargs.get("type_list"), list):
            kwargs["type_list"] = spark_type_names(kwargs["type_list"])
        elif kind in WITH_ROW_COLUMN and WITH_ROW_COLUMN[kind][0] in kwargs:
            name, widen = WITH_ROW_COLUMN[kind]
            kwargs[name] = widen(kwargs[name])
        expectations.append({**spec, "kwargs": kwargs})
    return {**suite, "expectations": expectations}


def spark_type_names(names: list[Any]) -> list[str]:
    """Spark type names for a type list: a pandas name's family, a Spark name as given."""
    found: list[str] = []
    for name in map(str, names):
        for spark_name in SPARK_TYPES.get(name, [name] if hasattr(T, name) else []):
            if spark_name not in found:
                found.append(spark_name)
    return found


def as_reported(outcome: Outcome, suite: dict[str, Any], view: DataFrame, kinds: dict[str, str]) -> Outcome:
    """An outcome as the suite asked for it and pandas shows it: its own kwargs, no row column
    in what was seen, and missing numbers and times spelt as pandas holds them (NaN, NaT)."""
    spec = suite["expectations"][outcome.position]
    given = json_safe(spec.get("kwargs") or {})
    kwargs = {**outcome.kwargs, **{k: v for k, v in given.items() if k in outcome.kwargs}}
    observed = outcome.observed_value
    if outcome.kind in WITH_ROW_COLUMN:
        if isinstance(observed, list):
            observed = [c for c in observed if c != ROW]
        elif outcome.kind == "expect_table_column_count_to_equal" and isinstance(observed, int):
            observed -= 1
    missing = MISSING_AS.get(kinds.get(outcome.column or ""))
    examples = [missing if v is None and missing else v for v in outcome.examples]
    outcome = replace(outcome, kwargs=kwargs, observed_value=observed, examples=examples)
    if outcome.kind == TYPE_LIST and not outcome.success and outcome.error is None:
        return with_text_cells_counted(outcome, view)
    return outcome


def with_text_cells_counted(outcome: Outcome, view: DataFrame) -> Outcome:
    """A text column failing its type: every present cell is of another type, as pandas counts."""
    column = outcome.column
    if column not in view.columns or not isinstance(view.schema[column].dataType, T.StringType):
        return outcome
    if set(map(str, outcome.kwargs.get("type_list") or [])) & set(TEXT_TYPES + ["StringType"]):
        return outcome
    present = F.col(quoted(column)).isNotNull()
    n_present = view.where(present).count()
    examples = [r[0] for r in view.where(present).select(quoted(column), ROW).orderBy(ROW).limit(EXAMPLES_SHOWN).collect()]
    return replace(outcome, unexpected_count=n_present, observed_value=None,
                   examples=[describe_value(v) for v in examples], example_rows=first_rows(view, present))


IMPLEMENTATIONS = {"data_quality": data_quality}
