"""A cost model of the Spark audit, fitted on measured runs, and what it predicts far past this machine.

    python bench/spark_cost_model.py bench/results/spark_1m.json bench/results/spark_3m.json \
        bench/results/spark_10m.json --rows 1200000000 --executors 32 --cores 8 --out bench/results/spark_1b.md

Reads the JSON records of ``bench/bench_spark_scale.py --json`` (one a size) and fits, per
phase, CPU seconds = fixed + per-million-rows x millions of rows (least squares; through the
origin when a single size is given). The prediction for ``--rows`` on ``--executors`` x
``--cores`` divides the CPU seconds by the cores at ``--efficiency`` of local mode's use of
them (network shuffles and stragglers cost what one machine does not pay); the driver's
memory is extrapolated the same way from its peak at each size, and the rows the findings
bring back to the driver (their evidence) from the counts the runs reported; with a single
size the driver's peak is held flat. A phase whose
per-row cost grows with the rows (a super-linear fit) is named: it breaks first.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# What one evidence row costs on the driver as a Python dict in a finding (measured order of
# magnitude: a dozen small fields), to turn collected rows into memory.
EVIDENCE_ROW_BYTES = 600


@dataclass(frozen=True)
class Fit:
    phase: str
    fixed_s: float
    per_million_s: float
    growth: float  # per-million cost at the largest size over that at the smallest (1.0: linear)

    def cpu_s(self, rows: float) -> float:
        return max(0.0, self.fixed_s + self.per_million_s * rows / 1e6)


def fit_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(intercept, slope) by least squares; through the origin for one point."""
    if len(x) == 1:
        return 0.0, float(y[0] / x[0])
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope)


def phase_fits(records: list[dict]) -> list[Fit]:
    millions = np.array([(r["n_train"] + r["n_val"]) / 1e6 for r in records])
    names = [p["name"] for p in records[-1]["phases"] if p["name"] != "(start Spark)"]
    fits = []
    for name in names:
        cpu = np.array([next((p["cpu_s"] for p in r["phases"] if p["name"] == name), 0.0) for r in records])
        fixed, slope = fit_line(millions, cpu)
        per_row = cpu / millions
        growth = float(per_row[-1] / per_row[0]) if per_row[0] > 0 else 1.0
        fits.append(Fit(name, fixed, slope, growth))
    return fits


def collected_rows(record: dict) -> int:
    """Evidence rows the findings of one run named (``code:severity:rows`` entries)."""
    total = 0
    for phase in record["phases"]:
        for entry in filter(None, (e.strip() for e in phase.get("findings", "").split(","))):
            total += int(entry.rsplit(":", 1)[1])
    return total


def predict(records: list[dict], rows: float, executors: int, cores: int, efficiency: float) -> str:
    records = sorted(records, key=lambda r: r["n_train"])
    millions = np.array([(r["n_train"] + r["n_val"]) / 1e6 for r in records])
    fits = phase_fits(records)
    total_cpu = sum(f.cpu_s(rows) for f in fits)
    wall = total_cpu / (executors * cores * efficiency)
    driver = np.array([max(p["driver_rss"] for p in r["phases"]) for r in records], dtype=float)
    # One size says nothing about growth: the driver's peak is then held flat, not scaled.
    driver_fixed, driver_slope = fit_line(millions, driver) if len(records) > 1 else (float(driver[0]), 0.0)
    evidence = np.array([collected_rows(r) for r in records], dtype=float)
    evidence_per_million = float(np.mean(evidence / millions))
    evidence_rows = evidence_per_million * rows / 1e6
    sizes = ", ".join(f"{m:,.1f}M" for m in millions)
    lines = [f"### Predicted: {rows:,.0f} rows on {executors} executors x {cores} cores", "",
             f"Fitted on runs of {sizes} rows ({records[0]['master']}); load averages during the runs: "
             + "; ".join(" -> ".join(r["load_average"]) for r in records) + ".", "",
             "| phase | fixed CPU s | CPU s per 1M rows | per-row cost, largest / smallest run | predicted CPU s |",
             "|---|---|---|---|---|"]
    for f in fits:
        lines.append(f"| {f.phase} | {f.fixed_s:.1f} | {f.per_million_s:.2f} | {f.growth:.2f} | {f.cpu_s(rows):,.0f} |")
    lines += ["",
              f"- CPU: {total_cpu:,.0f} s ({total_cpu / 3600:,.1f} core-hours); on {executors * cores} cores at "
              f"{efficiency:.0%} of local mode's efficiency, about {wall / 60:,.0f} minutes of wall time.",
              f"- Python driver: {driver_fixed / 2**20:,.0f} MB + {driver_slope / 2**20:,.2f} MB per million rows "
              f"-> {(driver_fixed + driver_slope * rows / 1e6) / 2**30:,.1f} GiB.",
              f"- Evidence rows the findings bring to the driver: {evidence_per_million:,.0f} per million rows -> "
              f"{evidence_rows:,.0f} rows, about {evidence_rows * EVIDENCE_ROW_BYTES / 2**30:,.1f} GiB as findings.",
              ""]
    growing = [f for f in fits if f.growth > 1.25 and f.per_million_s > 1]
    first = max(growing, key=lambda f: f.growth, default=None)
    breaks = [f"- What breaks first: {first.phase} (its per-row cost grew {first.growth:.2f}x from the smallest "
              f"to the largest run, so the linear prediction is a lower bound)." if first else
              "- No phase's per-row cost grew by more than a quarter between the runs."]
    driver_total = driver_fixed + driver_slope * rows / 1e6 + evidence_rows * EVIDENCE_ROW_BYTES
    breaks.append(f"- The driver would hold about {driver_total / 2**30:,.1f} GiB (its own peak plus the findings' "
                  f"evidence rows); the evidence, not the checks, is what grows with the rows there.")
    return "\n".join(lines + breaks) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="+", type=Path, help="JSON files of bench_spark_scale.py --json")
    parser.add_argument("--rows", type=float, default=1.2e9, help="train + val rows to predict for")
    parser.add_argument("--executors", type=int, default=32)
    parser.add_argument("--cores", type=int, default=8, help="cores per executor")
    parser.add_argument("--efficiency", type=float, default=0.6)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    records = [json.loads(path.read_text()) for path in args.records]
    text = predict(records, args.rows, args.executors, args.cores, args.efficiency)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
