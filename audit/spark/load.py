"""Read the splits into Spark, number their rows, type and validate their columns.

The rules are the pandas loader's (:mod:`audit.data`, :mod:`audit.readers`) so both engines
see the same table: CSV cells in :data:`~audit.readers.MISSING_TOKENS` are missing feature
values, the label, id and group columns are read literally (``NA`` is a class), a column is
numeric when every present cell of it is a number (whole numbers and no missing cell: an
integer column; only ``True``/``False``: a boolean one), an empty label is an error, and the
time column must parse as numbers or dates. Inputs are CSV or Parquet paths (files or
folders of part files, local or any URI Spark reads), ``table:<name>`` for a catalog table,
or DataFrames.

Nothing is collected to the driver here but counts, a few error examples and one row count
per file split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.utils import AnalysisException

from audit.data import SPLIT_NAMES, ReadOptions, Roles, check_same_columns
from audit.errors import InputError
from audit.readers import MISSING_TOKENS, closest_names
from audit.spark.identifiers import integer_identifiers, record_identifiers
from audit.spark.kinds import BOOLEAN, DATETIME, FLOAT, INTEGER, NUMERIC_KINDS, TEXT, quoted
from audit.spark.rows import ROW, number_file_rows, number_partition_rows
from checks.base import AuditData
from checks.encoders.values import MISSING_TEXT
from checks.hashing import LeftOut, compared_columns, left_out_of

TABLE_PREFIX = "table:"
H1, H2 = "__audit_h1", "__audit_h2"
# pandas reads these as numbers; Spark's cast alone would also take "1d" or "0x1" style text.
NUMBER_PATTERN = r"^\s*[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[iI][nN][fF]([iI][nN][iI][tT][yY])?)\s*$"
INTEGER_PATTERN = r"^\s*[+-]?\d+\s*$"
BOOL_TOKENS = ("True", "False", "TRUE", "FALSE", "true", "false")



@dataclass
class SparkInput:
    """One split as Spark sees it: rows numbered, columns typed, and where it came from."""

    frame: DataFrame
    source: str
    kinds: dict[str, str]
    n_rows: int = 0


@dataclass
class SparkAuditData(AuditData):
    """:class:`~checks.base.AuditData` whose rows live in Spark.

    ``frames`` (what reports, fix plans and renderers read) hold only the rows findings name,
    filled in after the checks ran, indexed by their data-row number; every split's full
    data is ``spark_frames[split]``: the typed columns plus :data:`~audit.spark.rows.ROW` and
    the two feature-hash columns. ``n_rows`` counts every row of each split; ``identifiers``
    names the undeclared row counters among the features (left out of the hashes), each with
    the reason.
    """

    spark_frames: dict[str, DataFrame] = field(default_factory=dict, repr=False)
    n_rows: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    identifiers: dict[str, str] = field(default_factory=dict)

    @property
    def left_out(self) -> LeftOut:
        """The row counters the feature hashes leave out, as the exact findings state them."""
        return left_out_of(self.feature_columns, self.identifiers)

    @property
    def spark(self) -> SparkSession:
        return self.spark_frames["train"].sparkSession

    def compact(self, split: str, *columns: str) -> DataFrame:
        """The row number, label and given columns of one split (what most checks need)."""
        names = [ROW, self.label, *[c for c in columns if c not in (ROW, self.label)]]
        return self.spark_frames[split].select(*names)

    def unpersist(self) -> None:
        """Free the cached splits and every cached frame (or holder of frames) the checks shared."""
        for frame in [*self.spark_frames.values(), *self._shared.values()]:
            if callable(getattr(frame, "unpersist", None)):
                frame.unpersist()


def load_spark(train: Any, val: Any | None, roles: Roles, *, split_column: str | None = None,
               read_options: ReadOptions | None = None, random_state: int = 0,
               spark: SparkSession | None = None) -> SparkAuditData:
    """Read, number, type and validate the splits; the Spark counterpart of :func:`audit.api.load`."""
    from audit.spark.session import spark_session

    spark = spark or spark_session()
    options = read_options or ReadOptions()
    literal = roles.literal_columns() | ({split_column} if split_column else set())
    if split_column:
        if val is not None:
            raise InputError("--split-column splits one file; do not also pass --val")
        frame, source, is_text = read_input(spark, train, literal, options)
        frames = split_by_column(frame, split_column, source)
        raw = {split: (part, source, is_text) for split, part in frames.items()}
    else:
        raw = {"train": read_input(spark, train, literal, options)}
        if val is not None:
            raw["val"] = read_input(spark, val, literal, options)
    return build(spark, raw, roles, random_state)


def read_input(spark: SparkSession, given: Any, literal: set[str], options: ReadOptions) -> tuple[DataFrame, str, bool]:
    """A numbered DataFrame of one input, its name for messages, and whether its cells are text."""
    if isinstance(given, DataFrame):
        return number_partition_rows(given).persist(), "DataFrame", False
    if isinstance(given, pd.DataFrame):
        from audit.spark.session import pandas_version_quiet

        with pandas_version_quiet():
            frame = spark.createDataFrame(given.reset_index(drop=True))
        return number_partition_rows(frame).persist(), "DataFrame", False
    location = str(given)
    if location.startswith(TABLE_PREFIX):
        name = location[len(TABLE_PREFIX):]
        try:
            frame = spark.table(name)
        except AnalysisException as error:
            raise InputError(f"{location}: cannot read the table ({_first_line(error)})") from None
        return number_partition_rows(frame).persist(), location, False
    kind = input_format(location)
    try:
        if kind == "csv":
            frame = csv_reader(spark, options).csv(location)
            frame = _literal_text(_strip_bom(frame), literal)
        else:
            frame = spark.read.parquet(location)
    except AnalysisException as error:
        if "PATH_NOT_FOUND" in str(error):
            raise InputError(f"{location}: no such file or folder; check the path") from None
        raise InputError(f"{location}: cannot be read ({_first_line(error)}); check the path") from None
    check_column_names(frame.columns, location)
    return number_file_rows(frame), location, kind == "csv"


def csv_reader(spark: SparkSession, options: ReadOptions):
    # Every cell as text: types are decided below by the same rules for every split, and no
    # inferSchema pass over the data is needed. Quotes are escaped by doubling, as pandas
    # and Python's csv module write them; a row of the wrong width is an error.
    return (spark.read.option("header", True).option("inferSchema", False)
            .option("sep", options.sep or ",").option("encoding", options.encoding)
            .option("quote", '"').option("escape", '"').option("mode", "FAILFAST"))


def input_format(location: str) -> str:
    """``csv`` or ``parquet`` by name; a local folder by the files in it; other URIs: Parquet."""
    name = location.rstrip("/").lower()
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".npz"):
        raise InputError(f"{location}: .npz files are read by the pandas engine only; use --engine pandas")
    path = Path(location)
    if "://" not in location and path.is_dir():
        names = [p.name.lower() for p in path.iterdir() if not p.name.startswith(("_", "."))]
        if names and all(n.endswith((".csv", ".csv.gz", ".tsv", ".txt")) for n in names):
            return "csv"
        return "parquet"
    if "://" not in location and not path.exists():
        raise InputError(f"{location}: no such file; check the path")
    return "parquet"


def check_column_names(columns: Iterable[str], location: str) -> None:
    seen: set[str] = set()
    for position, name in enumerate(columns):
        if not str(name).strip() or re.fullmatch(r"_c\d+", str(name)):
            raise InputError(f"{location}: column {position + 1} of the header has no name; give every column a name")
        if name in seen:
            raise InputError(f"{location}: the column name {name!r} appears more than once in the header; rename one of them")
        seen.add(name)


def _strip_bom(frame: DataFrame) -> DataFrame:
    first = frame.columns[0] if frame.columns else ""
    return frame.withColumnRenamed(first, first.lstrip("\ufeff")) if first.startswith("\ufeff") else frame


def _literal_text(frame: DataFrame, literal: set[str]) -> DataFrame:
    # An empty CSV cell is an empty string to pandas when read literally; Spark reads it as null.
    return frame.select(*[F.coalesce(F.col(quoted(c)), F.lit("")).alias(c) if c in literal else F.col(quoted(c))
                          for c in frame.columns])


def split_by_column(frame: DataFrame, column: str, source: str) -> dict[str, DataFrame]:
    if column not in frame.columns:
        raise InputError(f"{source}: the split column {column!r} is not in the file; {closest_names(column, frame.columns)}")
    mapping = F.create_map(*[F.lit(x) for pair in SPLIT_NAMES.items() for x in pair])
    named = frame.withColumn("__audit_split", mapping[F.lower(F.trim(F.col(quoted(column)).cast("string")))])
    unknown = named.filter(F.col("__audit_split").isNull()).orderBy(ROW).select(ROW, F.col(quoted(column))).limit(1).collect()
    if unknown:
        raise InputError(
            f"{source}: row {unknown[0][0]} has {unknown[0][1]!r} in the split column {column!r}; "
            f"use train or val (also accepted: valid, validation)"
        )
    parts = {split: named.filter(F.col("__audit_split") == split).drop("__audit_split", column)
             for split in ("train", "val")}
    present = {row["__audit_split"] for row in named.select("__audit_split").distinct().collect()}
    if "train" not in present:
        raise InputError(f"{source}: no row has 'train' in the split column {column!r}")
    return {split: part for split, part in parts.items() if split in present}


def build(spark: SparkSession, raw: dict[str, tuple[DataFrame, str, bool]], roles: Roles,
          random_state: int) -> SparkAuditData:
    """Check roles and columns across splits, type the columns, hash the features, cache."""
    sources = {split: source for split, (_, source, _) in raw.items()}
    train_columns = [c for c in raw["train"][0].columns if c != ROW]
    for flag, column in roles.named():
        if column not in train_columns:
            raise InputError(f"{sources['train']}: {flag} {column!r} is not a column; {closest_names(column, train_columns)}")
    if "val" in raw:
        check_same_columns(train_columns, [c for c in raw["val"][0].columns if c != ROW], sources["val"])
    literal = roles.literal_columns()
    typed: dict[str, SparkInput] = {}
    for split, (frame, source, is_text) in raw.items():
        frame = frame.select(ROW, *[quoted(c) for c in train_columns])
        kinds, n_rows = profile(frame, source, train_columns, literal, roles, is_text)
        typed[split] = SparkInput(apply_kinds(frame, kinds, is_text, literal), source, kinds, n_rows)
    if roles.time_column:
        for split, entry in typed.items():
            entry.frame, entry.kinds[roles.time_column] = parse_times(entry.frame, entry.kinds, roles.time_column,
                                                                      entry.source)
    data = SparkAuditData(
        frames={split: empty_frame(train_columns) for split in typed}, label=roles.label,
        id_column=roles.id_column, group_column=roles.group_column, time_column=roles.time_column,
        ignored=tuple(roles.ignored), sources=sources, random_state=random_state,
        declared_kinds=roles.declared_kinds(),
        n_rows={split: entry.n_rows for split, entry in typed.items()},
        kinds={split: entry.kinds for split, entry in typed.items()},
    )
    if not data.feature_columns:
        raise InputError(f"{sources['train']}: no feature columns are left after the label and the role columns; "
                         f"check --label, --id-column, --group-column, --time-column and --ignore")
    train = typed["train"]
    declared_text = {c for c, kind in data.declared_kinds.items() if kind == "text"}
    data.identifiers = {**integer_identifiers(train.frame, train.kinds, data.feature_columns, train.n_rows),
                        **record_identifiers(train.frame, train.kinds, data.feature_columns, train.n_rows,
                                             declared_text)}
    keys = canonical_keys({split: (entry.frame, entry.kinds) for split, entry in typed.items()},
                          compared_columns(data.feature_columns, data.identifiers), declared_text)
    for split, entry in typed.items():
        hashed = entry.frame.withColumn(H1, F.xxhash64(*keys[split])).withColumn(H2, F.hash(*keys[split]))
        data.spark_frames[split] = hashed.persist()
    for split, frame in data.spark_frames.items():
        frame.count()  # materialise the cache once, here, so checks time only their own work
    for frame, _, _ in raw.values():
        frame.unpersist()
    return data


def empty_frame(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame.index = pd.Index([], dtype="int64")
    return frame


def profile(frame: DataFrame, source: str, columns: list[str], literal: set[str], roles: Roles,
            is_text: bool) -> tuple[dict[str, str], int]:
    """Each column's kind and the split's row count, in one pass; empty labels are an error."""
    label = F.col(quoted(roles.label))
    empty_label = label.isNull() | (F.trim(label.cast("string")) == "")
    aggregates = [F.count(F.lit(1)).alias("n"), F.sum(empty_label.cast("long")).alias("empty_label")]
    text_columns = [c for c in columns if is_text and c not in literal]
    for i, column in enumerate(text_columns):
        value = _present(F.col(quoted(column)))
        aggregates += [
            F.count(value).alias(f"p{i}"),
            F.sum((value.isNotNull() & ~value.rlike(NUMBER_PATTERN)).cast("long")).alias(f"nn{i}"),
            F.sum((value.isNotNull() & ~value.rlike(INTEGER_PATTERN)).cast("long")).alias(f"ni{i}"),
            F.sum((value.isNotNull() & ~value.isin(*BOOL_TOKENS)).cast("long")).alias(f"nb{i}"),
        ]
    try:
        counts = frame.agg(*aggregates).collect()[0]
    except Exception as error:  # the first job over a file: where parse errors surface
        raise read_error(error, source) from None
    n_rows = int(counts["n"])
    if n_rows == 0:
        raise InputError(f"{source}: has a header but no data rows")
    if counts["empty_label"]:
        n_empty = int(counts["empty_label"])
        rows = [r[0] for r in frame.filter(empty_label).select(ROW).orderBy(ROW).limit(6).collect()]
        shown = ", ".join(str(r) for r in rows[:5]) + (" ..." if n_empty > 5 else "")
        raise InputError(
            f"{source}: the label column {roles.label!r} is empty in {n_empty} row(s) (data rows {shown}, "
            f"counted from 0 after the header); fill in the labels or drop those rows"
        )
    kinds = {c: (TEXT if c in literal and is_text else spark_kind(frame.schema[c].dataType)) for c in columns}
    for i, column in enumerate(text_columns):
        present, not_number, not_integer, not_bool = (int(counts[f"{p}{i}"] or 0) for p in ("p", "nn", "ni", "nb"))
        if present and not not_bool and present == n_rows:
            kinds[column] = BOOLEAN
        elif not not_integer and present == n_rows:
            kinds[column] = INTEGER
        elif not not_number:
            kinds[column] = FLOAT
        else:
            kinds[column] = TEXT
    return kinds, n_rows


def spark_kind(data_type: T.DataType) -> str:
    if isinstance(data_type, T.BooleanType):
        return BOOLEAN
    if isinstance(data_type, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return INTEGER
    if isinstance(data_type, (T.FloatType, T.DoubleType, T.DecimalType)):
        return FLOAT
    if isinstance(data_type, (T.TimestampType, T.TimestampNTZType, T.DateType)):
        return DATETIME
    return TEXT


def apply_kinds(frame: DataFrame, kinds: dict[str, str], is_text: bool, literal: set[str]) -> DataFrame:
    """CSV text cells cast to their column's kind (missing tokens become null)."""
    if not is_text:
        return frame
    columns = [F.col(ROW)]
    for column, kind in kinds.items():
        value = F.col(quoted(column))
        if kind == TEXT:
            columns.append(value.alias(column) if column in literal else _present(value).alias(column))
        elif kind == BOOLEAN:
            columns.append(F.lower(_present(value)).eqNullSafe(F.lit("true")).alias(column))
        elif kind == INTEGER:
            columns.append(_try_cast(F.trim(_present(value)), "BIGINT").alias(column))
        else:
            columns.append(_try_cast(_present(value), "DOUBLE").alias(column))
    return frame.select(*columns)


