"""Wall time per check on the planted 50,000-row pair, pandas engine against Spark (local).

    python bench/bench_spark.py [--n-train 50000] [--master local[2]] [--out bench/spark.json]

Both engines read the same CSV files. Spark's times are measured after its session started
(printed separately) and include its jobs' fixed overhead; "load" is reading, typing,
hashing and caching the splits.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHECKS = ["class_balance", "duplicates", "exact_leakage", "group_leakage", "temporal_leakage",
          "near_duplicates", "near_leakage", "label_issues"]
ROLES = dict(label="label", id_column="id", group_column="group", time_column="time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=50_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from audit.api import audit_data, load, resolve_settings
    from audit.data import Roles
    from audit.spark.load import load_spark
    from audit.spark.session import spark_session
    from tests.conftest import planted_pair

    pair = planted_pair(n_train=args.n_train, n_val=args.n_train // 3, n_each=max(12, args.n_train // 250))
    folder = Path(tempfile.mkdtemp(prefix="bench_spark_"))
    train, val = folder / "train.csv", folder / "val.csv"
    pair.train.to_csv(train, index=False)
    pair.val.to_csv(val, index=False)
    settings = resolve_settings(None, {**ROLES, "checks": tuple(CHECKS)})
    roles = Roles(ROLES["label"], ROLES["id_column"], ROLES["group_column"], ROLES["time_column"])
    timings: dict[str, dict[str, float]] = {"pandas": {}, "spark": {}}

    started = time.perf_counter()
    data = load(train, val, roles)
    timings["pandas"]["load"] = time.perf_counter() - started
    report = audit_data(data, settings)
    timings["pandas"].update({r.check: r.duration_s for r in report.results})

    started = time.perf_counter()
    spark = spark_session(args.master, config={"spark.sql.shuffle.partitions": "4"})
    session_s = time.perf_counter() - started
    started = time.perf_counter()
    spark_data = load_spark(str(train), str(val), roles, spark=spark)
    timings["spark"]["load"] = time.perf_counter() - started
    spark_report = audit_data(spark_data, settings)
    timings["spark"].update({r.check: r.duration_s for r in spark_report.results})

    print(f"planted pair: {len(pair.train)} train + {len(pair.val)} val rows; Spark {spark.version} on "
          f"{args.master}, session start {session_s:.1f} s")
    print(f"{'step':<18}{'pandas s':>10}{'spark s':>10}")
    for step in ["load", *CHECKS]:
        print(f"{step:<18}{timings['pandas'].get(step, float('nan')):>10.2f}{timings['spark'].get(step, float('nan')):>10.2f}")
    totals = {engine: sum(t.values()) for engine, t in timings.items()}
    print(f"{'total':<18}{totals['pandas']:>10.2f}{totals['spark']:>10.2f}")
    if args.out:
        args.out.write_text(json.dumps({"rows": {"train": len(pair.train), "val": len(pair.val)},
                                        "session_s": session_s, "timings_s": timings}, indent=2) + "\n")
    spark_data.unpersist()


if __name__ == "__main__":
    main()
