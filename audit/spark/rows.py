"""Stable row numbers: the 0-based data row of each input row, computed on the executors.

Spark has no row number: ``monotonically_increasing_id`` is unique and increasing but jumps
between partitions, and ``zipWithIndex`` goes through Python for every row of a DataFrame.
Instead every row is tagged with the *segment* it was read from (for files, the file and the
byte offset of the split that holds it; for a DataFrame, its partition) and its position in
that segment (the monotonic id minus the segment's smallest one: ids are consecutive inside a
partition, and a split is read in order inside one partition). One small aggregate gives each
segment's row count; ordered by file and offset, their running sums are each segment's first
row number, broadcast back in a join. So a file split over many partitions (or a folder of
part files, taken in path order like pyarrow does) gets exactly the numbers pandas gives the
same rows, whatever the partitioning.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

ROW = "__audit_row"
_MONO = "__audit_mono"
_FIRST_MONO = "__audit_first_mono"
_OFFSET = "__audit_offset"
_FILE = "__audit_file"
_BLOCK = "__audit_block"
_PARTITION = "__audit_partition"


def number_file_rows(frame: DataFrame) -> DataFrame:
    """Add :data:`ROW` to a frame freshly read from files (before any filter or shuffle)."""
    tagged = frame.select("*", F.col("_metadata.file_path").alias(_FILE),
                          F.col("_metadata.file_block_start").alias(_BLOCK))
    return _number(tagged, [_FILE, _BLOCK])


def number_partition_rows(frame: DataFrame) -> DataFrame:
    """Add :data:`ROW` in the frame's partition order (the order ``collect()`` returns)."""
    return _number(frame.withColumn(_PARTITION, F.spark_partition_id()), [_PARTITION])


def _number(tagged: DataFrame, segment: Sequence[str]) -> DataFrame:
    marked = tagged.withColumn(_MONO, F.monotonically_increasing_id())
    counts = (marked.groupBy(*segment)
              .agg(F.min(_MONO).alias(_FIRST_MONO), F.count(F.lit(1)).alias("n"))
              .collect())
    counts.sort(key=lambda r: tuple(r[c] for c in segment))
    offsets, total = [], 0
    for record in counts:
        offsets.append((*[record[c] for c in segment], record[_FIRST_MONO], total))
        total += record["n"]
    schema = T.StructType([marked.schema[c] for c in segment]
                          + [T.StructField(_FIRST_MONO, T.LongType()), T.StructField(_OFFSET, T.LongType())])
    session = SparkSession.getActiveSession() or marked.sparkSession
    table = session.createDataFrame(offsets, schema)
    numbered = (marked.join(F.broadcast(table), on=list(segment), how="inner")
                .withColumn(ROW, F.col(_OFFSET) + F.col(_MONO) - F.col(_FIRST_MONO)))
    return numbered.drop(*segment, _MONO, _FIRST_MONO, _OFFSET)
