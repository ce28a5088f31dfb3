"""The whole Spark audit (every check, no baseline) on a planted pair of millions of rows.

    python bench/bench_spark_scale.py --n-train 100000                        # validate the script
    python bench/bench_spark_scale.py --n-train 10000000 --driver-memory 12g \
        --out bench/results/spark_10m.md --json bench/results/spark_10m.json
    python bench/bench_spark_scale.py --n-train 1000000 --standalone 2        # the same on a standalone cluster

Local mode (``--master``, local[2] by default) or, with ``--standalone N``, a standalone master
and N workers started on 127.0.0.1 from the installed pyspark, so the per-row cost of a
cluster (separate executor JVMs, shuffles between them) can be set beside local mode's.

A child process generates the planted pair (bench/planted.py: 20 numeric features, 1
categorical, 3 classes; val a fifth of train; 1% near copies in train, 1% near leaks in val,
0.2% exact copies of each kind) and writes it as Parquet, with the planted truth, to a
temporary folder, then exits, so its memory is free before Spark starts. The audit then runs
on ``--master`` like ``audit run --engine spark --no-baseline``: load, every registered check,
collecting the flagged rows, the fix plan.

Each phase is delimited by the engine's progress messages and measured for the whole process
tree (this Python driver, the JVM it starts, Spark's Python workers): wall time, CPU seconds
(utime + stime + cutime + cstime of every live descendant, read from /proc at the phase's
ends; a reaped worker's time is in its parent's cutime) and peak resident memory (the tree's
summed RSS, sampled every 100 ms by a thread), and the peak of this Python driver alone. The table ends with the recall and precision
of near_duplicates and near_leakage against the planted truth, the load average, the Spark
settings, and the CPU cost per million rows of each phase. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def generate(folder: Path, n_train: int, seed: int) -> None:
    """Write train.parquet, val.parquet and truth.json (run in a child process)."""
    sys.path.insert(0, str(ROOT))
    from bench.planted import make_planted_pair

    pair = make_planted_pair(n_train, seed=seed)
    for split in ("train", "val"):
        getattr(pair, split).to_parquet(folder / f"{split}.parquet", index=False, row_group_size=500_000)
    truth = {"near_duplicates": pair.near_duplicates, "near_leaks": pair.near_leaks,
             "n_train": len(pair.train), "n_val": len(pair.val)}
    (folder / "truth.json").write_text(json.dumps(truth))


def tree_stats(root: int) -> tuple[float, int, int]:
    """(CPU seconds, resident bytes, processes) of ``root`` and its live descendants."""
    parents, stats = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        stats[pid] = (sum(int(v) for v in fields[11:15]) / TICK, int(fields[21]) * PAGE)
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in members]
        members.update(children)
        frontier += children
    cpu = sum(stats[p][0] for p in members if p in stats)
    rss = sum(stats[p][1] for p in members if p in stats)
    return cpu, rss, len(members)


@dataclass
class Phase:
    name: str
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss: int = 0
    driver_rss: int = 0
    processes: int = 0
    status: str = ""
    findings: str = ""


def own_rss() -> int:
    """Resident bytes of this Python process: the driver, which must stay small whatever the rows."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


@dataclass
class Recorder:
    """Phases measured for the process tree; a thread samples the tree's RSS every 100 ms."""

    phases: list[Phase] = field(default_factory=list)
    current: Phase | None = None
    started: float = 0.0
    cpu_at_start: float = 0.0

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            _, rss, processes = tree_stats(os.getpid())
            phase = self.current
            if phase is not None and rss > phase.peak_rss:
                phase.peak_rss, phase.processes = rss, processes
            if phase is not None:
                phase.driver_rss = max(phase.driver_rss, own_rss())
            time.sleep(0.1)

    def enter(self, name: str | None) -> None:
        now = time.perf_counter()
        cpu, rss, processes = tree_stats(os.getpid())
        if self.current is not None:
            self.current.wall_s = now - self.started
            self.current.cpu_s = cpu - self.cpu_at_start
            self.current.peak_rss = max(self.current.peak_rss, rss)
            self.current.driver_rss = max(self.current.driver_rss, own_rss())
            self.phases.append(self.current)
        self.current = Phase(name, peak_rss=rss, driver_rss=own_rss(), processes=processes) if name else None
        self.started, self.cpu_at_start = now, cpu
        if name:  # a long run shows where it is
            print(f"{time.strftime('%H:%M:%S')} {name}", file=sys.stderr, flush=True)

    def progress(self, message: str) -> None:
        """The engine's progress messages name the phases."""
        if message.startswith("check ") and message.endswith(" (spark)"):
            self.enter(message[len("check "):-len(" (spark)")])
        elif message == "collecting the flagged rows":
            self.enter("(collect flagged rows)")

    def stop(self) -> None:
        self.enter(None)
        self._stop.set()
        self._thread.join()


