"""Image quality: files that cannot be read, and pictures too dark, too bright, blurred, blank,
of an odd size or shape, or grey in a colour set.

Each code flags files with a ``score`` and states its threshold. Thresholds are relative to
the data set (its median, and its spread measured robustly, so the flagged files themselves
do not move it), each with a floor so that the tail of a clean set is not flagged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from checks.base import AuditData, Check, Finding, fraction, register, rows_finding
from checks.images.decode import GREY_MODES
from checks.images.table import ImageTable

# How far from the median, in robust standard deviations (1.4826 x the median absolute deviation).
MAX_ROBUST_Z = 6.0
DARK_SHARE = 0.5        # at least this share of pixels near black ...
BRIGHT_SHARE = 0.5      # ... or near white
MIN_SHARPNESS_RATIO = 0.25   # sharpness at most this share of the median
MIN_CONTRAST_RATIO = 0.05    # grey spread at most this share of the median
MIN_SIZE_FACTOR = 2.0        # a side or the aspect ratio at least twice the usual range's end, or half its start
TYPICAL_SHARE_LOW = 0.01     # the usual range: from this quantile of the train pictures to its complement
GREY_COLOURFULNESS = 0.005   # mean distance of a pixel's channels from their mean, in [0, 1]
COLOUR_SET_COLOURFULNESS = 0.03


@dataclass(frozen=True)
class Flagged:
    """Positions in a split's table flagged by one rule, their scores, and the rule in words."""

    positions: np.ndarray
    scores: np.ndarray
    rule: str
    extra: dict[str, np.ndarray] | None = None


def robust_spread(values: np.ndarray) -> tuple[float, float]:
    median = float(np.median(values))
    return median, float(1.4826 * np.median(np.abs(values - median)))


def dark(table: ImageTable, reference: ImageTable) -> Flagged:
    median, spread = robust_spread(reference.brightness)
    limit = median - MAX_ROBUST_Z * spread
    hit = (table.dark_share >= DARK_SHARE) & (table.brightness <= limit)
    return Flagged(np.flatnonzero(hit), table.brightness[hit],
                   f"mean brightness <= {limit:.3f} (train median {median:.3f} - {MAX_ROBUST_Z:g} robust deviations) "
                   f"with at least {DARK_SHARE:.0%} of the pixels near black; score: mean brightness in [0, 1]")


def overexposed(table: ImageTable, reference: ImageTable) -> Flagged:
    median, spread = robust_spread(reference.brightness)
    limit = median + MAX_ROBUST_Z * spread
    hit = (table.bright_share >= BRIGHT_SHARE) & (table.brightness >= limit)
    return Flagged(np.flatnonzero(hit), table.brightness[hit],
                   f"mean brightness >= {limit:.3f} (train median {median:.3f} + {MAX_ROBUST_Z:g} robust deviations) "
                   f"with at least {BRIGHT_SHARE:.0%} of the pixels near white; score: mean brightness in [0, 1]")


def blank(table: ImageTable, reference: ImageTable) -> Flagged:
    limit = MIN_CONTRAST_RATIO * float(np.median(reference.contrast))
    hit = table.contrast <= limit
    return Flagged(np.flatnonzero(hit), table.contrast[hit],
                   f"grey spread <= {limit:.4f} ({MIN_CONTRAST_RATIO:g} x the train median): almost one flat colour; "
                   f"score: standard deviation of the grey values in [0, 1]")


def blurry(table: ImageTable, reference: ImageTable) -> Flagged:
    limit = MIN_SHARPNESS_RATIO * float(np.median(reference.sharpness))
    flat = MIN_CONTRAST_RATIO * float(np.median(reference.contrast))
    hit = (table.sharpness <= limit) & (table.contrast > flat)
    return Flagged(np.flatnonzero(hit), table.sharpness[hit],
                   f"sharpness <= {limit:.3f} ({MIN_SHARPNESS_RATIO:g} x the train median; blank pictures left to "
                   f"blank_images); score: fine detail over overall spread of a 64 px grey copy")


def odd_size(table: ImageTable, reference: ImageTable) -> Flagged:
    measures = {"width": (table.width, reference.width), "height": (table.height, reference.height),
                "aspect ratio": (table.width / table.height, reference.width / reference.height)}
    beyond = np.zeros(len(table))
    ranges = []
    for name, (values, usual) in measures.items():
        low, high = np.quantile(np.log(usual), [TYPICAL_SHARE_LOW, 1 - TYPICAL_SHARE_LOW])
        logs = np.log(values)
        beyond = np.maximum(beyond, np.maximum(low - logs, logs - high))
        ranges.append(f"{name} {np.exp(low):.3g}-{np.exp(high):.3g}")
    hit = beyond >= np.log(MIN_SIZE_FACTOR)
    return Flagged(np.flatnonzero(hit), np.round(np.exp(beyond[hit]), 3),
                   f"width, height or aspect ratio at least {MIN_SIZE_FACTOR:g}x outside the range of the middle "
                   f"{1 - 2 * TYPICAL_SHARE_LOW:.0%} of the train pictures ({', '.join(ranges)}); score: that factor",
                   {"width": table.width[hit], "height": table.height[hit]})