def parse_times(frame: DataFrame, kinds: dict[str, str], column: str, source: str) -> tuple[DataFrame, str]:
    """Numbers stay numbers; text must parse as a date or time (an error names the first bad row)."""
    kind = kinds[column]
    if kind in (INTEGER, FLOAT, DATETIME):
        return frame, kind
    value = F.col(quoted(column))
    parsed = _try_cast(value, "TIMESTAMP_NTZ")
    bad = frame.filter(value.isNotNull() & parsed.isNull()).select(ROW, value).orderBy(ROW).limit(1).collect()
    if bad:
        raise InputError(f"{source}: row {bad[0][0]} of the time column {column!r} holds {bad[0][1]!r}, "
                         f"which is not a date or time; fix it or pass the column with --ignore")
    return frame.withColumn(column, parsed), DATETIME


def canonical_keys(frames: dict[str, tuple[DataFrame, dict[str, str]]], columns: list[str],
                   text: set[str] = frozenset()) -> dict[str, list[Column]]:
    """Per split, one key expression per feature column, equal exactly when pandas' are.

    As in :func:`checks.encoders.values.canonical_column`: a column numeric (or boolean) in
    every split is compared as a float, every NaN alike and ``-0.0`` like ``0.0``; a column
    that is anything else in any split is compared as :func:`text_key`, missing cells as one
    marker; a declared ``text`` column by :func:`normalised_text_key`. The keys need not equal
    pandas' hash values, only group rows the same way.
    """
    keys: dict[str, list[Column]] = {split: [] for split in frames}
    for column in columns:
        numeric = column not in text and all(kinds[column] in NUMERIC_KINDS for _, kinds in frames.values())
        for split, (_, kinds) in frames.items():
            value = F.col(quoted(column))
            if column in text:
                keys[split].append(F.coalesce(normalised_text_key(value.cast("string")), F.lit(MISSING_TEXT)))
            elif numeric:
                keys[split].append(_float_key(value))
            else:
                keys[split].append(F.coalesce(text_key(value, kinds[column]), F.lit(MISSING_TEXT)))
    return keys


