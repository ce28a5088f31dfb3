"""The demo: scikit-learn's bundled digits, split in two, with known problems planted.

Digits (8x8 images as 64 pixel features, 10 classes) is the classic case of a dense network
whose validation loss stalls early. The planted problems are the ones the audit exists to
find, at rows recorded here, so a user can check the report against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from audit.output import write_atomic
from audit.progress import Progress, no_progress
from audit.report import AuditReport

LABEL = "digit"
ID_COLUMN = "image_id"
THINNED_CLASS = 8
THINNED_KEEP = 12
N_DUPLICATES = 40
N_NEAR = 20
N_LEAKED = 30
N_NEAR_LEAKED = 15
JITTER = 0.001
FLIPPED_FRACTION = 0.10


@dataclass
class DemoPair:
    train: pd.DataFrame
    val: pd.DataFrame
    planted: dict[str, list[int]] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [f"demo: digits, {len(self.train)} train rows and {len(self.val)} val rows, planted:"]
        lines += [f"  {name}: {len(rows)} rows" for name, rows in self.planted.items()]
        lines.append(f"  thinned class: digit {THINNED_CLASS} keeps {THINNED_KEEP} train rows")
        return "\n".join(lines)


def make_demo_pair(seed: int = 0) -> DemoPair:
    """Build the pair; ``planted`` holds the 0-based data rows of every planted problem."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    digits = load_digits()
    pixels = pd.DataFrame(digits.data.astype(int), columns=[f"px{i // 8}{i % 8}" for i in range(64)])
    pixels[LABEL] = digits.target
    order = rng.permutation(len(pixels))
    val = pixels.iloc[order[:360]].reset_index(drop=True)
    train = pixels.iloc[order[360:]].reset_index(drop=True)

    # A thinned-out class: keep only a few rows of one digit in train.
    thinned = train.index[train[LABEL] == THINNED_CLASS]
    train = train.drop(thinned[THINNED_KEEP:]).reset_index(drop=True)

    # A block of flipped labels: each moved to another digit (never the thinned one, which
    # must stay rare).
    candidates = np.flatnonzero(train[LABEL].to_numpy() != THINNED_CLASS)
    flipped = np.sort(rng.choice(candidates, int(FLIPPED_FRACTION * len(train)), replace=False))
    train.loc[flipped, LABEL] = [
        rng.choice([d for d in range(10) if d not in (old, THINNED_CLASS)]) for old in train.loc[flipped, LABEL]
    ]

    # Exact and near copies inside train, and exact and near copies of train rows in val. A
    # near copy moves every pixel by 0.1% of that pixel's spread: what a re-export with
    # rounding does.
    clean = np.setdiff1d(np.arange(len(train)), flipped)
    sources = rng.choice(clean, N_DUPLICATES + N_NEAR + N_LEAKED + N_NEAR_LEAKED, replace=False)
    duplicated, near, leaked, near_leaked = np.split(
        sources, np.cumsum([N_DUPLICATES, N_NEAR, N_LEAKED]))
    n_train, n_val = len(train), len(val)
    spread = train.drop(columns=LABEL).std().to_numpy()
    train = pd.concat([train, train.iloc[duplicated], jittered(train.iloc[near], spread, rng)], ignore_index=True)
    val = pd.concat([val, train.iloc[leaked], jittered(train.iloc[near_leaked], spread, rng)], ignore_index=True)

    # Shuffle so the planted rows are spread through the files; record where they ended up.
    train_order = rng.permutation(len(train))
    val_order = rng.permutation(len(val))
    new_train_row = np.argsort(train_order)
    new_val_row = np.argsort(val_order)
    copies = n_train + np.arange(N_DUPLICATES + N_NEAR)
    leaks = n_val + np.arange(N_LEAKED + N_NEAR_LEAKED)
    planted = {
        # Pairs (earlier row, later row): the later of an original and its copy is the repeat.
        "exact_duplicates": pairs(new_train_row[duplicated], new_train_row[copies[:N_DUPLICATES]]),
        "near_duplicates": pairs(new_train_row[near], new_train_row[copies[N_DUPLICATES:]]),
        # Pairs (val row, train row).
        "exact_leakage": sorted(zip(new_val_row[leaks[:N_LEAKED]].tolist(), new_train_row[leaked].tolist())),
        "near_leakage": sorted(zip(new_val_row[leaks[N_LEAKED:]].tolist(), new_train_row[near_leaked].tolist())),
        "flipped_labels": sorted(new_train_row[flipped].tolist()),
    }
    train = train.iloc[train_order].reset_index(drop=True)
    val = val.iloc[val_order].reset_index(drop=True)
    for frame, prefix in ((train, "t"), (val, "v")):
        frame.insert(0, ID_COLUMN, [f"{prefix}{i:05d}" for i in range(len(frame))])
    return DemoPair(train, val, planted)


def jittered(rows: pd.DataFrame, spread: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Copies of ``rows`` with every pixel moved by ``JITTER`` times its spread (the label kept)."""
    pixels = rows.drop(columns=LABEL)
    moved = pixels + rng.normal(size=pixels.shape) * (JITTER * spread)
    return moved.round(4).assign(**{LABEL: rows[LABEL].to_numpy()})


def pairs(first: np.ndarray, second: np.ndarray) -> list[tuple[int, int]]:
    """Sorted (earlier, later) row pairs."""
    return sorted((int(min(a, b)), int(max(a, b))) for a, b in zip(first, second))


def write_demo_pair(pair: DemoPair, folder: Path) -> tuple[Path, Path]:
    paths = folder / "train.csv", folder / "val.csv"
    for frame, path in zip((pair.train, pair.val), paths):
        write_atomic(path, frame.to_csv(index=False, lineterminator="\n"))
    return paths


def run_demo(out: Path, seed: int = 0, baseline: dict | None = None, progress: Progress = no_progress, *,
             diagnose: bool = False, diagnose_budget_s: float | None = None) -> tuple[AuditReport, DemoPair]:
    """Write the demo pair into ``out/demo`` and audit those files as a user would, fix plan
    and baseline included (``baseline`` is the config's [baseline] table), then, with
    ``diagnose``, the diagnosis of every cause."""
    from audit.config import Settings, configure
    from audit.engines.base import Inputs
    from audit.run import Job, run_job

    pair = make_demo_pair(seed)
    train_path, val_path = write_demo_pair(pair, out / "demo")
    # The demo's own settings: no config file of the working folder applies.
    settings = Settings(label=LABEL, id_column=ID_COLUMN, seed=seed, out=str(out), baseline=baseline or {})
    job = Job(configure(settings, {}), Inputs(train_path, val_path), diagnose=diagnose,
              diagnose_budget_s=diagnose_budget_s, extra_settings={"demo": True})
    return run_job(job, progress).report, pair
