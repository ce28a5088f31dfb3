"""Compare nearest-neighbour libraries on the searches the near-duplicate checks make.

The workload is the one checks/neighbours.py serves: the encoded features of a planted pair
(20 numeric columns, one categorical one-hot encoded: 26 dimensions), searched twice:

- train against itself, 3 neighbours (the row itself plus 2), as the near_duplicates check does;
- val against train, 1 neighbour, as the near_leakage check does.

For each candidate it reports build and query time, peak memory above the loaded data,
recall@1 against exact search on 2,000 sampled queries of each search, recall of the planted
near copies (the planted source, or a row at least as close, is returned) and whether two
runs in one process return identical neighbours. Each candidate runs in its own process,
so peak memory is its own.

    python bench/compare_neighbours.py --sizes 100000 1000000 --out bench/results/neighbours.md
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

import numpy as np

N_THREADS = 2
N_CHECK = 2000
CANDIDATES = {
    # name: (max rows it is run at, description)
    "sklearn-brute": (100_000, "scikit-learn NearestNeighbors(algorithm='brute'), exact"),
    "sklearn-kdtree": (10_000, "scikit-learn NearestNeighbors(algorithm='kd_tree'), exact"),
    "faiss-flat": (100_000, "faiss IndexFlatL2, exact (BLAS)"),
    "faiss-ivf-1": (10_000_000, "faiss IndexIVFFlat nlist=2*sqrt(n), nprobe=1"),
    "faiss-ivf-2": (10_000_000, "faiss IndexIVFFlat nlist=2*sqrt(n), nprobe=2 (the choice)"),
    "faiss-ivf-8": (10_000_000, "faiss IndexIVFFlat nlist=2*sqrt(n), nprobe=8"),
    "faiss-hnsw": (10_000_000, "faiss IndexHNSWFlat M=32 efConstruction=40 efSearch=32"),
    "hnswlib": (10_000_000, "hnswlib M=16 ef_construction=100 ef=50"),
    "pynndescent": (100_000, "pynndescent NNDescent(n_neighbors=10)"),
}


def prepare(n_train: int, folder: Path) -> Path:
    """Encode a planted pair of ``n_train`` train rows once; candidates load the arrays."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from audit.api import load
    from audit.data import Roles
    from bench.planted import LABEL, make_planted_pair
    from checks.features import encoded_features

    path = folder / f"nn_{n_train}.npz"
    if path.exists():
        return path
    pair = make_planted_pair(n_train, seed=0)
    data = load(pair.train, pair.val, Roles(LABEL))
    encoded = encoded_features(data)
    np.savez(path, train=encoded.matrices["train"], val=encoded.matrices["val"],
             near_duplicates=np.array(pair.near_duplicates), near_leaks=np.array(pair.near_leaks))
    return path


