"""How closely the Spark engine's findings agree with the pandas engine's, code by code.

Three pairs are audited by both engines with the duplicate, leakage and label checks:

- ``planted``: tests/conftest's planted pair (exact copies, conflicting copies and leaks);
- ``near``: tests/checks' near pair (near copies, exact copies and conflicting copies in
  train and across to val, two overlapping classes);
- ``digits``: scikit-learn's bundled handwritten digits (1,797 rows, 64 pixel columns, 10
  classes; shipped with the package, nothing downloaded), split by a seeded stratified split,
  with a few exact copies, near copies, leaks and flipped labels planted.

For each code it prints the rows each engine flags (a row is its split, row number and
partner row, so a near pair found with another partner counts as a difference), the rows in
common, their Jaccard overlap, and each engine's severities. tests/spark/test_agreement.py
asserts the same figures.

Run: ``python -m bench.engine_agreement [--n-train 3000] [--master local[2]]``
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CHECKS = ["duplicates", "exact_leakage", "near_duplicates", "near_leakage", "label_issues"]
ROW_CODES = ("exact_duplicates", "conflicting_labels", "exact_leakage", "near_duplicates", "near_leakage")
CODES = (*ROW_CODES, "label_issues")
DIGITS_LABEL = "digit"


@dataclass(frozen=True)
class CodeAgreement:
    """One finding code's flagged rows on each engine, and their severities per split."""

    code: str
    pandas_rows: frozenset
    spark_rows: frozenset
    pandas_severities: tuple[str, ...]
    spark_severities: tuple[str, ...]

    @property
    def n_common(self) -> int:
        return len(self.pandas_rows & self.spark_rows)

    @property
    def jaccard(self) -> float:
        """Rows both flag over rows either flags (1.0 when neither flags any)."""
        union = len(self.pandas_rows | self.spark_rows)
        return self.n_common / union if union else 1.0

    def line(self) -> str:
        same = "same" if self.pandas_severities == self.spark_severities else "DIFFERENT"
        return (f"{self.code:<20} {len(self.pandas_rows):>7} {len(self.spark_rows):>7} {self.n_common:>7} "
                f"{self.jaccard:>8.4f}  {'/'.join(self.pandas_severities)} vs {'/'.join(self.spark_severities)} "
                f"({same})")


def flagged_rows(report, code: str) -> frozenset:
    """(split, row, partner) of every row a report's ``code`` findings flag."""
    return frozenset((r["split"], r["row"], r.get("duplicate_of"), r.get("train_row"))
                     for _, f in report.all_findings if f.code == code for r in f.rows)


def severities(report, code: str) -> tuple[str, ...]:
    return tuple(f"{f.metrics.get('split', '')}:{f.severity}" for _, f in report.all_findings if f.code == code)


def agreement(on_pandas, on_spark, codes=CODES) -> dict[str, CodeAgreement]:
    return {code: CodeAgreement(code, flagged_rows(on_pandas, code), flagged_rows(on_spark, code),
                                severities(on_pandas, code), severities(on_spark, code)) for code in codes}


def digits_pair(seed: int = 0, n_each: int = 6, flipped_share: float = 0.03) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's digits split 75/25 (stratified, seeded), with ``n_each`` each of exact
    copies, near copies (every pixel moved by a Gaussian step of 0.01 of its standard
    deviation), conflicting copies, exact leaks and near leaks planted, and ``flipped_share``
    of the original train labels changed to another digit."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits(as_frame=True)
    frame = digits.frame.rename(columns={"target": DIGITS_LABEL})
    train, val = train_test_split(frame, test_size=0.25, stratify=frame[DIGITS_LABEL], random_state=seed)
    rng = np.random.default_rng(seed)
    train, val = train.reset_index(drop=True), val.reset_index(drop=True)
    pixels = [c for c in frame.columns if c != DIGITS_LABEL]
    flipped = rng.choice(len(train), int(flipped_share * len(train)), replace=False)
    train.loc[flipped, DIGITS_LABEL] = (train.loc[flipped, DIGITS_LABEL] + rng.integers(1, 10, len(flipped))) % 10
    sources = np.split(rng.choice(np.setdiff1d(np.arange(len(train)), flipped), 5 * n_each, replace=False), 5)
    spread = train[pixels].std().to_numpy()

    def nearly(rows: np.ndarray) -> pd.DataFrame:
        copies = train.iloc[rows].copy()
        copies[pixels] = copies[pixels] + rng.standard_normal((len(rows), len(pixels))) * 0.01 * spread
        return copies

    conflicting = train.iloc[sources[2]].copy()
    conflicting[DIGITS_LABEL] = (conflicting[DIGITS_LABEL] + 1) % 10
    val = pd.concat([val, train.iloc[sources[3]], nearly(sources[4])], ignore_index=True)
    train = pd.concat([train, train.iloc[sources[0]], nearly(sources[1]), conflicting], ignore_index=True)
    train = train.iloc[rng.permutation(len(train))].reset_index(drop=True)
    val = val.iloc[rng.permutation(len(val))].reset_index(drop=True)
    return train, val


def written(folder: Path, train: pd.DataFrame, val: pd.DataFrame) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    val.to_csv(folder / "val.csv", index=False)
    return folder / "train.csv", folder / "val.csv"


PAIRS = ("planted", "near", "digits")


def pair_files(folder: Path, name: str, n_train: int) -> tuple[Path, Path, dict[str, str]]:
    """One of :data:`PAIRS` as CSV files in ``folder``: train, val and the columns' roles.

    ``planted`` is tests/conftest's planted pair (exact copies, conflicting copies, leaks;
    ``n_train`` rows), ``near`` tests/checks' near pair (near copies and near leaks as well, two
    overlapping classes; ``n_train`` rows), ``digits`` the real data set above.
    """
    from tests.checks.test_near_duplicates import near_pair
    from tests.conftest import planted_pair

    if name == "digits":
        return (*written(folder, *digits_pair()), {"label": DIGITS_LABEL})
    if name == "planted":
        pair = planted_pair(n_train=n_train, n_val=n_train // 3, n_each=max(12, n_train // 250))
        return (*written(folder, pair.train, pair.val),
                {"label": "label", "id_column": "id", "group_column": "group", "time_column": "time"})
    pair = near_pair(n_train=n_train, n_val=n_train // 3, n_near=n_train // 100, n_leak=n_train // 100,
                     n_exact=n_train // 400, n_conflict=n_train // 400, n_conflict_leak=n_train // 400)
    return (*written(folder, pair.train, pair.val), {"label": "label", "id_column": "id"})


def compared(train: Path, val: Path, roles: dict[str, str], spark) -> dict[str, CodeAgreement]:
    from audit import run_audit

    settings = dict(checks=CHECKS, baseline={"enabled": False}, **roles)
    return agreement(run_audit(train, val, **settings), run_audit(train, val, engine="spark", spark=spark, **settings))


def main() -> None:
    from audit.spark.session import spark_session

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=3000, help="train rows of the planted and near pairs")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    spark = spark_session(args.master, config={"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"})
    with tempfile.TemporaryDirectory() as folder:
        for name in PAIRS:
            train, val, roles = pair_files(Path(folder) / name, name, args.n_train)
            print(f"\n{name}: {len(pd.read_csv(train))} train rows, {len(pd.read_csv(val))} val rows")
            print(f"{'code':<20} {'pandas':>7} {'spark':>7} {'common':>7} {'jaccard':>8}  severities (pandas vs spark)")
            for result in compared(train, val, roles, spark).values():
                print(result.line())
    spark.stop()


if __name__ == "__main__":
    main()
