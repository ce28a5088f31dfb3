"""Expectation suites: inferred from train with pandas, validated with great-expectations.

A suite is kept as a plain dict in great-expectations' own JSON layout
(``{"name", "expectations": [{"type", "kwargs", "meta"}], "meta"}``), so a suite written
with ``--write-expectations`` loads in great-expectations, and a suite exported from
great-expectations loads with ``--expectations``.

Inference is split in two so every engine infers the same suite: what a train column is
(:class:`ColumnProfile`: its type family, missing share, finite range, small value set) is
measured by the engine (:func:`profile_column` here, with pandas; Spark aggregates in
``audit.spark``), and :func:`suite_from_profiles` turns profiles into expectations by one set
of rules. great-expectations (about 2 s to import) is imported in :func:`validate` alone,
and stays behind it: callers get plain :class:`Outcome` records, never its objects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from checks.base import AuditData

SUITE_NAME = "inferred_from_train"
NUMERIC_TYPES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64",
    "Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype", "UInt8Dtype", "UInt16Dtype", "UInt32Dtype",
    "UInt64Dtype", "Float32Dtype", "Float64Dtype",
]
BOOL_TYPES = ["bool", "BooleanDtype"]
DATETIME_TYPES = ["datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]"]
# Text columns are validated as Python objects (see ``as_validated``), so each value's type
# is checked and a number among strings is counted, not just the column's dtype compared.
TEXT_TYPES = ["str"]
EXAMPLES_SHOWN = 10


@dataclass(frozen=True)
class SuiteSettings:
    """How loose the inferred expectations are; the data_quality check's parameters."""

    range_margin: float = 0.1
    null_margin: float = 0.02
    max_categories: int = 20


def inferred_suite(data: AuditData, settings: SuiteSettings = SuiteSettings()) -> dict[str, Any]:
    """The suite inferred from ``data``'s train split, shared by the check and the CLI."""
    key = f"expectation_suite:{settings.range_margin}:{settings.null_margin}:{settings.max_categories}"
    return data.shared(key, lambda d: infer_suite(d, settings))


def infer_suite(data: AuditData, settings: SuiteSettings = SuiteSettings()) -> dict[str, Any]:
    """The suite inferred from ``data``'s train split, profiled with pandas."""
    train = data.frames["train"]
    features = set(data.feature_columns)
    profiles = {column: profile_column(train[column], column in features, settings) for column in train.columns}
    return suite_from_profiles(profiles, features, len(train), settings)


@dataclass(frozen=True)
class ColumnProfile:
    """What the inference rules need to know of one train column, however it was measured.

    ``type_list``: the type family's names (None when no single family fits);
    ``null_share``: the share of missing cells; ``number``: numeric and not boolean;
    ``integer``: whole-number typed (its bounds are rounded to whole numbers);
    ``finite_range``: the smallest and largest finite value (None without any);
    ``categories``: a text column's distinct present values when there are at most
    ``max_categories`` of them (None otherwise or when not measured); ``n_present``: the
    count of present cells.
    """

    type_list: list[str] | None
    null_share: float
    number: bool = False
    integer: bool = False
    finite_range: tuple[float, float] | None = None
    categories: list[str] | None = None
    n_present: int = 0


def profile_column(values: pd.Series, is_feature: bool, settings: SuiteSettings) -> ColumnProfile:
    """A pandas column's profile; ranges and value sets are measured for feature columns only."""
    types = type_list(values)
    number = is_number_column(values)
    profile = ColumnProfile(types, float(values.isna().mean()), number, pd.api.types.is_integer_dtype(values))
    if not is_feature:
        return profile
    present = values.dropna()
    categories = None
    if not number and types == TEXT_TYPES:
        distinct = pd.unique(present)
        categories = [str(v) for v in distinct] if len(distinct) <= settings.max_categories else None
    return replace(profile, finite_range=finite_range(values) if number else None, categories=categories,
                   n_present=len(present))


def suite_from_profiles(profiles: Mapping[str, ColumnProfile], features: set[str], n_rows: int,
                        settings: SuiteSettings = SuiteSettings()) -> dict[str, Any]:
    """Expectations that the train split meets, with margins so a clean val meets them too.

    ``profiles`` holds every train column in train's order. Every column: present in that
    order, its type, its share of missing values (none when train has none; otherwise
    train's share plus ``null_margin``). Feature columns also: numbers within train's finite
    range widened by ``range_margin`` of its width; text with at most ``max_categories``
    distinct values (and at least 10 rows a value) within train's set. The label's classes
    are left to ``unseen_labels``; identifiers, groups and times get no range or set (val
    continues them by design).
    """
    expectations = [
        expectation("expect_table_columns_to_match_ordered_list", column_list=[str(c) for c in profiles]),
        expectation("expect_table_row_count_to_be_between", min_value=1, max_value=None),
    ]
    for column, profile in profiles.items():
        expectations += column_expectations(str(column), profile, column in features, settings)
    return {"name": SUITE_NAME, "expectations": expectations,
            "meta": {"inferred_from": "train", "n_rows": n_rows,
                     "settings": {"range_margin": settings.range_margin, "null_margin": settings.null_margin,
                                  "max_categories": settings.max_categories}}}


