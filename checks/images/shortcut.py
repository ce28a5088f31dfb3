"""Metadata shortcuts: a picture's size, shape, format, colour mode, file size or JPEG quality
alone tells its class.

A class photographed with one camera, or collected from one source, differs from the rest in
ways a CNN learns before the content. Each metadata field is scored as target leakage scores
a column (bins, each predicting what it is most over-represented in, cross-validated), once a
class against the rest, so a single class that stands apart is found even when the field
says nothing about the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.base import AuditData, Check, Finding, Severity, fraction, register
from checks.images.table import ImageTable
from checks.oof import min_int
from checks.target_leakage import bin_column, cross_validated_balanced_accuracy, rescale


def metadata_columns(table: ImageTable) -> dict[str, pd.Series]:
    """The metadata fields a shortcut may hide in, one value a picture."""
    return {
        "width": pd.Series(table.width), "height": pd.Series(table.height),
        "aspect_ratio": pd.Series(np.round(table.width / table.height, 3)),
        "format": pd.Series(table.format.astype(str)), "mode": pd.Series(table.mode.astype(str)),
        "file_bytes": pd.Series(table.file_bytes), "jpeg_quality": pd.Series(table.jpeg_quality),
    }


@register
class MetadataShortcut(Check):
    """Picture metadata (size, aspect ratio, format, colour mode, file size, JPEG quality) that alone gives a class away.

    What it detects:
        ``metadata_shortcut``: for each metadata field of the train pictures and each class,
        the cross-validated score (0 = chance, 1 = perfect) of telling that class from the
        rest by the field alone; fields at or above ``min_score`` are listed with the class,
        the score and how the field was binned.

    Why it matters:
        A network takes the easiest cue: if one class's pictures alone are larger, PNG or
        grey, it learns that instead of the content, validates well on data from the same
        sources and fails on anything else.

    How to fix:
        Make the field uninformative: resize every picture to one size, convert to one
        format and colour mode, or collect the class from more sources.

    Parameters:
        min_score: the one-field, one-class score at or above which a field is flagged.
        n_folds: cross-validation folds of the score.
    """

    name = "metadata_shortcut"
    needs = frozenset({"images"})
    codes = ("metadata_shortcut",)
    parameters = {"min_score": fraction(), "n_folds": min_int(2)}

    def __init__(self, min_score=0.9, n_folds=5):
        self.min_score = min_score
        self.n_folds = n_folds

    def run(self, data: AuditData) -> list[Finding]:
        table = data.images.tables["train"]
        labels = data.labels("train").loc[table.rows].astype("string").to_numpy(dtype=object)
        classes, y = np.unique(labels, return_inverse=True)
        if len(classes) < 2 or len(y) < 2 * self.n_folds:
            return []
        folds = np.random.default_rng(data.random_state).permutation(len(y)) % self.n_folds
        flagged, scores = [], {}
        for field, values in metadata_columns(table).items():
            codes, n_codes, how = bin_column(values)
            best = (0.0, None)
            for k, name in enumerate(classes):
                balanced = cross_validated_balanced_accuracy(codes, n_codes, (y == k).astype(np.int64), 2, folds,
                                                             self.n_folds)
                best = max(best, (rescale(balanced, 2), str(name)), key=lambda s: s[0])
            scores[field] = best[0]
            if best[0] >= self.min_score:
                flagged.append({"column": field, "class": best[1], "score": round(best[0], 4), "binning": how,
                                "reason": f"tells class {best[1]!r} from the rest alone (score {best[0]:.3f})"})
        if not flagged:
            return []
        names = ", ".join(f"{c['column']} ({c['class']}, {c['score']:.3f})" for c in flagged)
        return [Finding(
            code="metadata_shortcut", severity=Severity.FAIL,
            message=(f"{len(flagged)} metadata field(s) give a class away on their own: {names} (cross-validated "
                     f"one-class score, 0 = chance, 1 = perfect)."),
            metrics={"n_fields": len(scores), "n_flagged": len(flagged), "n_rows": len(y), "min_score": self.min_score,
                     "scores": scores},
            columns=flagged,
        )]