def load_average() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def accuracy(report, truth: dict) -> list[str]:
    """Recall and precision of the near checks against the planted pairs."""
    lines = []
    for code, planted, key in (("near_duplicates", {max(c, s) for c, s in truth["near_duplicates"]}, None),
                               ("near_leakage", {(c, s) for c, s in truth["near_leaks"]}, "train_row")):
        rows = [r for _, f in report.all_findings if f.code == code for r in f.rows]
        found = {(r["row"], r[key]) if key else r["row"] for r in rows}
        hit = len(found & planted)
        search = next((f.metrics.get("neighbour_search") for _, f in report.all_findings if f.code == code), "")
        lines.append(f"- {code}: recall {hit / max(len(planted), 1):.4f}, precision {hit / max(len(found), 1):.4f} "
                     f"({len(found)} found, {len(planted)} planted; {search})")
    return lines


def run(args: argparse.Namespace) -> str:
    sys.path.insert(0, str(ROOT))
    folder = Path(tempfile.mkdtemp(prefix="bench_spark_scale_", dir=args.tmp))
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", str(folder), "--n-train", str(args.n_train),
                        "--seed", str(args.seed)], check=True)
        generate_s = time.perf_counter() - started
        truth = json.loads((folder / "truth.json").read_text())
        load_before = load_average()
        if not args.standalone:
            args.master_label = args.master
            return audit(args, folder, truth, generate_s, load_before)
        from tests.spark.standalone import start_cluster

        # The workers on this machine run this interpreter, as a real cluster's run the one
        # PYSPARK_PYTHON names there (else whichever python3 comes first on their PATH).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        cluster = start_cluster(folder / "cluster", workers=args.standalone, cores=args.worker_cores,
                                memory=args.worker_memory)
        try:
            args.master = cluster.master_url
            args.master_label = (f"standalone cluster on this machine ({args.standalone} worker(s) of "
                                 f"{args.worker_cores} cores, {args.worker_memory})")
            return audit(args, folder, truth, generate_s, load_before)
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def audit(args: argparse.Namespace, folder: Path, truth: dict, generate_s: float, load_before: str) -> str:
    from audit.api import audit_data, resolve_settings
    from audit.data import Roles
    from audit.fixes import FixOptions
    from audit.run import add_fix_plan
    from audit.spark.load import load_spark
    from audit.spark.session import spark_session
    from bench.planted import LABEL

    config = {"spark.driver.memory": args.driver_memory, "spark.driver.maxResultSize": args.max_result_size,
              "spark.sql.shuffle.partitions": str(args.shuffle_partitions)}
    if args.master.startswith("spark://"):
        config["spark.executor.memory"] = args.executor_memory
    settings = resolve_settings(None, {"label": LABEL, "baseline": {"enabled": False}, "seed": args.seed})
    recorder = Recorder()
    recorder.enter("(start Spark)")
    spark = spark_session(args.master, config=config)
    recorder.enter("(load)")
    data = load_spark(str(folder / "train.parquet"), str(folder / "val.parquet"), Roles(LABEL), spark=spark,
                      random_state=args.seed)
    try:
        report = audit_data(data, settings, progress=recorder.progress)
        recorder.enter("(fix plan)")
        add_fix_plan(report, FixOptions())
        recorder.stop()
    finally:
        data.unpersist()
    results = {r.check: r for r in report.results}
    for phase in recorder.phases:
        result = results.get(phase.name)
        if result is not None:
            phase.status = result.status
            if result.status == "error":
                print(f"{phase.name} crashed:\n{result.detail}", file=sys.stderr)
            phase.findings = ", ".join(f"{f.code}:{f.severity}:{len(f.rows) or len(f.columns)}"
                                       for f in result.findings)
    conf = spark.sparkContext.getConf()
    spark_settings = {key: conf.get(key, "(default)") for key in
                      ("spark.master", "spark.driver.memory", "spark.driver.maxResultSize",
                       "spark.sql.shuffle.partitions", "spark.sql.files.maxPartitionBytes")}
    version = spark.version
    spark.stop()
    if args.json:
        record = {"n_train": truth["n_train"], "n_val": truth["n_val"], "master": args.master_label,
                  "load_average": [load_before, load_average()], "spark": spark_settings,
                  "phases": [asdict(p) for p in recorder.phases]}
        args.json.write_text(json.dumps(record, indent=1))
    return table(args, truth, report, recorder.phases, generate_s, load_before, spark_settings, version)