def grayscale(table: ImageTable, reference: ImageTable) -> Flagged:
    modes, counts = np.unique(reference.mode.astype(str), return_counts=True)
    usual = str(modes[np.argmax(counts)])
    grey = np.isin(table.mode.astype(str), list(GREY_MODES)) | (table.colourfulness <= GREY_COLOURFULNESS)
    colour_set = float(np.median(reference.colourfulness)) >= COLOUR_SET_COLOURFULNESS
    hit = (grey & colour_set) | ~np.isin(table.mode.astype(str), [usual, *GREY_MODES])
    return Flagged(np.flatnonzero(hit), table.colourfulness[hit],
                   f"grey pictures (a grey mode, or colourfulness <= {GREY_COLOURFULNESS:g}) in a colour set, or a "
                   f"colour mode other than the usual {usual}; score: colourfulness in [0, 1]",
                   {"mode": table.mode[hit]})


RULES: dict[str, Callable[[ImageTable, ImageTable], Flagged]] = {
    "dark_images": dark, "overexposed_images": overexposed, "blurry_images": blurry, "blank_images": blank,
    "odd_size_images": odd_size, "grayscale_images": grayscale,
}
SAYS = {
    "dark_images": "too dark", "overexposed_images": "overexposed", "blurry_images": "blurred",
    "blank_images": "almost blank", "odd_size_images": "of an odd size or shape",
    "grayscale_images": "grey in a colour set, or of an unusual colour mode",
}


@register
class ImageQuality(Check):
    """Picture files that cannot be read, and pictures too dark, overexposed, blurred, blank, odd-sized or grey.

    What it detects:
        ``unreadable_images``: listed files that cannot be decoded (truncated, empty, not a
        picture, over the pixel limit, a link out of the folder), each with its ``path`` and
        ``reason``. ``dark_images``, ``overexposed_images``, ``blurry_images``,
        ``blank_images``, ``odd_size_images``, ``grayscale_images``: pictures whose brightness,
        sharpness, contrast, size or colour is far from the rest of the set, each with a
        ``score``; the finding's metrics state the rule and its threshold (relative to the
        train pictures' median and robust spread).

    Why it matters:
        A file Keras cannot decode stops training at the first epoch that reaches it. Pictures
        with no usable content teach noise; a few odd sizes are distorted by resizing; grey
        pictures in a colour set may come from another source and become a shortcut.

    How to fix:
        Remove or repair unreadable files; look at each strip of flagged pictures in the
        report and drop, re-shoot or keep them deliberately.

    Parameters:
        fail_at_fraction: share of a split's pictures flagged by one code at or above which
            that finding fails (otherwise it warns); unreadable files always fail.
    """

    name = "image_quality"
    needs = frozenset({"images"})
    codes = ("unreadable_images", *RULES)
    parameters = {"fail_at_fraction": fraction()}

    def __init__(self, fail_at_fraction=0.05):
        self.fail_at_fraction = fail_at_fraction

    def run(self, data: AuditData) -> list[Finding]:
        images = data.images
        findings = []
        for split in data.splits:
            failed = [f for f in images.unreadable if f.split == split]
            if failed:
                evidence = [{"split": split, "row": f.row, "path": f.path, "reason": f.reason} for f in failed]
                findings.append(rows_finding("unreadable_images", evidence, images.n_listed[split], 0.0,
                                             ("cannot", "cannot"), "be read as a picture; the audit went on without them.",
                                             noun="file", context={"split": split}))
        reference = images.tables["train"]
        for code, rule in RULES.items():
            for split in data.splits:
                table = images.tables[split]
                flagged = rule(table, reference)
                if len(flagged.positions):
                    findings.append(self.finding(code, split, table, flagged))
        return findings

    def finding(self, code: str, split: str, table: ImageTable, flagged: Flagged) -> Finding:
        extra = flagged.extra or {}
        evidence = [{"split": split, "row": int(table.rows[p]), "path": str(table.paths[p]),
                     "score": round(float(s), 4), **{k: v[i] for k, v in extra.items()}}
                    for i, (p, s) in enumerate(zip(flagged.positions, flagged.scores))]
        return rows_finding(code, evidence, len(table), self.fail_at_fraction, ("are", "is"), SAYS[code] + ".",
                            noun="picture", context={"split": split}, metrics={"rule": flagged.rule})
