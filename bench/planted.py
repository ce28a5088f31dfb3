"""Synthetic train/val pairs with planted near-duplicates, near leaks, exact copies and a leak column.

Shared by the benchmarks. Every planted row's final position is recorded, so a benchmark can
score recall and precision against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

LABEL = "label"
CATEGORICAL = "colour"
COLOURS = np.array(["red", "green", "blue", "amber", "violet", "grey"])


@dataclass
class PlantedPair:
    train: pd.DataFrame
    val: pd.DataFrame
    # (copy_row, source_row) positions after shuffling: within train, and val -> train.
    near_duplicates: list[tuple[int, int]] = field(default_factory=list)
    near_leaks: list[tuple[int, int]] = field(default_factory=list)
    exact_duplicates: list[int] = field(default_factory=list)
    exact_leaks: list[int] = field(default_factory=list)


def make_planted_pair(n_train: int, n_val: int | None = None, n_numeric: int = 20, seed: int = 0,
                      near_fraction: float = 0.01, leak_fraction: float = 0.01,
                      exact_fraction: float = 0.002, jitter: float = 0.001, n_classes: int = 3) -> PlantedPair:
    """``n_train`` train rows and ``n_val`` (default ``n_train // 5``) val rows, copies included.

    Numeric features are Gaussian with class-dependent means and scales from 0.01 to 1000; a
    near copy moves each numeric feature by ``jitter`` times that feature's standard deviation
    (a Gaussian step) and keeps the categorical value and the label.
    """
    rng = np.random.default_rng(seed)
    n_val = n_train // 5 if n_val is None else n_val
    n_near = int(round(near_fraction * n_train))
    n_leak = int(round(leak_fraction * n_val))
    n_exact_dup = int(round(exact_fraction * n_train))
    n_exact_leak = int(round(exact_fraction * n_val))
    base_train = n_train - n_near - n_exact_dup
    base_val = n_val - n_leak - n_exact_leak

    scales = 10.0 ** rng.uniform(-2, 3, n_numeric)
    shifts = rng.normal(0, 0.35, (n_classes, n_numeric))

    def fresh(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        labels = rng.integers(0, n_classes, n)
        numbers = (rng.standard_normal((n, n_numeric), dtype=np.float64) + shifts[labels]) * scales
        colour = COLOURS[(labels + rng.integers(0, 4, n)) % len(COLOURS)]
        return numbers, colour, labels

    x_t, c_t, y_t = fresh(base_train)
    x_v, c_v, y_v = fresh(base_val)
    std = x_t.std(axis=0)

    def near_copies(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return x[rows] + rng.standard_normal((len(rows), n_numeric)) * (jitter * std)

    # Every planted row copies a different source, so each has exactly one expected partner.
    sources = rng.choice(base_train, n_near + n_exact_dup + n_leak + n_exact_leak, replace=False)
    near_rows, dup_rows, leak_rows, exact_leak_rows = np.split(
        sources, np.cumsum([n_near, n_exact_dup, n_leak])
    )

    x_train = np.vstack([x_t, near_copies(x_t, near_rows), x_t[dup_rows]])
    c_train = np.concatenate([c_t, c_t[near_rows], c_t[dup_rows]])
    y_train = np.concatenate([y_t, y_t[near_rows], y_t[dup_rows]])
    x_val = np.vstack([x_v, near_copies(x_t, leak_rows), x_t[exact_leak_rows]])
    c_val = np.concatenate([c_v, c_t[leak_rows], c_t[exact_leak_rows]])
    y_val = np.concatenate([y_v, y_t[leak_rows], y_t[exact_leak_rows]])

    train_order = rng.permutation(n_train)
    val_order = rng.permutation(n_val)
    train_pos = np.argsort(train_order)  # old position -> new position
    val_pos = np.argsort(val_order)

    def frame(x, c, y, order):
        columns = {f"x{j:02d}": x[order, j] for j in range(n_numeric)}
        columns[CATEGORICAL] = c[order]
        columns[LABEL] = y[order]
        return pd.DataFrame(columns)

    return PlantedPair(
        train=frame(x_train, c_train, y_train, train_order),
        val=frame(x_val, c_val, y_val, val_order),
        near_duplicates=[(int(train_pos[base_train + i]), int(train_pos[s])) for i, s in enumerate(near_rows)],
        near_leaks=[(int(val_pos[base_val + i]), int(train_pos[s])) for i, s in enumerate(leak_rows)],
        exact_duplicates=sorted(int(train_pos[base_train + n_near + i]) for i in range(n_exact_dup)),
        exact_leaks=sorted(int(val_pos[base_val + n_leak + i]) for i in range(n_exact_leak)),
    )
