"""The text audit on text nobody here wrote: installed libraries' docstrings, labelled by library.

Every public function, class and method of numpy, pandas, scikit-learn and scipy with a
docstring of at least ``MIN_WORDS`` words gives one row: its docstring's first paragraphs
(``text``, at most ``MAX_CHARACTERS`` characters), the kind of object (``kind``: function,
class or method) and the library it belongs to (``library``, the label). A seeded fifth of
the rows is val. Nothing is planted: what the audit finds is what the libraries hold
(templated docstrings shared by many methods, wrappers that repeat their target's text,
docstrings that read like another library's). Prints the split sizes, every finding's code,
severity and message, and a few flagged pairs, with the time and the load average.

    python bench/text_docstrings.py [--out reports/docstrings]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

LIBRARIES = ("numpy", "pandas", "sklearn", "scipy")
MIN_WORDS = 8
MAX_CHARACTERS = 600
MAX_PER_LIBRARY = 3000


def docstrings(library: str) -> list[dict[str, str]]:
    """(text, kind) of the library's public objects, each qualified name once, in a stable order."""
    rows: dict[str, dict[str, str]] = {}
    root = importlib.import_module(library)
    names = [library] + sorted(m.name for m in pkgutil.walk_packages(root.__path__, f"{library}.")
                               if not any(part.startswith("_") or part == "tests" for part in m.name.split(".")))
    for name in names:
        try:
            module = importlib.import_module(name)
        except Exception:  # optional dependencies missing: that module is skipped
            continue
        for attribute, value in sorted(vars(module).items()):
            if attribute.startswith("_") or not (inspect.isfunction(value) or inspect.isclass(value)):
                continue
            _add(rows, f"{name}.{attribute}", value, "class" if inspect.isclass(value) else "function")
            if inspect.isclass(value):
                for method, member in sorted(vars(value).items()):
                    if not method.startswith("_") and inspect.isfunction(member):
                        _add(rows, f"{name}.{attribute}.{method}", member, "method")
    return list(rows.values())[:MAX_PER_LIBRARY]


def _add(rows: dict[str, dict[str, str]], qualified: str, value: object, kind: str) -> None:
    doc = inspect.getdoc(value) or ""
    text = " ".join(" ".join(doc.split("\n\n")[:2]).split())[:MAX_CHARACTERS]
    if len(text.split()) >= MIN_WORDS and qualified not in rows:
        rows[qualified] = {"text": text, "kind": kind}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/docstrings"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from audit.api import run_audit

    frame = pd.DataFrame([{**row, "library": library} for library in LIBRARIES for row in docstrings(library)])
    val = np.random.default_rng(args.seed).random(len(frame)) < 0.2
    train, val_frame = frame[~val].reset_index(drop=True), frame[val].reset_index(drop=True)
    print(f"{len(train)} train and {len(val_frame)} val docstrings; "
          + ", ".join(f"{k} {n}" for k, n in frame["library"].value_counts().items()))
    started = time.perf_counter()
    report = run_audit(train, val_frame, label="library", out=str(args.out), baseline={"enabled": False})
    print(f"audit: {time.perf_counter() - started:.1f} s wall; load average "
          f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for kind in report.to_dict()["inputs"].get("column_kinds", []):
        print(f"  column {kind['column']}: {kind['kind']} ({kind['reason']})")
    for _, finding in report.all_findings:
        print(f"{str(finding.severity).upper():5} {finding.code}: {finding.message[:240]}")
        partner = next((r for r in finding.rows if "duplicate_of" in r or "train_row" in r), None)
        if partner is not None and finding.code != "label_issues":
            other_split = "train" if "train_row" in partner else partner.get("duplicate_split", partner["split"])
            other = partner.get("train_row", partner.get("duplicate_of"))
            mine = (train if partner["split"] == "train" else val_frame).at[partner["row"], "text"]
            theirs = (train if other_split == "train" else val_frame).at[other, "text"]
            print(f"      e.g. {partner['split']} row {partner['row']}: {mine[:110]!r}")
            print(f"       and {other_split} row {other}: {theirs[:110]!r}")
        if finding.code == "label_issues":
            for row in finding.rows[:2]:
                text = (train if row["split"] == "train" else val_frame).at[row["row"], "text"]
                print(f"      e.g. {row['split']} row {row['row']} ({row['given_label']} -> {row['suggested_label']}): "
                      f"{text[:110]!r}")


if __name__ == "__main__":
    main()