def column_expectations(column: str, profile: ColumnProfile, is_feature: bool,
                        settings: SuiteSettings) -> list[dict[str, Any]]:
    found = []
    if profile.type_list is not None:
        found.append(expectation("expect_column_values_to_be_in_type_list", column=column, type_list=profile.type_list))
    mostly = 1.0 if profile.null_share == 0 else round(max(0.0, 1.0 - profile.null_share - settings.null_margin), 6)
    if mostly > 0:
        found.append(expectation("expect_column_values_to_not_be_null", column=column, mostly=mostly))
    if not is_feature:
        return found
    if profile.number:
        bounds = widened_range(profile.finite_range, profile.integer, settings.range_margin)
        if bounds is not None:
            found.append(expectation("expect_column_values_to_be_between", column=column,
                                     min_value=bounds[0], max_value=bounds[1]))
    elif profile.type_list == TEXT_TYPES and profile.categories is not None:
        n_distinct = len(profile.categories)
        if 0 < n_distinct <= settings.max_categories and profile.n_present >= 10 * n_distinct:
            found.append(expectation("expect_column_values_to_be_in_set", column=column,
                                     value_set=sorted(profile.categories)))
    return found


def expectation(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {}}


def is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def is_text_column(values: pd.Series) -> bool:
    """String dtype, or object dtype holding only strings (and missing values)."""
    if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
        return True
    if pd.api.types.is_object_dtype(values):
        present = values.dropna()
        return bool(len(present)) and all(isinstance(v, str) for v in present)
    return False


def type_list(values: pd.Series) -> list[str] | None:
    """The dtype names a column may have, judged by train; None when no single family fits."""
    if pd.api.types.is_bool_dtype(values):
        return BOOL_TYPES
    if is_number_column(values):
        return NUMERIC_TYPES
    if pd.api.types.is_datetime64_any_dtype(values):
        return None if getattr(values.dt, "tz", None) is not None else DATETIME_TYPES
    if is_text_column(values):
        return TEXT_TYPES
    return None


def finite_range(values: pd.Series) -> tuple[float, float] | None:
    finite = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    finite = finite[np.isfinite(finite)]
    return (float(finite.min()), float(finite.max())) if len(finite) else None


def widened_range(bounds: tuple[float, float] | None, integer: bool, margin: float) -> tuple[float, float] | None:
    """Train's finite range widened by ``margin`` of its width, rounded outward."""
    if bounds is None:
        return None
    low, high = float(bounds[0]), float(bounds[1])
    width = (high - low) or max(abs(high), 1.0)
    low, high = low - margin * width, high + margin * width
    if integer:
        return float(math.floor(low)), float(math.ceil(high))
    return round_outward(low, math.floor), round_outward(high, math.ceil)


def round_outward(value: float, direction) -> float:
    """Six significant digits, rounded away from the data so a bound never cuts a value off."""
    if value == 0:
        return 0.0
    exponent = math.floor(math.log10(abs(value))) - 5
    return float(f"{direction(value / 10.0**exponent)}e{exponent}")


def json_safe(value: Any) -> Any:
    """A suite or result as strict JSON: non-finite numbers become None (an open bound).

    great-expectations' ``to_json_dict`` keeps ``Infinity`` for unbounded ranges, which
    strict JSON readers refuse; in its between-expectations None means the same thing.
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def suite_json(suite: Mapping[str, Any]) -> str:
    """The suite as strict JSON text, as ``--write-expectations`` saves it."""
    return json.dumps(json_safe(suite), indent=2, allow_nan=False) + "\n"


def describe_value(value: Any) -> Any:
    """An example value for evidence: infinities and NaN spelt out rather than lost as null."""
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return str(float(value))
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class Outcome:
    """One expectation's result on one split, in plain values."""

    position: int
    kind: str
    kwargs: dict[str, Any]
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    examples: list[Any] = field(default_factory=list)
    example_rows: list[int] = field(default_factory=list)
    observed_value: Any = None
    error: str | None = None

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")


