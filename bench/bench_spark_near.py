"""Near-duplicate candidate search on Spark: the ways of hashing rows into buckets, on the same data.

    python bench/bench_spark_near.py --n-train 200000            # a quick comparison
    python bench/bench_spark_near.py --n-train 10000000 --driver-memory 12g

One planted pair (bench/planted.py) is loaded and encoded once; the threshold and the banding
(bands x projections) are the audit's own (audit/spark/near.py, audit/spark/lsh.py). Each
method then finds the train pairs within the threshold, ``--repeats`` times, and the table
gives the median wall time, the candidate pairs it compared and its recall and precision on
the planted near copies:

- ``numpy UDF``: the engine's way (:func:`audit.spark.lsh.signatures`): a pandas UDF
  projects each batch with one matrix product and hashes each band's buckets to one long;
- ``MLlib``: Spark MLlib's ``BucketedRandomProjectionLSH`` computing the same kind of
  buckets (its own random directions), one vector object per projection and row, read back
  with ``vector_to_array``, as the engine did before;
- ``wide bands``: the numpy UDF with half as many bands of buckets twice as long (fewer rows
  to shuffle; more candidates to verify).

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


def mllib_signatures(banding, frame, features: str, random_state: int):
    """MLlib's buckets for the same banding: one (ROW, key) row per row and band."""
    from pyspark.ml.feature import BucketedRandomProjectionLSH
    from pyspark.ml.functions import array_to_vector, vector_to_array
    from pyspark.sql import functions as F

    from audit.spark.rows import ROW

    vectors = frame.select(ROW, array_to_vector(F.col(features)).alias("v"))
    model = BucketedRandomProjectionLSH(inputCol="v", outputCol="h", bucketLength=banding.bucket_length,
                                        numHashTables=banding.bands * banding.projections,
                                        seed=random_state).fit(vectors)
    k = banding.projections
    bucket = [vector_to_array(F.col("h")[i])[0] for i in range(banding.bands * k)]
    keys = [F.xxhash64(F.lit(band), *bucket[band * k:(band + 1) * k]) for band in range(banding.bands)]
    return model.transform(vectors).select(ROW, F.explode(F.array(*keys)).alias("key"))


def pairs_within(signed, rows, features: str, threshold: float):
    """Distinct pairs a < b meeting in a band, and those within the threshold."""
    from pyspark.sql import functions as F

    from audit.spark.lsh import distance
    from audit.spark.rows import ROW

    a = signed.select(F.col(ROW).alias("a"), "key")
    b = signed.select(F.col(ROW).alias("b"), "key")
    met = a.join(b, on="key").where(F.col("a") < F.col("b")).select("a", "b").distinct().persist()
    n_met = met.count()
    close = (met.join(rows.select(F.col(ROW).alias("a"), F.col(features).alias("fa")), on="a")
             .join(rows.select(F.col(ROW).alias("b"), F.col(features).alias("fb")), on="b")
             .where(distance("fa", "fb") <= F.lit(threshold)).select("a", "b").collect())
    met.unpersist()
    return n_met, {(r["a"], r["b"]) for r in close}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import tempfile

    from audit.data import Roles
    from audit.spark.encoding import FEATURES
    from audit.spark.load import load_spark
    from audit.spark.lsh import directions, signatures
    from audit.spark.near import distinct_rows, lsh_for, near_threshold
    from audit.spark.session import spark_session
    from bench.planted import LABEL, make_planted_pair
    from checks.near_duplicates import NearDuplicates

    pair = make_planted_pair(args.n_train, seed=args.seed)
    folder = Path(tempfile.mkdtemp(prefix="bench_spark_near_"))
    pair.train.to_parquet(folder / "train.parquet", index=False)
    pair.val.to_parquet(folder / "val.parquet", index=False)
    planted = {(min(c, s), max(c, s)) for c, s in pair.near_duplicates}
    spark = spark_session(args.master, config={"spark.driver.memory": args.driver_memory,
                                               "spark.sql.shuffle.partitions": "16"})
    data = load_spark(str(folder / "train.parquet"), str(folder / "val.parquet"), Roles(LABEL), spark=spark,
                      random_state=args.seed)
    check = NearDuplicates()
    threshold = near_threshold(data, check.max_relative_distance, check.max_distance).value
    banding, projections = lsh_for(data, threshold)
    rows = distinct_rows(data, "train")
    rows.count()
    wide = replace(banding, bands=max(1, banding.bands // 2), bucket_length=2 * banding.bucket_length)
    methods = {
        f"numpy UDF ({banding.bands} x {banding.projections})":
            lambda: signatures(banding, projections, rows, FEATURES),
        f"MLlib ({banding.bands} x {banding.projections})":
            lambda: mllib_signatures(banding, rows, FEATURES, args.seed),
        f"wide bands ({wide.bands} x {wide.projections}, buckets x2)":
            lambda: signatures(wide, directions(projections.shape[0], wide, args.seed), rows, FEATURES),
    }
    lines = [f"### Near-duplicate candidates on Spark, {args.n_train:,} train rows, {args.master}", "",
             "| method | median wall s | candidate pairs | recall | precision |", "|---|---|---|---|---|"]
    for name, signed in methods.items():
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            n_met, found = pairs_within(signed(), rows, FEATURES, threshold)
            times.append(time.perf_counter() - started)
        hit = len(found & planted)
        lines.append(f"| {name} | {statistics.median(times):.1f} | {n_met:,} | {hit / len(planted):.4f} "
                     f"| {hit / max(len(found), 1):.4f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    lines += ["", f"Threshold {threshold:.4g}; {len(planted)} planted near copies; load average after: {load}; "
              f"{os.cpu_count()} cores, Spark {spark.version}.", ""]
    data.unpersist()
    spark.stop()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
