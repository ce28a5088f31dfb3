"""Picture folders: what the audit finds and how fast, beside cleanvision on the same files.

Two parts, each measured in a fresh process (wall time, CPU time and peak RSS of the process
and its decoding workers):

- ``--quality``: a planted folder pair of about 2,700 small JPEGs (shapes on textured
  backgrounds) with byte copies, near copies (resized x0.6-1.6, JPEG quality 60-95,
  brightness +-8%, crop up to 4%), copies under another class, exact and near copies in val,
  6% of train in a wrong class folder, and dark, overexposed, blurred, blank, odd-sized, grey
  and unreadable files. It prints recall, precision and the flagged-to-planted ratio of every
  code, the label-issue F1 with the out-of-fold accuracy, and cleanvision's figures on the
  readable files (it stops at the first unreadable one, so it is given only those).
- ``--sizes``: clean folders of N pictures of 64-256 px (with a few copies), every check but
  label issues, against cleanvision's default issue types on the same files.
- ``--embedding-sizes``: label issues alone on N pictures of 64 px with 5% in a wrong class
  folder, reading the user's vectors from one Parquet file a split (``EMBEDDING_WIDTH``
  numbers a picture: a class signal in a few of them, noise in the rest): the time to read and
  match the files by path, the time of the check, and its F1 on the planted pictures.
- ``--cnn-sizes``: label issues alone on N pictures of 64-256 px (``--cnn-sides``) on textured backgrounds
  (shapes of any hue: colour tells no class) with ``--wrong-share`` of train in a wrong class
  folder, without vectors, so the small CNN competes with the colour-feature models within
  ``--cnn-budget``: wall and CPU time of the check, the winning model, the out-of-fold
  accuracy, F1 / recall / precision, and whether the check kept within the budget.

    python bench/bench_images.py --quality --sizes 10000 --embedding-sizes 10000 --out bench/results/images.md
    python bench/bench_images.py --cnn-sizes 2700 10000 --out bench/results/images_cnn.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

QUALITY_SPEC = dict(n_train=2000, n_val=560, byte_copies=40, near_copies=40, cross_class_copies=20, exact_leaks=20,
                    near_leaks=40, wrong_class=0.06, dark=10, overexposed=10, blurry=10, blank=10, odd_size=10,
                    grayscale=10, unreadable=10, seed=11)
QUALITY_CODES = {"dark": "dark_images", "overexposed": "overexposed_images", "blurry": "blurry_images",
                 "blank": "blank_images", "odd_size": "odd_size_images", "grayscale": "grayscale_images",
                 "unreadable": "unreadable_images"}
EMBEDDING_WIDTH = 128
CLEANVISION_CODES = {"dark": "dark", "overexposed": "light", "blurry": "blurry", "blank": "low_information",
                     "odd_size": "odd_size", "grayscale": "grayscale"}


def measured(argv: list[str]) -> dict:
    """Run this script's ``--measure`` part in a fresh process; its JSON plus time and memory."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, check=True,
                            env={**os.environ, "TQDM_DISABLE": "1"})
    wall = time.perf_counter() - started
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "wall_s": wall}


def usage() -> dict:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
            "peak_rss_mb": max(me.ru_maxrss, children.ru_maxrss) / 1024}


def run_ours(root: Path, with_labels: bool) -> dict:
    """The audit's checks on the folder pair: flagged (split, path) by code."""
    from audit.images.folders import load_image_folders
    from audit.runner import run_checks
    from checks import REGISTRY

    started = time.perf_counter()
    data = load_image_folders(root / "train", root / "val")
    loaded = time.perf_counter() - started
    skip = {"data_quality", "group_leakage", "temporal_leakage", "target_leakage"} | (set() if with_labels
                                                                                     else {"label_issues"})
    results = run_checks(data, [REGISTRY[name]() for name in REGISTRY if name not in skip])
    flagged: dict[str, list] = {}
    pairs: dict[str, list] = {}
    accuracy = inputs = None
    for result in results:
        for finding in result.findings:
            flagged.setdefault(finding.code, []).extend([r["split"], r["path"]] for r in finding.rows)
            pairs.setdefault(finding.code, []).extend(
                [r["split"], r["path"], "train" if "train_path" in r else r.get("duplicate_split") or r["split"],
                 r.get("train_path") or r.get("duplicate_of_path")] for r in finding.rows)
            if finding.code == "label_issues" and finding.metrics.get("split") == "train":
                accuracy = finding.metrics.get("prediction_accuracy")
                inputs = finding.metrics.get("picture_inputs", {}).get("described")
    return {"flagged": flagged, "pairs": pairs, "load_s": loaded, "checks_s": time.perf_counter() - started - loaded,
            "oof_accuracy": accuracy, "inputs": inputs, **usage()}


