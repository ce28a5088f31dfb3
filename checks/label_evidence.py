"""How strong the evidence behind label issues is, and what the flagged rows have in common.

Confident learning flags the rows whose out-of-fold probabilities contradict their label.
That is evidence of a wrong label only when the model is sure: a weak model (few rows,
overlapping classes) contradicts clean labels too, mildly, near the class boundaries,
while a flipped label deep inside another class is contradicted outright. So the severity
follows the *strong* flags: rows whose given label gets under ``STRONG_GIVEN`` of the
probability while another class gets over ``STRONG_OTHER``. On the planted pairs of
bench/bench_hard.py (results/hard.md), 80 % or more of the flipped labels were strong flags
with the chosen model (``STRONG_RECALL`` is a cautious 60 %), against at most 2 % of the
train rows of clean sets of 100 to 1,000 rows (4 % of one 100-row val split). The estimated
share of wrong labels is the strong share divided by ``STRONG_RECALL``; the finding's
severity is the one the smaller of that estimate and the flagged share reaches.

Two more limits:

* rows per class: a model cannot learn a class of fewer than ``MIN_CLASS_ROWS`` train rows
  well enough to overrule its labels, so a finding fails only when the strong flags between
  classes of at least that many rows reach the failure share on their own (a 12-row class
  does not hold back the flipped labels found among the large ones).
* class overlap: when one pair of classes holds at least ``OVERLAP_SHARE`` of the flags
  and at least ``OVERLAP_FACTOR`` times the share uniform label noise would put there
  (noise flips each class's rows to the others alike, so a pair's expected share grows
  with its classes' sizes), the rows are two neighbouring classes (two grades of cut, two
  age bands) more than wrong labels: the finding says so and drops one level. On an ordered
  scale of several grades the flags spread over a chain of neighbouring pairs instead
  (ggplot2's diamonds by cut: 37, 21, 19 and 17 % in four pairs), so no single pair holds
  ``OVERLAP_SHARE``; the pairs that each hold ``OVERLAP_FACTOR`` times their uniform share
  count together then, and the finding names them all.

The model's error rate on the rows it does not flag and its accuracy are reported beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from checks.base import Severity

STRONG_GIVEN = 0.1
STRONG_OTHER = 0.6
STRONG_RECALL = 0.6
MIN_CLASS_ROWS = 30
OVERLAP_SHARE = 0.4
OVERLAP_FACTOR = 2.0
MIN_OVERLAP_ROWS = 10


@dataclass(frozen=True)
class ClassOverlap:
    """The pairs of classes holding the flags far beyond uniform noise (one pair, or a chain of neighbouring
    ones), the classes they join, their share of the flags, and the share uniform noise predicts for them."""

    classes: tuple[str, ...]
    n_rows: int
    share: float
    expected_share: float
    pairs: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "n_rows": self.n_rows, "share": self.share,
                "expected_share": self.expected_share, "pairs": [list(pair) for pair in self.pairs]}


@dataclass(frozen=True)
class Evidence:
    """The numbers a label-issue finding's severity follows (see the module docstring)."""

    flagged_share: float
    strong_share: float
    model_error_rate: float | None
    min_class_rows: int
    overlap: ClassOverlap | None
    n_rows: int
    populated_strong_share: float

    @property
    def estimated_error_share(self) -> float:
        """The share of wrong labels the strong flags point to, at least: the lower confidence
        bound of the strong share (Wilson, one-sided 95 %), so a few strong flags among few
        rows are not read as a rate."""
        return estimated_share(self.strong_share, self.n_rows)

    def severity(self, warn_at: float, fail_at: float) -> tuple[Severity, str]:
        """The severity the flags and their evidence reach, and why it is below the flagged share's ('' if not)."""
        by_share = level(self.flagged_share, warn_at, fail_at)
        estimate = self.estimated_error_share
        severity = min(by_share, level(estimate, warn_at, fail_at))
        why = ""
        if severity < by_share:
            why = (f"only {self.strong_share:.1%} of the rows are strong flags (the label under "
                   f"{STRONG_GIVEN:.0%}, another class over {STRONG_OTHER:.0%}), pointing to about {estimate:.1%} wrong "
                   f"labels at least; the rest are rows the model is unsure of")
        populated = estimated_share(self.populated_strong_share, self.n_rows)
        if severity == Severity.FAIL and level(populated, warn_at, fail_at) < Severity.FAIL:
            severity = Severity.WARN
            why = (f"a class has only {self.min_class_rows} train rows, too few to overrule its labels with confidence, "
                   f"and the strong flags between classes of {MIN_CLASS_ROWS} rows or more point to {populated:.1%}")
        if self.overlap is not None:
            severity = lowered(severity)
        return severity, why

    def to_dict(self) -> dict[str, Any]:
        return {"strong_flag_share": self.strong_share, "estimated_error_share": self.estimated_error_share,
                "model_error_rate": self.model_error_rate, "min_class_rows": self.min_class_rows,
                "populated_strong_flag_share": self.populated_strong_share,
                "class_overlap": None if self.overlap is None else self.overlap.to_dict()}