def exact_nn(base: np.ndarray, queries: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
    """Exact nearest-neighbour distance of each query (float64, chunked: no n x n matrix)."""
    base64 = base.astype(np.float64)
    base_sq = (base64 ** 2).sum(1)
    result = np.empty(len(queries))
    for start in range(0, len(queries), 256):
        q = queries[start:start + 256].astype(np.float64)
        d2 = (q ** 2).sum(1)[:, None] + base_sq[None, :] - 2 * q @ base64.T
        if exclude is not None:
            d2[np.arange(len(q)), exclude[start:start + 256]] = np.inf
        best = np.argmin(d2, axis=1)
        result[start:start + 256] = np.sqrt(((base64[best] - q) ** 2).sum(1))
    return result


def run_candidate(name: str, path: Path) -> dict:
    arrays = np.load(path)
    train, val = np.ascontiguousarray(arrays["train"]), np.ascontiguousarray(arrays["val"])
    build, search_self, search_val = make_candidate(name, train, val)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    index = build()
    built = time.perf_counter()
    self_idx = search_self(index)
    val_idx = search_val(index)
    done, cpu_done = time.perf_counter(), time.process_time()
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    again = build()
    deterministic = bool(np.array_equal(search_self(again), self_idx) and np.array_equal(search_val(again), val_idx))

    def dist(a, b):
        return np.sqrt(((train[b].astype(np.float64) - a.astype(np.float64)) ** 2).sum(1))

    rng = np.random.default_rng(1)
    tol = 1e-6
    # recall@1 of val -> train
    q = rng.choice(len(val), min(N_CHECK, len(val)), replace=False)
    truth = exact_nn(train, val[q])
    got = dist(val[q], val_idx[q, 0])
    recall_val = float(np.mean(got <= truth * (1 + tol) + tol))
    # recall@1 of train -> train without the row itself
    q = rng.choice(len(train), min(N_CHECK, len(train)), replace=False)
    truth = exact_nn(train, train[q], exclude=q)
    first_other = np.array([next((j for j in row if j != i and j >= 0), -1) for i, row in zip(q, self_idx[q])])
    got = np.where(first_other >= 0, dist(train[q], np.maximum(first_other, 0)), np.inf)
    recall_self = float(np.mean(got <= truth * (1 + tol) + tol))
    # planted near copies: the source (or a row at least as close) is among the neighbours
    near = arrays["near_duplicates"]
    leaks = arrays["near_leaks"]
    d_src = dist(train[near[:, 0]], near[:, 1])
    found_dup = [
        any(j != c and j >= 0 and dist(train[c:c + 1], np.array([j]))[0] <= ds * (1 + tol) + tol for j in self_idx[c])
        for (c, _), ds in zip(near, d_src)
    ]
    d_leak = dist(val[leaks[:, 0]], leaks[:, 1])
    got_leak = dist(val[leaks[:, 0]], val_idx[leaks[:, 0], 0])
    return {
        "candidate": name, "n_train": len(train), "n_val": len(val), "dim": train.shape[1],
        "build_s": built - started, "query_s": done - built, "total_s": done - started,
        "cpu_s": cpu_done - cpu_started,
        "peak_mb": peak_mb, "recall_at_1_val": recall_val, "recall_at_1_train": recall_self,
        "planted_recall_dup": float(np.mean(found_dup)),
        "planted_recall_leak": float(np.mean(got_leak <= d_leak * (1 + tol) + tol)),
        "deterministic": deterministic,
    }


def make_candidate(name: str, train: np.ndarray, val: np.ndarray):
    n = len(train)
    if name.startswith("sklearn"):
        from sklearn.neighbors import NearestNeighbors

        algorithm = "brute" if name == "sklearn-brute" else "kd_tree"
        build = lambda: NearestNeighbors(n_neighbors=3, algorithm=algorithm, n_jobs=N_THREADS).fit(train)
        return (build, lambda m: m.kneighbors(train, 3, return_distance=False),
                lambda m: m.kneighbors(val, 1, return_distance=False))
    if name.startswith("faiss"):
        import faiss

        faiss.omp_set_num_threads(N_THREADS)
        d = train.shape[1]

        def build():
            if name == "faiss-flat":
                index = faiss.IndexFlatL2(d)
            elif name == "faiss-hnsw":
                index = faiss.IndexHNSWFlat(d, 32)
                index.hnsw.efConstruction = 40
                index.hnsw.efSearch = 32
            else:
                nlist = max(16, int(2 * np.sqrt(n)))
                index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, nlist)
                index.cp.seed = 0
                index.cp.max_points_per_centroid = 64
                index.train(train)
                index.nprobe = int(name.rsplit("-", 1)[1])
            index.add(train)
            return index

        return build, lambda ix: ix.search(train, 3)[1], lambda ix: ix.search(val, 1)[1]
    if name == "hnswlib":
        import hnswlib

        def build():
            index = hnswlib.Index(space="l2", dim=train.shape[1])
            index.init_index(max_elements=n, ef_construction=100, M=16, random_seed=0)
            index.set_num_threads(N_THREADS)
            index.add_items(train, np.arange(n))
            index.set_ef(50)
            return index

        return (build, lambda ix: ix.knn_query(train, k=3)[0].astype(np.int64),
                lambda ix: ix.knn_query(val, k=1)[0].astype(np.int64))
    if name == "pynndescent":
        from pynndescent import NNDescent

        def build():
            index = NNDescent(train, n_neighbors=10, random_state=0, n_jobs=N_THREADS, verbose=False)
            index.prepare()
            return index

        return build, lambda ix: ix.neighbor_graph[0][:, :3], lambda ix: ix.query(val, k=1)[0]
    raise ValueError(name)


def table(rows: list[dict]) -> str:
    head = ("| rows (train/val) | candidate | build s | query s | total s | CPU s | peak MB | recall@1 val | "
            "recall@1 train | planted dup | planted leak | deterministic |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['n_train']} | {r['candidate']} | {r['error']} |" + " |" * 10)
            continue
        lines.append(
            f"| {r['n_train']}/{r['n_val']} | {r['candidate']} | {r['build_s']:.1f} | {r['query_s']:.1f} | "
            f"{r['total_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:.0f} | {r['recall_at_1_val']:.4f} | {r['recall_at_1_train']:.4f} | "
            f"{r['planted_recall_dup']:.4f} | {r['planted_recall_leak']:.4f} | {'yes' if r['deterministic'] else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "audit-bench")
    parser.add_argument("--timeout-s", type=float, default=900)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", nargs=2, metavar=("CANDIDATE", "NPZ"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_candidate(args.one[0], Path(args.one[1]))))
        return

    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        path = prepare(n, args.cache)
        for name in args.candidates:
            if n > CANDIDATES[name][0]:
                continue
            env = {**os.environ, "OMP_NUM_THREADS": str(N_THREADS), "NUMBA_NUM_THREADS": str(N_THREADS),
                   "OPENBLAS_NUM_THREADS": str(N_THREADS), "MKL_NUM_THREADS": str(N_THREADS)}
            try:
                out = subprocess.run([sys.executable, __file__, "--one", name, str(path)], env=env,
                                     capture_output=True, text=True, timeout=args.timeout_s)
                row = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {
                    "candidate": name, "n_train": n, "error": out.stderr.strip().splitlines()[-1][:80]}
            except subprocess.TimeoutExpired:
                row = {"candidate": name, "n_train": n, "error": f"over {args.timeout_s:.0f} s"}
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
    text = "\n".join(f"- {k}: {v[1]}" for k, v in CANDIDATES.items() if k in args.candidates)
    load = os.getloadavg()
    report = (f"{table(rows)}\n\n{text}\n\n{os.cpu_count()} cores, {N_THREADS} threads per candidate; "
              f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)\n")
    print("\n" + report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)


if __name__ == "__main__":
    main()
