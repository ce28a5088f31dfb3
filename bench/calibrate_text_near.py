"""Calibrate the near-text threshold: how similar planted copies stay, how similar different tickets get.

For each seed and each shingle scheme, on audit/tickets.py pairs:

- positives: every planted near copy (one or two words replaced, a typo, a signature, up to
  10% cut) and its source, scored by the exact Jaccard similarity near-text detection uses;
- negatives: every pair of different tickets of the *clean* pair from the same generator
  (same queues, same template phrases, greetings and closings), scored exhaustively through a
  sparse product of the shingle-incidence matrix, so the most similar one is known exactly.

It prints, per scheme, the lowest positive (per kind and overall), the highest negative and the
midpoint of the gap between them, and the number of negative pairs above 0.3 (what fills
locality-sensitive buckets with chance candidates). The default threshold in
checks/text/near.py is the midpoint for word bigrams, rounded to two decimals.

    python bench/calibrate_text_near.py --seeds 0 1 2 3 4 --n-train 4000 --n-val 1000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit.tickets import NEAR_KINDS, make_text_pair  # noqa: E402
from checks.text.near import pair_similarities  # noqa: E402
from checks.text.normalise import normalise, token_text  # noqa: E402
from checks.text.shingles import ShingleSpec, shingle_sets  # noqa: E402

SCHEMES = {
    "word 2-grams": ShingleSpec((2,)),
    "word 1+2-grams": ShingleSpec((1, 2)),
    "word 3-grams": ShingleSpec((3,)),
    "char 5-grams": ShingleSpec((), (5,)),
    "word 2-grams + char 5-grams": ShingleSpec((2,), (5,)),
}


def positives(seed: int, n_train: int, n_val: int, spec: ShingleSpec) -> pd.DataFrame:
    pair = make_text_pair(n_train, n_val, seed=seed)
    near = [c for c in pair.copies if c.kind in NEAR_KINDS]
    copies = pd.Series([(pair.train if c.split == "train" else pair.val).at[c.row, "text"] for c in near])
    sources = pd.Series([pair.train.at[c.train_row, "text"] for c in near])
    return pd.DataFrame({"kind": [c.kind for c in near], "similarity": pair_similarities(copies, sources, spec)})


def negatives(seed: int, n_train: int, n_val: int, spec: ShingleSpec) -> np.ndarray:
    import scipy.sparse as sp

    clean = make_text_pair(n_train, n_val, seed=seed, plant=False)
    texts = token_text(normalise(pd.concat([clean.train["text"], clean.val["text"]], ignore_index=True)))
    sets = shingle_sets(texts.fillna("").tolist(), spec)
    _, columns = np.unique(sets.hashes, return_inverse=True)
    incidence = sp.csr_matrix((np.ones(len(columns), dtype=np.float32), columns, sets.offsets),
                              shape=(len(texts), int(columns.max()) + 1))
    shared = sp.triu(incidence @ incidence.T, k=1).tocoo()
    sizes = sets.sizes
    return shared.data / (sizes[shared.row] + sizes[shared.col] - shared.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--n-val", type=int, default=1000)
    args = parser.parse_args()
    print(f"seeds {args.seeds}, {args.n_train} train + {args.n_val} val rows each\n")
    print("| shingles | lowest positive per kind | lowest positive | highest negative | midpoint | "
          "negative pairs > 0.3 per million |")
    print("|---|---|---|---|---|---|")
    for name, spec in SCHEMES.items():
        pos = pd.concat([positives(s, args.n_train, args.n_val, spec) for s in args.seeds])
        neg = [negatives(s, args.n_train, args.n_val, spec) for s in args.seeds]
        n_pairs = len(args.seeds) * (args.n_train + args.n_val) * (args.n_train + args.n_val - 1) / 2
        high = max(float(n.max()) for n in neg)
        low = float(pos["similarity"].min())
        per_kind = ", ".join(f"{k} {v:.3f}" for k, v in pos.groupby("kind")["similarity"].min().items())
        above = sum(int((n > 0.3).sum()) for n in neg) / n_pairs * 1e6
        print(f"| {name} | {per_kind} | {low:.3f} | {high:.3f} | {(low + high) / 2:.3f} | {above:.1f} |")


if __name__ == "__main__":
    main()
