"""Time the whole audit (every registered check, no baseline model) on planted pairs of growing size.

For each size a fresh process generates a planted pair (bench/planted.py: 20 numeric
features, 1 categorical, 3 classes; val has a fifth of train's rows; 1% near copies in train,
1% near leaks in val, 0.2% exact copies of each kind), loads it with ``audit.api.load`` and
runs ``audit.api.audit_data``. It prints, per check, the wall time, the CPU time of the
process, and the peak resident memory while the check ran (read from /proc/self/statm every
20 ms by a thread; tracemalloc is far too slow at a million rows), then the recall and
precision of near_duplicates and near_leakage against the planted truth.

Work shared between checks (row hashes, the encoded matrix, the neighbour graph) is
counted in the first check that asks for it.

    python bench/run_bench.py --sizes 10000 100000 1000000 --repeat 3 --out bench/results/audit.md

With ``--repeat`` each size runs that many times in fresh processes; the per-check table is the
run with the median total, and the growth table gives the median and range of the totals,
because wall times on a shared 2-core machine vary from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: bench/ and the package beside it

from bench.repeat import measure_sizes, write_text  # noqa: E402


class RssSampler:
    """Peak RSS per labelled phase, sampled from a background thread."""

    def __init__(self, interval_s: float = 0.02):
        self.page_size = os.sysconf("SC_PAGE_SIZE")
        self.interval_s = interval_s
        self.phase = None
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval_s)

    def sample(self) -> None:
        with open("/proc/self/statm") as statm:  # Linux: resident pages are the second field
            rss = int(statm.read().split()[1]) * self.page_size
        if self.phase is not None:
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.sample()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_size(n_train: int, seed: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import audit.runner as runner
    from audit.api import audit_data, load
    from audit.data import Roles
    from bench.planted import LABEL, make_planted_pair

    rows = []
    with RssSampler() as sampler:
        sampler.enter("generate")
        started = time.perf_counter()
        pair = make_planted_pair(n_train, seed=seed)
        generate_s = time.perf_counter() - started

        sampler.enter("load")
        started, cpu = time.perf_counter(), time.process_time()
        data = load(pair.train, pair.val, Roles(LABEL), random_state=seed)
        rows.append({"check": "(load)", "status": "ran", "wall_s": time.perf_counter() - started,
                     "cpu_s": time.process_time() - cpu, "findings": ""})

        original = runner.run_one

        def timed_run_one(data, check):
            sampler.enter(check.name)
            cpu_started = time.process_time()
            result = original(data, check)
            sampler.sample()
            rows.append({"check": check.name, "status": result.status, "wall_s": result.duration_s,
                         "cpu_s": time.process_time() - cpu_started,
                         "findings": ", ".join(f"{f.code}:{f.severity}:{len(f.rows) or len(f.columns)}"
                                               for f in result.findings),
                         "detail": (result.detail or "").strip().splitlines()[-1:] if result.status == "error" else ""})
            return result

        runner.run_one = timed_run_one
        started = time.perf_counter()
        report = audit_data(data)
        audit_s = time.perf_counter() - started
        runner.run_one = original
        sampler.enter(None)
    for row in rows:
        row["peak_rss_mb"] = sampler.peaks.get(row["check"] if row["check"] != "(load)" else "load", 0) / 2**20

    findings = {f.code: f for _, f in report.all_findings}
    accuracy = {}
    for code, truth, key in (("near_duplicates", {max(c, s) for c, s in pair.near_duplicates}, None),
                             ("near_leakage", {(c, s) for c, s in pair.near_leaks}, "train_row")):
        found = findings.get(code)
        got = set() if found is None else {(r["row"], r[key]) if key else r["row"] for r in found.rows}
        hit = len(got & truth)
        accuracy[code] = {"recall": hit / len(truth) if truth else 1.0, "precision": hit / len(got) if got else 1.0,
                          "n_found": len(got), "n_planted": len(truth),
                          "threshold": None if found is None else found.metrics.get("threshold"),
                          "search": None if found is None else found.metrics.get("neighbour_search"),
                          "sampled": None if found is None else found.metrics.get("sampled")}
    return {
        "n_train": len(pair.train), "n_val": len(pair.val), "generate_s": generate_s, "audit_s": audit_s,
        "checks_total_s": sum(r["wall_s"] for r in rows if r["check"] != "(load)"),
        "load_s": rows[0]["wall_s"], "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows": rows, "accuracy": accuracy, "load_average": os.getloadavg(),
    }


def total_wall(result: dict) -> float:
    return result["load_s"] + result["checks_total_s"]


def render(result: dict) -> str:
    lines = [f"### {result['n_train']:,} train + {result['n_val']:,} val rows",
             "", "| check | status | wall s | CPU s | peak RSS MB | findings (code:severity:rows) |", "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        detail = f" {r['detail']}" if r.get("detail") else ""
        lines.append(f"| {r['check']} | {r['status']}{detail} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                     f"{r['peak_rss_mb']:.0f} | {r['findings']} |")
    load = result["load_average"]
    lines += ["", f"load + all checks: {result['load_s'] + result['checks_total_s']:.1f} s wall "
                  f"(checks {result['checks_total_s']:.1f} s); process peak RSS {result['peak_rss_mb']:.0f} MB; "
                  f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"]
    for code, a in result["accuracy"].items():
        lines.append(f"{code}: recall {a['recall']:.4f}, precision {a['precision']:.4f} "
                     f"({a['n_found']} found, {a['n_planted']} planted; threshold {a['threshold']}; "
                     f"{a['search']}; sampled {a['sampled']})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median is reported")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one, args.seed)))
        return
    results, text = measure_sizes(
        args.sizes, lambda _, n: [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
        args.repeat, total_wall, render, "train rows", ROOT)
    if len(results) > 1:
        lines = ["### growth", "", "| train rows | runs | load + checks wall s, median (range) | CPU s | "
                 "CPU ratio to previous | wall ratio to previous | rows ratio | peak RSS MB |",
                 "|---|---|---|---|---|---|---|---|"]
        previous = None
        for r in results:
            wall, cpu = total_wall(r), sum(row["cpu_s"] for row in r["rows"])
            ratios = ("", "", "") if previous is None else (
                f"{cpu / previous[0]:.1f}x", f"{wall / previous[1]:.1f}x", f"{r['n_train'] / previous[2]:.0f}x")
            lines.append(f"| {r['n_train']:,} | {len(r['walls'])} | {wall:.1f} ({min(r['walls']):.1f}–"
                         f"{max(r['walls']):.1f}) | {cpu:.1f} | {ratios[0]} | {ratios[1]} | {ratios[2]} | "
                         f"{r['peak_rss_mb']:.0f} |")
            previous = (cpu, wall, r["n_train"])
        text.append("\n".join(lines))
        print(text[-1], flush=True)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
