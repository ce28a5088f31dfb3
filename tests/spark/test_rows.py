"""Row numbers: the 0-based data row of the input, however Spark splits and orders the reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.data import ReadOptions
from audit.spark.rows import ROW

pytestmark = pytest.mark.slow


@pytest.fixture
def small_splits(spark):
    """Read files in splits of 16 kB, so a small file is still several partitions."""
    key = "spark.sql.files.maxPartitionBytes"
    before = spark.conf.get(key)
    spark.conf.set(key, str(16 * 1024))
    yield
    spark.conf.set(key, before)


def numbered(spark, location, literal=frozenset()):
    from audit.spark.load import read_input

    frame, _, _ = read_input(spark, str(location), set(literal), ReadOptions())
    return frame


def frame_of(n_rows: int, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(n_rows)
    return pd.DataFrame({"position": np.arange(start, start + n_rows), "x": rng.normal(size=n_rows).round(4),
                         "text": [f"t{i % 7}" for i in range(n_rows)]})


def test_csv_read_by_several_partitions_keeps_its_row_numbers(spark, small_splits, tmp_path):
    path = tmp_path / "rows.csv"
    frame_of(6000).to_csv(path, index=False)
    frame = numbered(spark, path)
    assert frame.rdd.getNumPartitions() > 3
    rows = frame.select(ROW, "position").collect()
    assert sorted((r[0], int(r[1])) for r in rows) == [(i, i) for i in range(6000)]


def test_blank_lines_and_quoted_separators_are_numbered_like_pandas(spark, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text('position,x,text\n0,1.5,"a,b"\n\n1,2.5,"say ""hi"""\n\n\n2,,c\n', encoding="utf-8")
    expected = pd.read_csv(path)
    rows = sorted(numbered(spark, path).select(ROW, "position", "text").collect())
    assert [(r[0], int(r[1]), r[2]) for r in rows] == [
        (i, int(p), t) for i, (p, t) in enumerate(zip(expected["position"], expected["text"]))]


def test_a_folder_of_part_files_is_numbered_in_path_order(spark, small_splits, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    # Sizes differ on purpose: Spark schedules the largest split first.
    sizes = [500, 4000, 1500]
    start = 0
    for i, n_rows in enumerate(sizes):
        frame_of(n_rows, start).to_parquet(folder / f"part-{i:05d}.parquet", index=False, row_group_size=300)
        start += n_rows
    rows = numbered(spark, folder).select(ROW, "position").collect()
    assert sorted((r[0], r[1]) for r in rows) == [(i, i) for i in range(sum(sizes))]


def test_a_dataframe_is_numbered_in_its_partition_order(spark):
    from audit.spark.load import read_input

    source = spark.createDataFrame(frame_of(3000)).repartition(3, "text")
    frame, name, is_text = read_input(spark, source, set(), ReadOptions())
    assert (name, is_text) == ("DataFrame", False)
    collected = frame.collect()
    assert [r[ROW] for r in collected] == list(range(3000))
    frame.unpersist()
