"""Synthetic train/val pairs with defects planted at known rows, shared by the tests.

The generator makes a clean pair first (learnable classes, disjoint groups, val strictly
later than train, no repeated rows), then plants each defect and shuffles, recording where
every planted row ended up. Tests compare the audit's evidence with that truth exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

LABEL = "label"
CLASSES = np.array(["cat", "dog", "NA"])  # "NA" must survive as a class, not a missing value


@dataclass
class PlantedPair:
    train: pd.DataFrame
    val: pd.DataFrame
    truth: dict[str, set] = field(default_factory=dict)


def clean_pair(n_train: int = 600, n_val: int = 200, n_features: int = 6, seed: int = 0) -> PlantedPair:
    """Gaussian classes with well separated means, an id, a group, a time and a categorical."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    labels = CLASSES[np.arange(n) % len(CLASSES)]
    rng.shuffle(labels)
    # Apart jointly, but no single feature separates the classes (that would be target leakage).
    centres = rng.normal(scale=1.5, size=(len(CLASSES), n_features))
    codes = np.searchsorted(np.sort(CLASSES), labels)
    values = centres[codes] + rng.normal(size=(n, n_features))
    frame = pd.DataFrame(values.round(6), columns=[f"f{i}" for i in range(n_features)])
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    frame.insert(0, "id", [f"r{i:06d}" for i in range(n)])
    frame["group"] = [f"g{i // 2:05d}" for i in range(n)]  # pairs of rows share a group
    frame["time"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h")
    frame[LABEL] = labels
    return PlantedPair(frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train:].reset_index(drop=True))


def planted_pair(seed: int = 0, n_train: int = 600, n_val: int = 200, n_each: int = 12) -> PlantedPair:
    """A clean pair with every exact defect planted, shuffled, and the truth recorded.

    Truth keys (sets): ``exact_duplicates`` {(row, duplicate_of)} in train;
    ``conflicting_labels`` {row} in train; ``conflicting_across`` {val row};
    ``exact_leakage`` {(val row, train row)}; ``group_leakage`` {val row};
    ``temporal_leakage`` {val row}.
    """
    rng = np.random.default_rng(seed + 1)
    pair = clean_pair(n_train, n_val, seed=seed)
    train, val = pair.train.copy(), pair.val.copy()
    train["origin"] = np.arange(len(train))
    val["origin"] = -1
    sources = rng.choice(len(train), 4 * n_each, replace=False)
    dup_src, conflict_src, leak_src, conflict_leak_src = np.split(sources, 4)

    copies = train.iloc[dup_src].copy()
    relabelled = train.iloc[conflict_src].copy()
    relabelled[LABEL] = [other_class(label) for label in relabelled[LABEL]]
    copies["id"] = [f"c{i:06d}" for i in range(len(copies))]
    relabelled["id"] = [f"k{i:06d}" for i in range(len(relabelled))]
    train = pd.concat([train, copies, relabelled], ignore_index=True)

    leaked = train.iloc[leak_src].copy()
    leaked_other = train.iloc[conflict_leak_src].copy()
    leaked_other[LABEL] = [other_class(label) for label in leaked_other[LABEL]]
    # Leaked rows take val's time and a val group, so only the features give them away.
    for frame in (leaked, leaked_other):
        frame["time"] = val["time"].max() + pd.Timedelta(hours=1)
        frame["group"] = "g-leak"
    n_clean_val = len(val)
    val = pd.concat([val, leaked, leaked_other], ignore_index=True)
    group_rows = rng.choice(n_clean_val, n_each, replace=False)
    val.loc[group_rows, "group"] = train["group"].iloc[rng.choice(n_train, n_each)].to_numpy()
    time_rows = rng.choice(np.setdiff1d(np.arange(n_clean_val), group_rows), n_each, replace=False)
    val.loc[time_rows, "time"] = train["time"].iloc[rng.choice(n_train, n_each)].to_numpy()
    val["planted"] = ""
    val.loc[group_rows, "planted"] = "group"
    val.loc[time_rows, "planted"] = "time"

    train = train.iloc[rng.permutation(len(train))].reset_index(drop=True)
    val = val.iloc[rng.permutation(len(val))].reset_index(drop=True)
    truth = truth_of(train, val)
    truth["group_leakage"] = set(val.index[val["planted"] == "group"])
    truth["temporal_leakage"] = set(val.index[val["planted"] == "time"])
    return PlantedPair(train.drop(columns="origin"), val.drop(columns=["origin", "planted"]), truth)


def truth_of(train: pd.DataFrame, val: pd.DataFrame) -> dict[str, set]:
    """Derive the expected evidence from each row's origin (the train row it was copied from)."""
    first_train_row = train.reset_index().groupby("origin")["index"].min()
    truth: dict[str, set] = {"exact_duplicates": set(), "conflicting_labels": set(), "conflicting_across": set(),
                             "exact_leakage": set()}
    for origin, rows in train.reset_index().groupby("origin")["index"]:
        rows = sorted(rows)
        truth["exact_duplicates"] |= {(r, rows[0]) for r in rows[1:]}
        if train.loc[rows, LABEL].nunique() > 1:
            truth["conflicting_labels"] |= set(rows)
    for row, origin in val["origin"].items():
        if origin >= 0:
            train_row = first_train_row[origin]
            truth["exact_leakage"].add((row, train_row))
            train_labels = set(train.loc[train["origin"] == origin, LABEL])
            if train_labels - {val.loc[row, LABEL]}:
                truth["conflicting_across"].add(row)
    return truth


def other_class(label: str) -> str:
    return str(CLASSES[(list(CLASSES).index(label) + 1) % len(CLASSES)])


def findings_by_code(report, code: str) -> list:
    return [f for _, f in report.all_findings if f.code == code]


def flagged(report, code: str, split: str | None = None, key: str | None = None) -> set:
    """The rows a report flagged under ``code``: row numbers, or (row, row[key]) pairs."""
    rows = [r for f in findings_by_code(report, code) for r in f.rows if split is None or r["split"] == split]
    return {(r["row"], r[key]) if key else r["row"] for r in rows}


@pytest.fixture(scope="session")
def demo_cli_json(tmp_path_factory):
    """The JSON path of `audit demo` as a user runs it (baseline, attribution and diagnosis),
    run once for every test that reads it."""
    from audit.cli import main

    out = tmp_path_factory.mktemp("demo-cli")
    assert main(["demo", "--out", str(out)]) == 0
    return out / "demo.json"


@pytest.fixture
def planted() -> PlantedPair:
    return planted_pair()


@pytest.fixture
def clean() -> PlantedPair:
    return clean_pair()


def audit_checks(*args, **kwargs):
    """``run_audit`` without the baseline network: tests of the checks need no training."""
    from audit import run_audit

    kwargs.setdefault("baseline", {"enabled": False})
    return run_audit(*args, **kwargs)


def _worker_group(item: pytest.Item) -> str:
    """Which tests one pytest-xdist worker runs together: whatever shares an expensive fixture.

    Spark tests share one Spark session, `audit demo` runs once for the tests that read it, and
    every other module keeps its module-scoped fixtures (trained baselines) on one worker.
    """
    path = item.path.relative_to(item.config.rootpath)
    if path.parts[:2] == ("tests", "spark"):
        return "spark"
    if "demo_cli_json" in getattr(item, "fixturenames", ()):
        return "demo"
    return str(path)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_worker_group(item)))
