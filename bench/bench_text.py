"""Time the text detectors (checks/text) on planted ticket pairs of growing size, with their accuracy.

For each size a process generates a planted pair and writes it as Parquet
(audit/tickets.py: tickets of about 40 words, four overlapping queues, a priority and a
channel column; val has a fifth of train's rows; 1% of train rows planted as copies of each
of seven kinds, 2% of val rows as leaks of each kind, about 6% flipped labels); fresh
processes read it back and run each component on the ``text`` column, printing its wall
time, CPU time and the peak resident memory while it ran (sampled from /proc by
bench/run_bench.py's sampler):

- normalise: the documented normalisation of both splits (shared by the next four, as an
  audit computes it once);
- exact: raw and normalised hashes, duplicates within train, leaks into val;
- near: shingles, MinHash, banding, estimate prefilter and exact Jaccard verification;
- tfidf_oof: out-of-fold TF-IDF + logistic-regression probabilities (train and val);
- cleanlab: ``find_label_issues`` on those probabilities, per split;
- shortcut: the one-word-per-class score of the text column;
- quality: empty, blank, extreme-length, mojibake and markup facts.

Then recall and precision of duplicates and of leaks (exact and near together, against the
planted copies of every kind), and the label-issue F1. At sizes up to ``--peer-max`` it also
runs peers in the same process: datasketch's MinHash + MinHashLSH at the same threshold
(num_perm 128) for near pairs, and the out-of-fold model with in-word character 3-5-grams
added to the word 1-2-grams. ``--clean`` also runs near pairs and label issues on the clean
pair from the same generator (nothing should be near; few labels flagged).

    python bench/bench_text.py --sizes 10000 100000 --repeat 3 --clean --out bench/results/text.md
    python bench/bench_text.py --sizes 1000000

With ``--repeat`` each size runs that many times in fresh processes and the run with the
median total is shown; the growth table gives the median and the range of the totals.
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
from pathlib import Path

from bench.repeat import measure_sizes, write_text

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ("normalise", "exact", "near", "tfidf_oof", "cleanlab", "shortcut", "quality")


def generate(n_train: int, seed: int, folder: Path) -> None:
    """Write the planted pair (and its clean twin) as Parquet, as a user's files would come."""
    sys.path.insert(0, str(ROOT))
    from audit.tickets import make_text_pair, save_text_pair

    save_text_pair(make_text_pair(n_train, n_train // 5, seed=seed), folder / "planted")
    save_text_pair(make_text_pair(n_train, n_train // 5, seed=seed, plant=False), folder / "clean")


def run_size(folder: Path, seed: int, peer_max: int, clean: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd

    from audit.tickets import LABEL, TEXT, load_text_pair
    from bench.run_bench import RssSampler

    rows: list[dict] = []
    out: dict = {}
    with RssSampler() as sampler:
        def measure(name: str, work):
            sampler.enter(name)
            wall, cpu = time.perf_counter(), time.process_time()
            value = work()
            sampler.sample()
            rows.append({"component": name, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu})
            return value

        started = time.perf_counter()
        pair = load_text_pair(folder / "planted")
        out["read_s"] = time.perf_counter() - started
        n_train = len(pair.train)
        texts = {"train": pair.train[TEXT], "val": pair.val[TEXT]}
        labels = {"train": pair.train[LABEL], "val": pair.val[LABEL]}
        results = run_components(measure, texts, labels, seed)
        if n_train <= peer_max:
            results.update(run_peers(measure, texts, labels, seed, results["near"].threshold))
        if clean:
            results["clean"] = run_clean(load_text_pair(folder / "clean"), seed)
        sampler.enter(None)
    for row in rows:
        row["peak_rss_mb"] = sampler.peaks.get(row["component"], 0) / 2**20
    out.update(accuracy(pair, results, np, pd))
    out.update({"n_train": len(pair.train), "n_val": len(pair.val), "rows": rows,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "load_average": os.getloadavg(), "near": results["near"].describe(),
                "shortcut_score": results["shortcut"].score})
    return out


def run_components(measure, texts, labels, seed: int) -> dict:
    import numpy as np

    from checks.text.exact import normalise_all, text_duplicates, text_keys, text_leaks
    from checks.text.model import text_out_of_fold
    from checks.text.near import near_text
    from checks.text.quality import text_quality
    from checks.text.shortcut import text_shortcut

    normalised = measure("normalise", lambda: {s: normalise_all(v) for s, v in texts.items()})

    def exact():
        keys = {s: text_keys(texts[s], normalised[s]) for s in texts}
        return text_duplicates(keys["train"]), text_leaks(keys["train"], keys["val"])

    results = {"exact": measure("exact", exact)}
    results["near"] = measure("near", lambda: near_text(texts, seed=seed, normalised=normalised))
    results["oof"] = measure("tfidf_oof", lambda: text_out_of_fold(texts, labels, random_state=seed,
                                                                   normalised=normalised))
    results["issues"] = measure("cleanlab", lambda: label_issues(results["oof"], np))
    results["shortcut"] = measure("shortcut", lambda: text_shortcut("text", texts["train"], labels["train"],
                                                                    random_state=seed,
                                                                    normalised=normalised["train"]))
    measure("quality", lambda: text_quality("text", texts))
    return results


def run_peers(measure, texts, labels, seed: int, threshold: float) -> dict:
    import numpy as np

    from checks.text.model import text_out_of_fold
    from checks.text.tfidf import TfidfSpec

    def datasketch_pairs():
        from datasketch import MinHash, MinHashLSH

        from checks.text.near import joined_token_texts
        from checks.text.exact import normalise_all

        tokens = [t for s in ("train", "val") for t in joined_token_texts(normalise_all(texts[s])).tolist()]
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        signatures = []
        for i, text in enumerate(tokens):
            words = text.split(" ")
            m = MinHash(num_perm=128, seed=seed)
            m.update_batch([" ".join(words[j:j + 2]).encode() for j in range(max(1, len(words) - 1))])
            lsh.insert(i, m)
            signatures.append(m)
        return {(min(i, j), max(i, j)) for i, m in enumerate(signatures) for j in lsh.query(m) if j != i}

    peers = {"datasketch": measure("peer: datasketch MinHash+LSH", datasketch_pairs)}
    peers["oof_char"] = measure("peer: tfidf_oof + char_wb 3-5",
                                lambda: text_out_of_fold(texts, labels, random_state=seed,
                                                         spec=TfidfSpec(char_wb_ngrams=(3, 4, 5))))
    peers["issues_char"] = label_issues(peers["oof_char"], np)
    return peers


def run_clean(pair, seed: int) -> dict:
    import numpy as np

    from audit.tickets import LABEL, TEXT
    from checks.text.model import text_out_of_fold
    from checks.text.near import near_text

    texts = {"train": pair.train[TEXT], "val": pair.val[TEXT]}
    near = near_text(texts, seed=seed)
    issues = label_issues(text_out_of_fold(texts, {"train": pair.train[LABEL], "val": pair.val[LABEL]},
                                           random_state=seed), np)
    return {"near_pairs": len(near.pairs), "near_duplicates": len(near.duplicates("train")),
            "near_leaks": len(near.leaks()),
            "label_issue_share": {s: float(flags.mean()) for s, flags in issues.items()}}


def label_issues(oof, np) -> dict:
    from cleanlab.filter import find_label_issues

    return {s: find_label_issues(oof.labels[s], oof.pred_probs[s], n_jobs=1) for s in oof.pred_probs}


def accuracy(pair, results: dict, np, pd) -> dict:
    from audit.tickets import NEAR_KINDS

    duplicates, leaks = results["exact"]
    near = results["near"]
    near_duplicates, near_leaks = near.duplicates("train"), near.leaks()
    found = {"duplicates": set(zip(duplicates.rows.tolist(), duplicates.partners.tolist()))
             | set(zip(near_duplicates.rows.tolist(), near_duplicates.partners.tolist())),
             "leaks": set(zip(leaks.rows.tolist(), leaks.partners.tolist()))
             | set(zip(near_leaks.rows.tolist(), near_leaks.partners.tolist()))}
    truth = {"duplicates": pair.duplicates(), "leaks": pair.leaks()}
    scores = {name: prf(found[name], truth[name]) for name in found}
    scores["near only"] = prf(set(zip(near_duplicates.rows.tolist(), near_duplicates.partners.tolist()))
                              | set(zip(near_leaks.rows.tolist(), near_leaks.partners.tolist())),
                              pair.duplicates(NEAR_KINDS) | pair.leaks(NEAR_KINDS))
    for split, flags in results["issues"].items():
        truth_rows = set(pair.label_issues[split])
        scores[f"label issues ({split})"] = prf(set(np.flatnonzero(flags).tolist()), truth_rows)
    if "datasketch" in results:
        # Positions in train-then-val order, unordered: the peer sees every text, copies included.
        n_train = len(pair.train)
        planted = {(min(a, b), max(a, b)) for a, b in pair.duplicates()}
        planted |= {(b, n_train + a) for a, b in pair.leaks()}
        scores["peer: datasketch pairs (exact and near)"] = prf(results["datasketch"], planted)
        for split, flags in results["issues_char"].items():
            scores[f"label issues, + char_wb ({split})"] = prf(set(np.flatnonzero(flags).tolist()),
                                                                set(pair.label_issues[split]))
    return {"scores": scores, "clean": results.get("clean")}


def prf(found: set, truth: set) -> dict:
    hit = len(found & truth)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"recall": recall, "precision": precision, "f1": f1, "found": len(found), "planted": len(truth)}


def total_wall(result: dict) -> float:
    return sum(r["wall_s"] for r in result["rows"] if r["component"] in COMPONENTS)


def render(result: dict) -> str:
    lines = [f"### {result['n_train']:,} train + {result['n_val']:,} val texts", "",
             "| component | wall s | CPU s | peak RSS MB |", "|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['component']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_rss_mb']:.0f} |")
    load = result["load_average"]
    lines += ["", f"text components: {total_wall(result):.1f} s wall; process peak RSS {result['peak_rss_mb']:.0f} MB; "
                  f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}; reading the pair (Parquet) took "
                  f"{result['read_s']:.1f} s", "",
              "| measure | recall | precision | F1 | found | planted |", "|---|---|---|---|---|---|"]
    for name, s in result["scores"].items():
        lines.append(f"| {name} | {s['recall']:.4f} | {s['precision']:.4f} | {s['f1']:.4f} | {s['found']} | {s['planted']} |")
    near = result["near"]
    lines += ["", f"near: {near['similarity']} >= {near['threshold']:.2f}; {near['n_bands']} bands of "
                  f"{near['rows_per_band']} slots; {near['n_distinct_texts']:,} distinct texts, "
                  f"{near['n_candidate_pairs']:,} candidate pairs, {near['n_near_pairs']:,} near pairs; "
                  f"shortcut score of the text column {result['shortcut_score']:.3f}"]
    if result.get("clean"):
        c = result["clean"]
        shares = ", ".join(f"{s} {v:.2%}" for s, v in c["label_issue_share"].items())
        lines.append(f"clean pair: {c['near_pairs']} near pairs ({c['near_duplicates']} near duplicates, "
                     f"{c['near_leaks']} near leaks); label issues flagged: {shares}")
    return "\n".join(lines)


def growth(results: list[dict]) -> str:
    lines = ["### growth", "", "| train texts | runs | text components wall s, median (range) | CPU s | "
             "wall ratio to previous | texts ratio | peak RSS MB (text components) |", "|---|---|---|---|---|---|---|"]
    previous = None
    for r in results:
        wall = total_wall(r)
        cpu = sum(row["cpu_s"] for row in r["rows"] if row["component"] in COMPONENTS)
        ratios = ("", "") if previous is None else (f"{wall / previous[0]:.1f}x", f"{r['n_train'] / previous[1]:.0f}x")
        peak = max(row["peak_rss_mb"] for row in r["rows"] if row["component"] in COMPONENTS)
        lines.append(f"| {r['n_train']:,} | {len(r['walls'])} | {wall:.1f} ({min(r['walls']):.1f}–{max(r['walls']):.1f}) "
                     f"| {cpu:.1f} | {ratios[0]} | {ratios[1]} | {peak:.0f} |")
        previous = (wall, r["n_train"])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median is reported")
    parser.add_argument("--peer-max", type=int, default=100_000, help="largest size at which peers run")
    parser.add_argument("--clean", action="store_true", help="also run the clean pair (smallest size only)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.seed, args.one)
        return
    if args.one:
        print(json.dumps(run_size(args.one, args.seed, args.peer_max, args.clean)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-text-") as scratch:
        run_sizes(args, Path(scratch))


def run_sizes(args: argparse.Namespace, scratch: Path) -> None:
    def command_of(k: int, n: int) -> list[str]:
        folder = scratch / str(n)
        subprocess.run([sys.executable, __file__, "--generate", str(n), "--seed", str(args.seed), "--one", str(folder)],
                       check=True, cwd=ROOT)
        return [sys.executable, __file__, "--one", str(folder), "--seed", str(args.seed),
                "--peer-max", str(args.peer_max)] + (["--clean"] if args.clean and k == 0 else [])

    results, text = measure_sizes(args.sizes, command_of, args.repeat, total_wall, render, "train texts", ROOT)
    if len(results) > 1:
        text.append(growth(results))
        print(text[-1], flush=True)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