def as_validated(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as great-expectations should see it: string columns as Python objects.

    Its type check compares a string dtype's name with nothing it knows (pandas 3 reads
    text as ``str``), and checks an object column value by value; so text goes in as objects.
    """
    text = [c for c in frame.columns
            if pd.api.types.is_string_dtype(frame[c]) and not pd.api.types.is_object_dtype(frame[c])]
    if not text:
        return frame
    converted = frame.copy(deep=False)
    for column in text:
        converted[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return converted


def validate(suite: dict[str, Any], frames: Mapping[str, pd.DataFrame],
             verbose: bool = False) -> tuple[dict[str, list[Outcome]], list[Outcome]]:
    """Run the suite on each pandas frame; see :func:`validate_batches`."""
    return validate_batches(suite, {split: as_validated(frame) for split, frame in frames.items()}, "pandas", verbose)


def validate_batches(suite: dict[str, Any], batches: Mapping[str, Any], engine: str, verbose: bool = False, *,
                     row_column: str | None = None) -> tuple[dict[str, list[Outcome]], list[Outcome]]:
    """Run the suite on each batch in a fresh ephemeral context (nothing written, no network).

    ``engine`` is great-expectations' data source for the batches: ``pandas`` (DataFrames
    whose index numbers the rows) or ``spark`` (Spark DataFrames, which have no index:
    ``row_column`` names the column holding each row's number, and the examples come in
    the batch's order). Returns the outcomes per split in the suite's order, and the
    expectations that great-expectations could not build (an unknown type, a misspelt
    argument).

    great-expectations is imported with its Spark support whenever pyspark is installed,
    so both engines can validate in one process: its Spark support is bound once, when
    great-expectations is first imported, and cannot be added later (importing it again
    fails inside pydantic). Hiding pyspark made the first pandas validation 0.3 s faster
    here (2.2 s against 2.5 s, warm caches), not enough to give that up.
    """
    with quiet(verbose):
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        built, invalid = [], []
        for position, spec in enumerate(suite.get("expectations", [])):
            try:
                built.append((position, ExpectationConfiguration(
                    type=spec["type"], kwargs=dict(spec.get("kwargs", {})), meta=spec.get("meta") or {},
                ).to_domain_obj()))
            except Exception as error:  # great-expectations raises many types for a bad expectation
                invalid.append(Outcome(position, str(spec.get("type")), json_safe(spec.get("kwargs", {})), False,
                                       error=f"{type(error).__name__}: {first_line(error)}"))

        # In memory only, and without the Data Docs site (unescaped HTML, CDN assets; unused).
        context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False)))
        context.variables.progress_bars = ProgressBarsConfig(globally=verbose)
        if engine == "spark":
            # The audit has cached its splits already; great-expectations would cache each again.
            source = context.data_sources.add_spark(name="audit", persist=False)
            result_format: Any = {"result_format": "SUMMARY", "unexpected_index_column_names": [row_column]}
        else:
            source = context.data_sources.add_pandas(name="audit")
            result_format = "SUMMARY"
        batch = source.add_dataframe_asset(name="split").add_batch_definition_whole_dataframe(name="all")
        gx_suite = context.suites.add(gx.ExpectationSuite(name=str(suite.get("name") or "suite"),
                                                          expectations=[e for _, e in built]))
        position_of = {e.id: position for (position, _), e in zip(built, gx_suite.expectations)}
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name="audit", data=batch, suite=gx_suite))
        outcomes = {}
        for split, frame in batches.items():
            result = definition.run(batch_parameters={"dataframe": frame}, result_format=result_format)
            found = [to_outcome(position_of[r.expectation_config.id], r, row_column) for r in result.results]
            outcomes[split] = sorted(found, key=lambda o: o.position)
    return outcomes, invalid


def to_outcome(position: int, result: Any, row_column: str | None = None) -> Outcome:
    details = result.result or {}
    error = None
    info = result.exception_info or {}
    messages = [info.get("exception_message")] if "raised_exception" in info else [
        v.get("exception_message") for v in info.values() if isinstance(v, Mapping)]
    messages = [m for m in messages if m]
    if messages:
        error = first_line(messages[0])
    config = result.expectation_config
    # pandas lists index labels; Spark lists {row_column: number, column: value} records.
    indices = [i.get(row_column) if isinstance(i, Mapping) else i
               for i in (details.get("partial_unexpected_index_list") or [])[:EXAMPLES_SHOWN]]
    return Outcome(
        position=position,
        kind=config.type,
        kwargs=json_safe({k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}),
        success=bool(result.success),
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        examples=[describe_value(v) for v in (details.get("partial_unexpected_list") or [])[:EXAMPLES_SHOWN]],
        example_rows=[int(i) for i in indices if isinstance(i, (int, np.integer))],
        observed_value=json_safe(details.get("observed_value")),
        error=error,
    )


def first_line(error: Any) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextlib.contextmanager
def quiet(verbose: bool) -> Iterator[None]:
    """Keep great-expectations' log records and import warnings off the terminal."""
    if verbose:
        yield
        return
    logger = logging.getLogger("great_expectations")
    previous = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous)