def normalised_text_key(text: Column) -> Column:
    """A text's normalised form as Spark SQL can make it, as checks/text/normalise.py does:
    lower case, whitespace runs as one space, punctuation and symbols stripped at both ends
    (Spark SQL has no Unicode NFKC, so compatibility forms such as full-width letters are not
    folded here)."""
    spaced = F.trim(F.regexp_replace(F.lower(text), r"\s+", " "))
    return F.regexp_replace(spaced, r"^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$", "")


def _float_key(value: Column) -> Column:
    number = value.cast("double")
    return (F.when(number.isNull() | F.isnan(number), F.lit(float("nan")))
            .when(number == 0, F.lit(0.0)).otherwise(number))


def text_key(value: Column, kind: str) -> Column:
    """Text keys with numbers written one way, missing as null (:func:`checks.encoders.values.as_text`)."""
    if kind in NUMERIC_KINDS:
        number = value.cast("double")
        return F.when(F.isnan(number), F.lit(None)).otherwise(F.when(number == 0, 0.0).otherwise(number).cast("string"))
    text = value.cast("string")
    number = F.when(text.rlike(NUMBER_PATTERN), _try_cast(text, "DOUBLE"))
    return F.when(number.isNotNull(), F.when(number == 0, 0.0).otherwise(number).cast("string")).otherwise(text)


def _present(value: Column) -> Column:
    """A CSV cell with pandas' missing-value tokens turned into null."""
    return F.when(value.isin(*MISSING_TOKENS), F.lit(None).cast("string")).otherwise(value)


def _try_cast(value: Column, type_name: str) -> Column:
    # Null instead of an error where ANSI mode (Spark 4's default) would raise; Spark 3.5
    # has no try_cast on columns, but its casts are not ANSI by default.
    return value.try_cast(type_name) if hasattr(value, "try_cast") else value.cast(type_name)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def read_error(error: Exception, source: str) -> InputError:
    text = str(error)
    malformed = re.search(r"Malformed CSV record: ([^\n]*?)(?: SQLSTATE|\n|$)", text)
    if malformed:
        return InputError(f"{source}: the row {malformed.group(1)[:200]!r} does not have as many fields as the header; "
                          f"fix that row (an unquoted separator inside a value is the usual cause)")
    reason = re.search(r"\[([A-Z_.]+)\][^\n]*", text)
    return InputError(f"{source}: cannot be read ({reason.group(0)[:300] if reason else _first_line(error)})")