def run_embedded(root: Path) -> dict:
    """Label issues alone on the folder pair, reading ``<split>.parquet`` beside it: times and flagged files."""
    from audit.images.embeddings import attach_embeddings
    from audit.images.folders import load_image_folders
    from audit.runner import run_checks
    from checks import REGISTRY

    data = load_image_folders(root / "train", root / "val")
    started = time.perf_counter()
    attach_embeddings(data, (str(root / "train.parquet"), str(root / "val.parquet")))
    read = time.perf_counter() - started
    check_cpu = time.process_time()
    [result] = run_checks(data, [REGISTRY["label_issues"]()])
    check_cpu = time.process_time() - check_cpu
    [train] = [f for f in result.findings if f.metrics.get("split") == "train"]
    return {"flagged": [[r["split"], r["path"]] for r in train.rows], "read_s": read,
            "check_s": time.perf_counter() - started - read, "check_cpu_s": check_cpu,
            "oof_accuracy": train.metrics["prediction_accuracy"], "model": train.metrics["model"], **usage()}


def run_network(root: Path, budget_s: float) -> dict:
    """Label issues alone on the folder pair with the small CNN as a candidate: times and flagged files."""
    from audit.images.cnn import attach_small_cnn
    from audit.images.folders import load_image_folders
    from audit.runner import run_checks
    from checks import REGISTRY

    data = load_image_folders(root / "train", root / "val")
    attach_small_cnn(data, budget_s)
    started, check_cpu = time.perf_counter(), time.process_time()
    [result] = run_checks(data, [REGISTRY["label_issues"]()])
    check_s, check_cpu = time.perf_counter() - started, time.process_time() - check_cpu
    [train] = [f for f in result.findings if f.metrics.get("split") == "train"]
    network = train.metrics.get("network", {})
    return {"flagged": [[r["split"], r["path"]] for r in train.rows], "check_s": check_s, "check_cpu_s": check_cpu,
            "oof_accuracy": train.metrics["prediction_accuracy"], "model": train.metrics["model"],
            "plan": network.get("described"), "notes": network.get("notes"), "skipped": network.get("skipped"),
            **usage()}


def network_row(n: int, folder: Path, wrong_share: float, budget_s: float, sides: tuple[int, int]) -> str:
    from audit.images.synthetic import PlantSpec, write_planted_folders

    n_val = n // 5
    spec = replace(PlantSpec(n_train=n - n_val, n_val=n_val, side_range=sides, background="textured").clean(),
                   wrong_class=wrong_share)
    planted = write_planted_folders(folder, spec)
    ours = measured(["--measure", "network", "--folder", str(folder), "--cnn-budget", str(budget_s)])
    r, p, _ = scores({tuple(f) for f in ours["flagged"]}, planted.paths("wrong_class"))
    f1 = 2 * r * p / (r + p) if r + p else 0.0
    held = "yes" if ours["check_s"] <= budget_s else "NO"
    plan = ours["plan"] if ours["skipped"] is None else f"not trained: {ours['skipped']}"
    return (f"| {n:,} ({sides[0]}-{sides[1] - 1} px) | {ours['check_s']:.1f} s / {ours['check_cpu_s']:.1f} s | "
            f"{held} ({budget_s:g} s) | "
            f"{ours['model']} | {ours['oof_accuracy']:.3f} | {f1:.3f} / {r:.3f} / {p:.3f} "
            f"({len(ours['flagged'])} flagged, {len(planted.paths('wrong_class'))} planted) | "
            f"{ours['peak_rss_mb']:.0f} MB | {plan}; {'; '.join(ours['notes'] or [])} |")


