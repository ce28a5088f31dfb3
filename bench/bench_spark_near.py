"""Near-duplicate candidate search on Spark: ways of comparing the rows that share a bucket, on the same data.

    python bench/bench_spark_near.py --n-train 200000            # a quick comparison
    python bench/bench_spark_near.py --n-train 1000000 --repeats 2 --driver-memory 8g

One planted pair (bench/planted.py) is loaded and encoded once; the threshold and the banding
(bands x projections) are the audit's own (audit/spark/near.py, audit/spark/lsh.py), and every
method hashes the rows with the engine's Arrow UDF (:func:`audit.spark.lsh.signatures`). Each
method then finds the train pairs within the threshold, ``--repeats`` times, and the table
gives the median wall time and CPU time of the whole process tree (Python driver, JVM,
Python workers: it does not depend on what else runs on the machine), the candidate pairs
(pairs sharing a band's bucket) and its recall and precision on the planted near copies:

- ``join verify``: the engine's previous way: a self-join on the bucket key makes the
  candidate pairs, which fetch both rows' features in two joins before Spark's higher-order
  functions take the distance;
- ``bucket verify``: the engine's way (:mod:`audit.spark.buckets`): each (row, band) record
  carries its features to its bucket in one shuffle, and numpy compares a bucket's rows there;
- ``bucket verify, wide bands``: the same with half as many bands of buckets twice as long
  (fewer records to shuffle, more candidates to compare).

Both splits, the calibration and the banding are computed before any method is timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def exploded(signed):
    """(ROW, key): one row per row and band, from the engine's band keys."""
    from pyspark.sql import functions as F

    from audit.spark.buckets import KEYS
    from audit.spark.rows import ROW

    return signed.select(ROW, F.explode(KEYS).alias("key"))


def candidates(signed) -> int:
    """Pairs of rows sharing a band's bucket (a pair meeting in several bands counted in each)."""
    from pyspark.sql import functions as F

    sizes = exploded(signed).groupBy("key").count().where(F.col("count") > 1)
    return int(sizes.select(F.sum(F.col("count") * (F.col("count") - 1) / 2)).first()[0] or 0)


def joined_pairs(signed, rows, features: str, threshold: float) -> set:
    """The previous way: rows meet in a self-join on (ROW, key), the distinct pairs fetch both
    rows' features in two joins, and Spark's higher-order functions take the distance."""
    from pyspark.sql import functions as F

    from audit.spark.rows import ROW

    keyed = exploded(signed)
    met = (keyed.select(F.col(ROW).alias("a"), "key").join(keyed.select(F.col(ROW).alias("b"), "key"), on="key")
           .where(F.col("a") < F.col("b")).select("a", "b").distinct())
    squares = F.zip_with(F.col("fa"), F.col("fb"), lambda x, y: (x - y) * (x - y))
    close = (met.join(rows.select(F.col(ROW).alias("a"), F.col(features).alias("fa")), on="a")
             .join(rows.select(F.col(ROW).alias("b"), F.col(features).alias("fb")), on="b")
             .where(F.sqrt(F.aggregate(squares, F.lit(0.0), lambda acc, x: acc + x)) <= F.lit(threshold))
             .select("a", "b").collect())
    return {(r["a"], r["b"]) for r in close}


def bucket_pairs(signed, features: str, threshold: float) -> set:
    """The engine's way: a bucket's rows compared with numpy where they meet."""
    from audit.spark.buckets import close_pairs_in_buckets

    return {(r["a"], r["b"]) for r in close_pairs_in_buckets(signed, features, threshold).collect()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--shuffle-partitions", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="*", help="only the methods whose names start with these words")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import tempfile

    from audit.data import Roles
    from audit.spark.encoding import FEATURES
    from audit.spark.load import load_spark
    from audit.spark.buckets import BASE
    from audit.spark.lsh import directions, signatures
    from audit.spark.near import distinct_rows, lsh_for, near_threshold
    from audit.spark.session import spark_session
    from bench.bench_spark_scale import tree_stats
    from bench.planted import LABEL, make_planted_pair
    from checks.near_duplicates import NearDuplicates

    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    pair = make_planted_pair(args.n_train, seed=args.seed)
    folder = Path(tempfile.mkdtemp(prefix="bench_spark_near_"))
    pair.train.to_parquet(folder / "train.parquet", index=False)
    pair.val.to_parquet(folder / "val.parquet", index=False)
    planted = {(min(c, s), max(c, s)) for c, s in pair.near_duplicates}
    spark = spark_session(args.master, config={"spark.driver.memory": args.driver_memory,
                                               "spark.sql.shuffle.partitions": str(args.shuffle_partitions)})
    data = load_spark(str(folder / "train.parquet"), str(folder / "val.parquet"), Roles(LABEL), spark=spark,
                      random_state=args.seed)
    check = NearDuplicates()
    threshold = near_threshold(data, check.max_relative_distance, check.max_distance).value
    banding, projections = lsh_for(data, threshold)
    rows = distinct_rows(data, "train")
    rows.count()
    wide = replace(banding, bands=max(1, banding.bands // 2), bucket_length=2 * banding.bucket_length)
    wide_projections = directions(projections.shape[0], wide, args.seed)
    shape = f"{banding.bands} x {banding.projections}"
    methods = {
        f"join verify ({shape})":
            (lambda: signatures(banding, projections, rows, FEATURES, BASE), joined_pairs),
        f"bucket verify ({shape})":
            (lambda: signatures(banding, projections, rows, FEATURES, BASE), None),
        f"bucket verify, wide bands ({wide.bands} x {wide.projections}, buckets x2)":
            (lambda: signatures(wide, wide_projections, rows, FEATURES, BASE), None),
    }
    lines = [f"### Near-duplicate candidates on Spark, {args.n_train:,} train rows, {args.master}", "",
             "| method | median wall s | median CPU s (tree) | candidate pairs | recall | precision |",
             "|---|---|---|---|---|---|"]
    root = os.getpid()
    for name, (signed, verify) in methods.items():
        if args.methods and not any(name.startswith(m) for m in args.methods):
            continue
        walls, cpus = [], []
        for _ in range(args.repeats):
            cpu_before, started = tree_stats(root)[0], time.perf_counter()
            found = (verify(signed(), rows, FEATURES, threshold) if verify
                     else bucket_pairs(signed(), FEATURES, threshold))
            walls.append(time.perf_counter() - started)
            cpus.append(tree_stats(root)[0] - cpu_before)
        hit = len(found & planted)
        lines.append(f"| {name} | {statistics.median(walls):.1f} | {statistics.median(cpus):.1f} "
                     f"| {candidates(signed()):,} | {hit / len(planted):.4f} | {hit / max(len(found), 1):.4f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    lines += ["", f"Threshold {threshold:.4g}; {len(planted)} planted near copies; load average before: {load_before}, "
              f"after: {load}; {os.cpu_count()} cores, Spark {spark.version}, "
              f"{args.shuffle_partitions} shuffle partitions.", ""]
    data.unpersist()
    spark.stop()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
