"""near_duplicates and near_leakage: exact flagged rows, thresholds, exclusions, search modes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import checks.neighbours as neighbours_module
from audit.data import Roles, from_frames
from audit.runner import run_one
from checks import Severity
from checks.near_duplicates import NearDuplicates, NearLeakage
from checks.neighbours import search

LABEL = "label"
ROLES = Roles(LABEL, id_column="id")


@dataclass
class NearPair:
    train: pd.DataFrame
    val: pd.DataFrame
    near_duplicates: set = field(default_factory=set)     # {(row, duplicate_of)} in train
    near_leakage: set = field(default_factory=set)        # {(val row, train row)}
    exact_duplicates: set = field(default_factory=set)    # {train row}
    exact_leakage: set = field(default_factory=set)       # {val row}
    conflicting: set = field(default_factory=set)         # {train row} in near groups with two labels
    conflicting_across: set = field(default_factory=set)  # {(val row, train row)}


def near_pair(seed: int = 0, n_train: int = 400, n_val: int = 150, n_near: int = 8, n_leak: int = 6,
              n_exact: int = 3, n_conflict: int = 0, n_conflict_leak: int = 0, jitter: float = 0.001) -> NearPair:
    """Base rows from one distribution, then copies planted and everything shuffled.

    A near copy moves each numeric feature by ``jitter`` x that feature's standard deviation
    and keeps the categorical value; conflicting copies also change the label. Sources are
    all different rows, so each planted row has exactly one expected partner.
    """
    rng = np.random.default_rng(seed)
    n_base_train = n_train - n_near - n_exact - n_conflict
    n_base_val = n_val - n_leak - n_exact - n_conflict_leak
    scales = np.array([0.01, 1.0, 5.0, 100.0, 3000.0, 0.5])
    n = n_base_train + n_base_val
    labels = rng.integers(0, 2, n)
    numbers = (rng.standard_normal((n, len(scales))) + 0.5 * labels[:, None]) * scales
    base = pd.DataFrame(numbers, columns=[f"x{j}" for j in range(len(scales))])
    base["colour"] = rng.choice(["red", "green", "blue"], n)
    base[LABEL] = np.where(labels == 1, "yes", "no")
    train, val = base.iloc[:n_base_train].copy(), base.iloc[n_base_train:].copy()
    train["origin"], train["kind"] = np.arange(n_base_train), "base"
    val["origin"], val["kind"] = -1, "base"
    std = train[[f"x{j}" for j in range(len(scales))]].std().to_numpy()

    counts = [n_near, n_exact, n_conflict, n_leak, n_exact, n_conflict_leak]
    sources = np.split(rng.choice(n_base_train, sum(counts), replace=False), np.cumsum(counts)[:-1])

    def copies(rows, kind, near, flip):
        block = train.iloc[rows].copy()
        if near:
            cols = [f"x{j}" for j in range(len(scales))]
            block[cols] = block[cols].to_numpy() + rng.standard_normal((len(rows), len(cols))) * jitter * std
        if flip:
            block[LABEL] = np.where(block[LABEL] == "yes", "no", "yes")
        block["kind"] = kind
        return block

    train = pd.concat([train, copies(sources[0], "near", True, False), copies(sources[1], "exact", False, False),
                       copies(sources[2], "conflict", True, True)], ignore_index=True)
    val = pd.concat([val, copies(sources[3], "near", True, False), copies(sources[4], "exact", False, False),
                     copies(sources[5], "conflict", True, True)], ignore_index=True)
    train = train.iloc[rng.permutation(len(train))].reset_index(drop=True)
    val = val.iloc[rng.permutation(len(val))].reset_index(drop=True)
    train.insert(0, "id", [f"t{i:05d}" for i in range(len(train))])
    val.insert(0, "id", [f"v{i:05d}" for i in range(len(val))])

    source_row = {o: r for r, (o, k) in enumerate(zip(train["origin"], train["kind"])) if k == "base"}
    pair = NearPair(train.drop(columns=["origin", "kind"]), val.drop(columns=["origin", "kind"]))
    for row, (origin, kind) in enumerate(zip(train["origin"], train["kind"])):
        if kind in ("near", "conflict"):
            src = source_row[origin]
            pair.near_duplicates.add((max(row, src), min(row, src)))
            if kind == "conflict":
                pair.conflicting |= {row, src}
        elif kind == "exact":
            pair.exact_duplicates.add(row)
    for row, (origin, kind) in enumerate(zip(val["origin"], val["kind"])):
        if kind in ("near", "conflict"):
            pair.near_leakage.add((row, source_row[origin]))
            if kind == "conflict":
                pair.conflicting_across.add((row, source_row[origin]))
        elif kind == "exact":
            pair.exact_leakage.add(row)
    return pair


def bundle(pair: NearPair, roles: Roles = ROLES, seed: int = 0):
    return from_frames(pair.train, pair.val, roles, random_state=seed)


def run(check, pair_or_data):
    data = bundle(pair_or_data) if isinstance(pair_or_data, NearPair) else pair_or_data
    result = run_one(data, check)
    assert result.status == "ran", result.detail
    return result.findings


def by_code(findings, code):
    return [f for f in findings if f.code == code]


def pairs(finding, key):
    return {(r["row"], r[key]) for r in finding.rows}


@pytest.fixture(scope="module")
def planted() -> NearPair:
    return near_pair()


@pytest.fixture(scope="module")
def planted_data(planted):
    """One bundle for many checks: the shared features and neighbours do not depend on parameters."""
    return bundle(planted)


def test_planted_near_copies_flag_exactly_the_later_row_of_each_pair(planted, planted_data):
    findings = run(NearDuplicates(), planted_data)
    (finding,) = by_code(findings, "near_duplicates")
    assert finding.severity == Severity.WARN  # 8 of 400 rows: under the 5% that fails
    assert pairs(finding, "duplicate_of") == planted.near_duplicates
    assert all(r["split"] == "train" and 0 < r["distance"] < finding.metrics["threshold"] for r in finding.rows)
    assert [r["row"] for r in finding.rows] == sorted(r["row"] for r in finding.rows)
    assert finding.metrics["n_rows"] == 8 and finding.metrics["fraction"] == 8 / 400
    assert finding.metrics["threshold_source"] == "relative"
    assert finding.metrics["threshold"] == pytest.approx(0.05 * finding.metrics["typical_neighbour_distance"])
    assert finding.metrics["neighbour_search"].startswith("exact")
    assert finding.metrics["sampled"] == []
    assert by_code(findings, "conflicting_labels") == []


def test_planted_near_leaks_name_their_train_row_and_fail_above_one_percent(planted, planted_data):
    (finding,) = run(NearLeakage(), planted_data)
    assert finding.code == "near_leakage"
    assert finding.severity == Severity.FAIL  # 6 of 150 val rows
    assert pairs(finding, "train_row") == planted.near_leakage
    assert finding.metrics["n_rows"] == 6


def test_exact_copies_are_left_to_the_exact_checks(planted, planted_data):
    near = {r["row"] for f in run(NearDuplicates(), planted_data) for r in f.rows}
    leaks = {r["row"] for f in run(NearLeakage(), planted_data) for r in f.rows}
    assert len(planted.exact_duplicates) == 3 and not near & planted.exact_duplicates
    assert len(planted.exact_leakage) == 3 and not leaks & planted.exact_leakage


def test_a_clean_pair_from_one_distribution_has_no_near_copies():
    clean = near_pair(seed=3, n_near=0, n_leak=0, n_exact=0)
    assert run(NearDuplicates(), clean) == []
    assert run(NearLeakage(), clean) == []


def test_absolute_threshold_just_below_at_and_above_the_largest_planted_distance(planted, planted_data):
    (finding,) = by_code(run(NearDuplicates(), planted_data), "near_duplicates")
    largest = max(r["distance"] for r in finding.rows)
    farthest = {(r["row"], r["duplicate_of"]) for r in finding.rows if r["distance"] == largest}

    (at,) = by_code(run(NearDuplicates(max_distance=largest), planted_data), "near_duplicates")
    assert pairs(at, "duplicate_of") == planted.near_duplicates
    assert at.metrics["threshold_source"] == "absolute" and at.metrics["threshold"] == largest
    (below,) = by_code(run(NearDuplicates(max_distance=largest * (1 - 1e-9)), planted_data), "near_duplicates")
    assert pairs(below, "duplicate_of") == planted.near_duplicates - farthest
    (above,) = by_code(run(NearDuplicates(max_distance=largest * (1 + 1e-9)), planted_data), "near_duplicates")
    assert pairs(above, "duplicate_of") == planted.near_duplicates


def test_relative_threshold_scales_the_typical_distance(planted, planted_data):
    (leak,) = run(NearLeakage(), planted_data)
    largest = max(r["distance"] for r in leak.rows)
    relative = largest / leak.metrics["typical_neighbour_distance"]
    (above,) = run(NearLeakage(max_relative_distance=relative * (1 + 1e-9)), planted_data)
    assert pairs(above, "train_row") == planted.near_leakage
    (below,) = run(NearLeakage(max_relative_distance=relative * (1 - 1e-9)), planted_data)
    assert len(below.rows) == len(planted.near_leakage) - 1
    assert below.metrics["threshold"] == pytest.approx(relative * (1 - 1e-9) * leak.metrics["typical_neighbour_distance"])
    assert below.metrics["threshold_source"] == "relative"


def test_fail_at_fraction_just_below_at_and_above_the_share(planted_data):
    share = 8 / 400
    for fail_at, expected in ((share * 0.999, Severity.FAIL), (share, Severity.FAIL), (share * 1.001, Severity.WARN)):
        (finding,) = by_code(run(NearDuplicates(fail_at_fraction=fail_at), planted_data), "near_duplicates")
        assert finding.severity == expected, fail_at
    leak_share = 6 / 150
    for fail_at, expected in ((leak_share, Severity.FAIL), (leak_share * 1.001, Severity.WARN)):
        (finding,) = run(NearLeakage(fail_at_fraction=fail_at), planted_data)
        assert finding.severity == expected


def test_near_copies_with_another_label_are_conflicting_labels_marked_near():
    pair = near_pair(seed=5, n_conflict=4, n_conflict_leak=3)
    findings = run(NearDuplicates(), pair)
    (within,) = [f for f in by_code(findings, "conflicting_labels") if not f.metrics.get("across_splits")]
    assert {r["row"] for r in within.rows} == pair.conflicting
    assert all(r["near"] is True and r["split"] == "train" for r in within.rows)
    assert within.severity == Severity.FAIL  # 8 of 400 rows: above the 1% that fails
    (across,) = [f for f in by_code(findings, "conflicting_labels") if f.metrics.get("across_splits")]
    assert pairs(across, "duplicate_of") == pair.conflicting_across
    assert all(r["near"] is True and r["duplicate_split"] == "train" and r["label"] != r["other_label"]
               for r in across.rows)
    # The relabelled copies are still near duplicates and near leaks.
    (near,) = by_code(findings, "near_duplicates")
    assert pairs(near, "duplicate_of") == pair.near_duplicates
    (leak,) = run(NearLeakage(), pair)
    assert pairs(leak, "train_row") == pair.near_leakage


def test_approximate_search_finds_the_same_rows_and_says_so(planted, monkeypatch):
    monkeypatch.setattr(neighbours_module, "EXACT_MAX_PAIRS", 0)
    monkeypatch.setattr(neighbours_module, "TYPICAL_SAMPLE", 100)
    (near,) = by_code(run(NearDuplicates(), planted), "near_duplicates")
    assert pairs(near, "duplicate_of") == planted.near_duplicates
    assert near.metrics["neighbour_search"].startswith("approximate (faiss IndexIVFFlat")
    n_distinct = 400 - len(planted.exact_duplicates)
    (sampled,) = near.metrics["sampled"]
    assert (sampled["part"], sampled["rows"], sampled["of_rows"]) == ("typical_neighbour_distance", 100, n_distinct)
    assert sampled["search"].endswith("39 cells trained on 397 rows, 39 searched per query)")
    (leak,) = run(NearLeakage(), planted)
    assert pairs(leak, "train_row") == planted.near_leakage
    assert leak.metrics["neighbour_search"].startswith("approximate")


def test_search_is_deterministic_excludes_the_row_itself_and_never_builds_n_by_n():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3000, 8)).astype(np.float32)
    base[10] = base[20]  # an exact copy: its partner, not itself, is its nearest neighbour
    first = search(base, None, 2, random_state=1, exact_max_pairs=0)
    second = search(base, None, 2, random_state=1, exact_max_pairs=0)
    assert not first.exact
    assert np.array_equal(first.indices, second.indices) and np.array_equal(first.distances, second.distances)
    assert not (first.indices == np.arange(3000)[:, None]).any()
    assert first.indices[10, 0] == 20 and first.distances[10, 0] == 0
    exact = search(base, None, 2)
    assert exact.exact and exact.indices[20, 0] == 10
    # Distances are exact Euclidean distances, nearest first.
    d = np.sqrt(((base[exact.indices[:, 0]].astype(np.float64) - base) ** 2).sum(1))
    assert np.allclose(exact.distances[:, 0], d, rtol=0, atol=1e-12)
    assert (np.diff(exact.distances, axis=1) >= 0).all()


def test_rows_equal_after_encoding_but_not_in_the_file_are_near_copies_at_distance_zero():
    pair = near_pair(seed=2, n_near=0, n_leak=0, n_exact=0)
    train = pair.train.copy()
    # More codes than one-hot encodes but each repeated, so not a record id: left out of the
    # encoding, yet part of the row in the file.
    train["note"] = [f"code{i % 100}" for i in range(len(train))]
    val = pair.val.copy()
    val["note"] = [f"code{i % 100}" for i in range(len(val))]
    train.loc[7, [c for c in train.columns if c not in ("id", "note")]] = train.loc[3].drop(["id", "note"])
    data = from_frames(train, val, ROLES)
    (finding,) = run(NearDuplicates(), data)
    assert finding.rows == [{"split": "train", "row": 7, "duplicate_of": 3, "distance": 0.0}]
    assert finding.metrics["dropped_columns"] == ["note"]


def test_nothing_to_compare_is_said_at_info_level():
    pair = near_pair(seed=1, n_near=0, n_leak=0, n_exact=0)
    only_text = pd.DataFrame({"id": pair.train["id"], "note": [f"n{i}" for i in range(len(pair.train))],
                              LABEL: pair.train[LABEL]})
    only_text_val = pd.DataFrame({"id": pair.val["id"], "note": [f"m{i}" for i in range(len(pair.val))],
                                  LABEL: pair.val[LABEL]})
    data = from_frames(only_text, only_text_val, ROLES)
    (finding,) = run(NearDuplicates(), data)
    assert finding.severity == Severity.INFO and finding.metrics["n_encoded_features"] == 0
    (leak,) = run(NearLeakage(), data)
    assert leak.severity == Severity.INFO and leak.code == "near_leakage"


def test_planted_recall_and_precision_at_a_few_thousand_rows():
    from bench.planted import make_planted_pair

    pair = make_planted_pair(5000, seed=4)
    data = from_frames(pair.train, pair.val, Roles("label"))
    (near,) = by_code(run(NearDuplicates(), data), "near_duplicates")
    assert {r["row"] for r in near.rows} == {max(c, s) for c, s in pair.near_duplicates}
    (leak,) = run(NearLeakage(), data)
    assert pairs(leak, "train_row") == set(pair.near_leaks)