def table(args, truth, report, phases: list[Phase], generate_s: float, load_before: str,
          spark_settings: dict, version: str) -> str:
    n_rows = truth["n_train"] + truth["n_val"]
    lines = [f"### Spark engine, {truth['n_train']:,} train + {truth['n_val']:,} val rows (21 features), "
             f"{args.master_label}", "",
             "| phase | status | wall s | CPU s (tree) | CPU s per 1M rows | peak RSS MB (tree) "
             "| peak RSS MB (Python driver) | processes | findings (code:severity:rows) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for p in phases:
        lines.append(f"| {p.name} | {p.status} | {p.wall_s:.1f} | {p.cpu_s:.1f} | {p.cpu_s / n_rows * 1e6:.1f} "
                     f"| {p.peak_rss / 2**20:,.0f} | {p.driver_rss / 2**20:,.0f} | {p.processes} | {p.findings} |")
    checks = [p for p in phases if not p.name.startswith("(")]
    audit_phases = [p for p in phases if p.name != "(start Spark)"]
    lines += ["",
              f"Load, checks, collection and plan: {sum(p.wall_s for p in audit_phases):.0f} s wall, "
              f"{sum(p.cpu_s for p in audit_phases):.0f} CPU s (checks alone {sum(p.wall_s for p in checks):.0f} s "
              f"wall, {sum(p.cpu_s for p in checks):.0f} CPU s); peak RSS of the process tree "
              f"{max(p.peak_rss for p in phases) / 2**30:.1f} GiB, of the Python driver "
              f"{max(p.driver_rss for p in phases) / 2**20:,.0f} MB; generating the pair took {generate_s:.0f} s "
              f"(not counted).", "",
              *accuracy(report, truth), "",
              f"- load average (1/5/15 min): {load_before} before the audit, {load_average()} after; "
              f"{os.cpu_count()} cores, {platform.python_version()}, Spark {version}",
              "- Spark settings: " + ", ".join(f"{k}={v}" for k, v in spark_settings.items()),
              ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="12g", help="the JVM's heap (in local mode it runs the tasks too)")
    parser.add_argument("--max-result-size", default="2g",
                        help="the most one collect may bring to the driver (flagged rows, bounded samples)")
    parser.add_argument("--standalone", type=int, default=0, metavar="WORKERS",
                        help="start a standalone master and this many workers on 127.0.0.1 and run on them "
                             "(--master is then ignored)")
    parser.add_argument("--worker-cores", type=int, default=1)
    parser.add_argument("--worker-memory", default="4g")
    parser.add_argument("--executor-memory", default="3g", help="with a spark:// master")
    parser.add_argument("--json", type=Path, help="also write the phases as JSON (read by bench/spark_cost_model.py)")
    parser.add_argument("--shuffle-partitions", type=int, default=32)
    parser.add_argument("--tmp", help="folder for the generated Parquet files (default: the system's)")
    parser.add_argument("--out", type=Path, help="also write the table to this new file (an existing one is refused)")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.out and args.out.exists():
        parser.error(f"--out {args.out} exists; name a new file (the results pages keep earlier runs beside new ones)")
    if args.generate:
        generate(args.generate, args.n_train, args.seed)
        return
    text = run(args)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