def run_cleanvision(root: Path, skip: list[str]) -> dict:
    from cleanvision import Imagelab

    files = sorted(str(p) for p in root.rglob("*") if p.is_file() and str(p.relative_to(root)) not in skip)
    started = time.perf_counter()
    lab = Imagelab(filepaths=files)
    lab.find_issues(verbose=False)
    flagged = {}
    for column in lab.issues.columns:
        if column.startswith("is_") and column.endswith("_issue"):
            hits = lab.issues.index[lab.issues[column]]
            flagged[column[3:-6]] = [list(Path(h).relative_to(root).parts[:1]) + ["/".join(Path(h).relative_to(root).parts[1:])]
                                     for h in hits]
    return {"flagged": flagged, "seconds": time.perf_counter() - started, **usage()}


def scores(found: set, truth: set) -> tuple[float, float, int]:
    hit = len(found & truth)
    return (hit / len(truth) if truth else 1.0), (hit / len(found) if found else 1.0), len(found)


def quality_table(root: Path, planted) -> list[str]:
    skip = [f"{s}/{p}" for s, p in planted.problems["unreadable"]]
    ours = measured(["--measure", "ours", "--folder", str(root), "--labels"])
    theirs = measured(["--measure", "cleanvision", "--folder", str(root), "--skip", json.dumps(skip)])
    got = {code: {tuple(r) for r in rows} for code, rows in ours["flagged"].items()}
    cv = {code: {tuple(r) for r in rows} for code, rows in theirs["flagged"].items()}
    copies = set().union(*(planted.paths(k) for k in ("byte_copy", "near_copy", "cross_class_copy", "exact_leak",
                                                      "near_leak")))
    ours_copies = set().union(*(got.get(c, set()) for c in ("exact_duplicates", "near_duplicates", "exact_leakage",
                                                            "near_leakage")))
    sources = {(s, p) for kind in ("byte_copy", "near_copy", "cross_class_copy") for *_, s, p in planted.pairs[kind]}
    # cleanvision flags every member of a set (the original too); count its hits on copies and its other flags.
    cv_copies = cv.get("exact_duplicates", set()) | cv.get("near_duplicates", set())
    planted_pairs = {frozenset([(s, p), (os_, op)]) for kind in ("byte_copy", "near_copy", "cross_class_copy",
                                                                  "exact_leak", "near_leak")
                     for s, p, os_, op in planted.pairs[kind]}
    our_pairs = {frozenset([(s, p), (os_, op)]) for code in ("exact_duplicates", "near_duplicates", "exact_leakage",
                                                            "near_leakage")
                 for s, p, os_, op in ours["pairs"].get(code, [])}
    lines = ["| measure | dataset-audit | cleanvision 0.3.7 |", "|---|---|---|"]
    r, p, n = scores(our_pairs, planted_pairs)
    lines.append(f"| copy and leak pairs (exact + near; a pair found whichever member is kept): recall / precision "
                 f"/ pairs | {r:.3f} / {p:.3f} / {n} | - |")
    r, p, n = scores(ours_copies, copies)
    cv_r, _, cv_n = scores(cv_copies, copies)
    lines.append(f"| copies and leaks (exact + near), by flagged file: recall / precision / flagged | {r:.3f} / {p:.3f} / {n} | "
                 f"{cv_r:.3f} / - / {cv_n} (sets include originals: {len(cv_copies - copies - sources)} flagged are neither) |")
    for kind, code, cv_code in (("near_copy", "near_duplicates", "near_duplicates"),
                                ("near_leak", "near_leakage", "near_duplicates")):
        r, p, n = scores(got.get(code, set()), planted.paths(kind))
        cv_hits = len(cv.get(cv_code, set()) & planted.paths(kind))
        lines.append(f"| {kind.replace('_', ' ')}s found | {r * len(planted.paths(kind)):.0f} of "
                     f"{len(planted.paths(kind))} (precision {p:.3f}) | {cv_hits} of {len(planted.paths(kind))} |")
    conflicts = planted.paths("cross_class_copy")
    r, _, n = scores(got.get("conflicting_labels", set()), conflicts)
    lines.append(f"| conflicting labels: recall of copies under another class / flagged | {r:.3f} / {n} "
                 f"(both members of each pair) | - |")
    for problem, code in QUALITY_CODES.items():
        truth = planted.paths(problem)
        r, p, n = scores(got.get(code, set()), truth)
        cv_code = CLEANVISION_CODES.get(problem)
        cv_text = ("stops with a traceback at the first one" if problem == "unreadable" else
                   f"{scores(cv.get(cv_code, set()), truth)[0]:.2f} / {len(cv.get(cv_code, set()))} ({cv_code})")
        lines.append(f"| {code}: recall / flagged (planted {len(truth)}) | {r:.2f} / {n} | {cv_text} |")
    wrong = planted.paths("wrong_class") | planted.paths("cross_class_copy")
    r, p, n = scores(got.get("label_issues", set()), wrong)
    f1 = 2 * r * p / (r + p) if r + p else 0.0
    lines.append(f"| label issues (wrong folder + copy under another class, {len(wrong)}): F1 / recall / precision "
                 f"| {f1:.3f} / {r:.3f} / {p:.3f} (out-of-fold accuracy {ours['oof_accuracy']:.3f}, on "
                 f"{ours['inputs']}) | - |")
    lines.append(f"| time: wall / CPU; peak RSS | {ours['wall_s']:.1f} s / {ours['cpu_s']:.1f} s (load "
                 f"{ours['load_s']:.1f} s, checks {ours['checks_s']:.1f} s with label issues); {ours['peak_rss_mb']:.0f} MB "
                 f"| {theirs['wall_s']:.1f} s / {theirs['cpu_s']:.1f} s; {theirs['peak_rss_mb']:.0f} MB |")
    return lines