def estimated_share(strong_share: float, n_rows: int) -> float:
    """The share of wrong labels a strong share points to, at least (see Evidence.estimated_error_share)."""
    return min(1.0, wilson_lower(strong_share, n_rows) / STRONG_RECALL)


def wilson_lower(share: float, n: int, z: float = 1.645) -> float:
    """The lower end of the Wilson score interval of a share observed on ``n`` rows."""
    if n <= 0:
        return 0.0
    centre = share + z * z / (2 * n)
    spread = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return float(max(0.0, (centre - spread) / (1 + z * z / n)))


def level(share: float, warn_at: float, fail_at: float) -> Severity:
    if share > 0 and share >= fail_at:
        return Severity.FAIL
    if share > 0 and share >= warn_at:
        return Severity.WARN
    return Severity.INFO


@dataclass(frozen=True)
class FlaggedFacts:
    """What the evidence reads from a split: its flagged rows one by one (class codes and the
    two probabilities), the rest as counts, so any engine can supply it (the Spark engine from
    aggregates, only the flagged rows collected).

    ``codes``/``suggested`` are each flagged row's given and suggested class, ``given_probs``/
    ``suggested_probs`` their probabilities; ``n_kept``/``n_kept_wrong`` count the scored rows
    not flagged and those of them whose most probable class is not the given one;
    ``scored_sizes`` counts the scored rows per class.
    """

    codes: np.ndarray
    suggested: np.ndarray
    given_probs: np.ndarray
    suggested_probs: np.ndarray
    n_rows: int
    n_kept: int
    n_kept_wrong: int
    scored_sizes: np.ndarray


def measure(codes: np.ndarray, probs: np.ndarray, scored: np.ndarray, flagged: np.ndarray, suggested: np.ndarray,
            classes: np.ndarray, train_counts: np.ndarray) -> Evidence:
    """The evidence behind ``flagged`` (a mask over the split's rows, all of them ``scored``)."""
    scored_mask = np.zeros(len(codes), dtype=bool)
    scored_mask[scored] = True
    rows = np.flatnonzero(flagged)
    kept = scored_mask & ~flagged
    facts = FlaggedFacts(codes[rows], suggested[rows], probs[rows, codes[rows]], probs[rows, suggested[rows]],
                         len(codes), int(kept.sum()), int((probs[kept].argmax(axis=1) != codes[kept]).sum()),
                         np.bincount(codes[scored], minlength=len(classes)))
    return measured(facts, classes, train_counts)


def measured(facts: FlaggedFacts, classes: np.ndarray, train_counts: np.ndarray) -> Evidence:
    """The evidence from a split's facts; ``train_counts`` counts every train row per class."""
    n_rows = facts.n_rows
    strong = (facts.given_probs < STRONG_GIVEN) & (facts.suggested_probs > STRONG_OTHER)
    populated = (train_counts[facts.codes] >= MIN_CLASS_ROWS) & (train_counts[facts.suggested] >= MIN_CLASS_ROWS)
    model_error = facts.n_kept_wrong / facts.n_kept if facts.n_kept else None
    present = train_counts[train_counts > 0]
    return Evidence(len(facts.codes) / n_rows if n_rows else 0.0,
                    float(strong.sum() / n_rows) if n_rows else 0.0, model_error,
                    int(present.min()) if len(present) else 0,
                    class_overlap(facts.codes, facts.suggested, facts.scored_sizes, classes), n_rows,
                    float((strong & populated).sum() / n_rows) if n_rows else 0.0)


def class_overlap(codes: np.ndarray, suggested: np.ndarray, sizes: np.ndarray, classes: np.ndarray
                  ) -> ClassOverlap | None:
    """The pair of classes (given, suggested; either order) of the flagged rows holding most
    flags, when it holds far more of them than uniform noise would put there, given the scored
    rows' class ``sizes``; else the pairs that each do, when together they hold enough of the
    flags; None otherwise or with two classes."""
    n_classes = len(classes)
    if n_classes < 3 or len(codes) < MIN_OVERLAP_ROWS:
        return None
    low, high = np.minimum(codes, suggested), np.maximum(codes, suggested)
    pairs, counts = np.unique(low * n_classes + high, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    pairs, counts = pairs[order], counts[order]
    first, second = np.divmod(pairs, n_classes)
    expected = (sizes[first] + sizes[second]) / ((n_classes - 1) * sizes.sum())
    shares = counts / len(codes)
    beyond_noise = shares >= OVERLAP_FACTOR * expected
    chosen = np.array([0]) if beyond_noise[0] and shares[0] >= OVERLAP_SHARE else np.flatnonzero(beyond_noise)
    if not len(chosen) or shares[chosen].sum() < OVERLAP_SHARE:
        return None
    named = tuple((str(classes[first[i]]), str(classes[second[i]])) for i in chosen)
    joined = tuple(dict.fromkeys(name for pair in named for name in pair))
    return ClassOverlap(joined, int(counts[chosen].sum()), float(shares[chosen].sum()), float(expected[chosen].sum()),
                        named)


def lowered(severity: Severity) -> Severity:
    return Severity(max(int(severity) - 1, int(Severity.INFO)))
