"""The exact checks as Spark jobs over every row.

Each function takes the registered check (its parameters) and a
:class:`~audit.spark.load.SparkAuditData`, runs aggregates and joins on the executors, and
collects only counts and the flagged rows, sorted by row number as the pandas checks list
them. Rows are compared by the pair of feature hashes made in :mod:`audit.spark.load`
(64 + 32 bits of the type-aligned values).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pyspark.sql import functions as F

from audit.spark.findings import plain
from audit.spark.load import H1, H2, SparkAuditData, quoted
from audit.spark.rows import ROW
from checks.base import Finding
from checks.class_balance import ClassBalance
from checks.duplicates import Duplicates
from checks.leakage import ExactLeakage, GroupLeakage, TemporalLeakage

HASH = [H1, H2]


def label_counts(data: SparkAuditData) -> dict[str, list[tuple[Any, int]]]:
    """Per split, (label, count) ordered by each label's first row; computed once per audit."""
    def compute(d: SparkAuditData) -> dict[str, list[tuple[Any, int]]]:
        counts = {}
        for split in d.splits:
            records = (d.compact(split).groupBy(quoted(d.label))
                       .agg(F.count(F.lit(1)).alias("n"), F.min(ROW).alias("first")).collect())
            records.sort(key=lambda r: r["first"])
            counts[split] = [(r[0], int(r["n"])) for r in records]
        return counts

    return data.shared("spark_label_counts", compute)


def counts_series(counts: list[tuple[Any, int]]) -> pd.Series:
    """(label, count) pairs in order of each label's first row, as the check's builders take them."""
    return pd.Series([n for _, n in counts], index=pd.Index([label for label, _ in counts], dtype=object),
                     dtype="int64")


def class_balance(check: ClassBalance, data: SparkAuditData) -> list[Finding]:
    counts = {split: counts_series(found) for split, found in label_counts(data).items()}
    findings = [check.imbalance_finding(split, counts[split]) for split in data.splits]
    if "val" in data.splits:
        findings.append(check.shift_finding(counts["train"], counts["val"]))
        train_labels = data.spark.createDataFrame([(label,) for label in counts["train"].index],
                                                  data.spark_frames["train"].select(quoted(data.label)).schema)
        unseen = (data.compact("val").join(F.broadcast(train_labels), on=data.label, how="left_anti")
                  .orderBy(ROW).collect())
        finding = check.unseen_finding(data.n_rows["val"], [r[ROW] for r in unseen], [r[data.label] for r in unseen])
        if finding is not None:
            findings.append(finding)
    return findings


def duplicates(check: Duplicates, data: SparkAuditData) -> list[Finding]:
    said = data.left_out
    findings = []
    for split in data.splits:
        frame = data.compact(split, *HASH)
        groups = (frame.groupBy(*HASH)
                  .agg(F.min(ROW).alias("first"), F.count(F.lit(1)).alias("n"),
                       F.countDistinct(quoted(data.label)).alias("n_labels"))
                  .filter(F.col("n") > 1))
        members = (frame.join(groups, on=HASH).select(ROW, "first", quoted(data.label), "n_labels")
                   .orderBy(ROW).collect())
        repeated = [r for r in members if r[ROW] != r["first"]]
        conflicting = [r for r in members if r["n_labels"] > 1]
        n_rows = data.n_rows[split]
        findings += [f for f in (
            check.duplicates_finding(split, n_rows, [r[ROW] for r in repeated], [r["first"] for r in repeated], said),
            check.conflicts_within_finding(split, n_rows, [r[ROW] for r in conflicting],
                                           [r["first"] for r in conflicting], [r[data.label] for r in conflicting],
                                           said),
        ) if f is not None]
    if "val" in data.splits:
        train = (data.compact("train", *HASH).groupBy(*HASH, quoted(data.label))
                 .agg(F.min(ROW).alias("train_row")).withColumnRenamed(data.label, "__train_label"))
        val = data.compact("val", *HASH)
        pairs = (val.join(train, on=HASH).filter(F.col(quoted(data.label)) != F.col("__train_label"))
                 .groupBy(ROW, quoted(data.label))
                 .agg(F.min(F.struct("train_row", "__train_label")).alias("first"))
                 .orderBy(ROW).collect())
        across = check.conflicts_across_finding(data.n_rows["val"], [r[ROW] for r in pairs],
                                                [r["first"][0] for r in pairs], [r[data.label] for r in pairs],
                                                [r["first"][1] for r in pairs], said)
        if across is not None:
            findings.append(across)
    return findings


def exact_leakage(check: ExactLeakage, data: SparkAuditData) -> list[Finding]:
    train_first = data.compact("train", *HASH).groupBy(*HASH).agg(F.min(ROW).alias("train_row"))
    leaked = (data.compact("val", *HASH).join(train_first, on=HASH).select(ROW, "train_row")
              .orderBy(ROW).collect())
    return check.finding(data.n_rows["val"], [r[0] for r in leaked], [r[1] for r in leaked], data.left_out)


def group_leakage(check: GroupLeakage, data: SparkAuditData) -> list[Finding]:
    column = data.group_column
    train_groups = (data.spark_frames["train"].select(F.col(quoted(column)).alias("__group"))
                    .filter(F.col("__group").isNotNull()).distinct())
    val = data.spark_frames["val"].select(ROW, F.col(quoted(column)).alias("__group"))
    leaked = (val.filter(F.col("__group").isNotNull()).join(train_groups, on="__group", how="left_semi")
              .orderBy(ROW).collect())
    return check.finding(column, data.n_rows["val"], [r[ROW] for r in leaked], [r["__group"] for r in leaked])


def temporal_leakage(check: TemporalLeakage, data: SparkAuditData) -> list[Finding]:
    time = F.col(quoted(data.time_column))
    # The cut-off is joined in rather than sent back as a literal, which would turn a
    # timestamp without time zone into one in the session's zone.
    latest = data.spark_frames["train"].agg(F.max(time).alias("__cutoff"))
    val = data.spark_frames["val"]
    early = (val.crossJoin(F.broadcast(latest)).filter(time <= F.col("__cutoff"))
             .select(ROW, time.alias("__time"), "__cutoff").orderBy(ROW).collect())
    if not early:
        return []
    cutoff = early[0]["__cutoff"]
    earliest = val.agg(F.min(time)).collect()[0][0]
    return check.finding(data.n_rows["val"], plain(cutoff), plain(earliest), [r[0] for r in early],
                         [plain(r[1]) for r in early])


IMPLEMENTATIONS = {
    "class_balance": class_balance,
    "duplicates": duplicates,
    "exact_leakage": exact_leakage,
    "group_leakage": group_leakage,
    "temporal_leakage": temporal_leakage,
}