def speed_row(n: int, folder: Path) -> str:
    from audit.images.synthetic import PlantSpec, write_planted_folders

    n_val = n // 5
    spec = PlantSpec(n_train=n - n_val, n_val=n_val, side_range=(64, 257)).clean()
    write_planted_folders(folder, spec)
    ours = measured(["--measure", "ours", "--folder", str(folder)])
    theirs = measured(["--measure", "cleanvision", "--folder", str(folder), "--skip", "[]"])
    return (f"| {n:,} | {ours['wall_s']:.1f} s (load {ours['load_s']:.1f} s, checks {ours['checks_s']:.1f} s) | "
            f"{ours['cpu_s']:.1f} s | {ours['peak_rss_mb']:.0f} MB | {theirs['wall_s']:.1f} s | {theirs['cpu_s']:.1f} s | "
            f"{theirs['peak_rss_mb']:.0f} MB |")


def write_vectors(folder: Path, planted, seed: int = 0) -> None:
    """``<split>.parquet`` beside the split folders: each listed path and a vector telling its true class."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from audit.images.folders import list_class_folder
    from audit.images.synthetic import CLASSES

    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        listed = list_class_folder(folder / split)
        true = [planted.true_labels.get(f"{split}/{path}", label) for path, label in listed]
        vectors = rng.normal(size=(len(listed), EMBEDDING_WIDTH)).astype(np.float32)
        vectors[np.arange(len(true)), [CLASSES.index(t) for t in true]] += 3.0
        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), EMBEDDING_WIDTH)
        pq.write_table(pa.table({"path": [path for path, _ in listed], "vector": column}), folder / f"{split}.parquet")


def embedding_row(n: int, folder: Path) -> str:
    from audit.images.synthetic import PlantSpec, write_planted_folders

    n_val = n // 5
    spec = replace(PlantSpec(n_train=n - n_val, n_val=n_val, side_range=(64, 65)).clean(), wrong_class=0.05)
    planted = write_planted_folders(folder, spec)
    write_vectors(folder, planted)
    ours = measured(["--measure", "embedded", "--folder", str(folder)])
    r, p, _ = scores({tuple(f) for f in ours["flagged"]}, planted.paths("wrong_class"))
    f1 = 2 * r * p / (r + p) if r + p else 0.0
    return (f"| {n:,} | {ours['read_s']:.2f} s | {ours['check_s']:.1f} s / {ours['check_cpu_s']:.1f} s | "
            f"{ours['model']} | "
            f"{ours['oof_accuracy']:.3f} | {f1:.3f} / {r:.3f} / {p:.3f} | {ours['cpu_s']:.1f} s | "
            f"{ours['peak_rss_mb']:.0f} MB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*", default=[])
    parser.add_argument("--embedding-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--cnn-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--cnn-budget", type=float, default=180.0, help="the small CNN's budget, seconds")
    parser.add_argument("--wrong-share", type=float, default=0.05, help="share of train in a wrong class folder")
    parser.add_argument("--cnn-sides", type=int, nargs=2, default=[64, 257], metavar=("LOW", "HIGH"),
                        help="picture sides drawn from LOW to HIGH - 1 px")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--measure", choices=["ours", "cleanvision", "embedded", "network"])
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--labels", action="store_true")
    parser.add_argument("--skip", default="[]")
    args = parser.parse_args()
    if args.measure == "ours":
        print(json.dumps(run_ours(args.folder, args.labels)))
        return
    if args.measure == "embedded":
        print(json.dumps(run_embedded(args.folder)))
        return
    if args.measure == "network":
        print(json.dumps(run_network(args.folder, args.cnn_budget)))
        return
    if args.measure == "cleanvision":
        print(json.dumps(run_cleanvision(args.folder, json.loads(args.skip))))
        return
    from audit.images.synthetic import PlantSpec, write_planted_folders

    lines = [f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores.", ""]
    with tempfile.TemporaryDirectory() as scratch:
        if args.quality:
            root = Path(scratch) / "planted"
            planted = write_planted_folders(root, PlantSpec(**QUALITY_SPEC))
            n_files = sum(1 for p in root.rglob("*") if p.is_file())
            lines += [f"## Planted folder pair ({n_files} files)", "", *quality_table(root, planted), ""]
        if args.sizes:
            lines += ["## Speed: every check but label issues, clean pictures of 64-256 px", "",
                      "| pictures | dataset-audit wall | CPU | peak RSS | cleanvision wall | CPU | peak RSS |",
                      "|---|---|---|---|---|---|---|"]
            for n in args.sizes:
                lines.append(speed_row(n, Path(scratch) / f"size-{n}"))
        if args.embedding_sizes:
            lines += ["", f"## Label issues with your embeddings (Parquet, {EMBEDDING_WIDTH} numbers a picture)", "",
                      "| pictures | read and match by path | label issues: wall / CPU | model | out-of-fold accuracy | "
                      "F1 / recall / precision (5% in a wrong folder) | CPU (whole process) | peak RSS |",
                      "|---|---|---|---|---|---|---|---|"]
            for n in args.embedding_sizes:
                lines.append(embedding_row(n, Path(scratch) / f"embedded-{n}"))
        if args.cnn_sizes:
            lines += ["", f"## Label issues with the small CNN: textured backgrounds, {args.wrong_share:.0%} of train in "
                          f"a wrong class folder, no vectors", "",
                      "| pictures | label issues: wall / CPU | within budget | model | out-of-fold accuracy | "
                      "F1 / recall / precision | peak RSS | network plan |",
                      "|---|---|---|---|---|---|---|---|"]
            for n in args.cnn_sizes:
                lines.append(network_row(n, Path(scratch) / f"network-{n}", args.wrong_share, args.cnn_budget,
                                         tuple(args.cnn_sides)))
    lines += ["", f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
