"""The baseline section: learning curves of the raw and fixed runs, the gap before and after the
fixes, the numbers behind the verdict, and which fix family moved them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from audit.render import svg
from audit.render.html.attribution import attribution
from audit.render.html.format import epoch_text, plural, text
from audit.render.html.header import verdict_code_view
from audit.render.text import sample_note
from audit.training.curves import CurveBand
from audit.training.numbers import Spread
from audit.training.results import BaselineResult, RunSummary, Skipped

CURVES = (("train loss", "s-train", "train_inference_loss"), ("train loss, Keras", "s-keras", "train_loss"),
          ("val loss", "s-val", "val_loss"), ("reference loss", "s-ref", "reference_loss"))
# The curves' scale leaves out the first epochs, whose loss is far above where raw and fixed differ.
ZOOM_FROM_EPOCH = 3
BASELINE_ROWS = (
    ("train_rows", "train rows", "count"),
    ("val_rows", "val rows", "count"),
    ("best_epoch", "epoch of lowest val loss", "epoch"),
    ("stall_epoch", "stall epoch", "epoch"),
    ("best_val_loss", "lowest val loss", "loss"),
    ("reference_loss_at_best", "reference loss at that epoch", "loss"),
    ("end_gap", "gap at the last epoch (val \u2212 train)", "loss"),
    ("climb_after_stall", "val loss climb after the stall", "loss"),
)


def baseline(result: BaselineResult | Skipped | None) -> dict[str, Any] | None:
    """Learning curves of the raw and fixed runs, the gap before and after, the numbers."""
    if result is None:
        return None
    if not result.ran:
        return {"reason": text(result.reason, 500), "verdict": "", "code": "", "code_text": "", "panels": [],
                "attribution": None}
    runs = {"raw": result.raw, "fixed": result.fixed}
    y_max = _curves_top(runs.values())
    reference = svg.signed_bars(
        [(name, *_mean_std(run.summary["reference_loss_at_best"]), f"s-{name}") for name, run in runs.items()],
        "Clean reference loss at the best epoch, raw and fixed", "reference loss (lower is better)", width=420,
    )
    panels = [{"name": name, "chart": _learning_curves(name, run, y_max), "caption": _curve_caption(run)}
              for name, run in runs.items()]
    gap = svg.signed_bars(
        [(name, *_mean_std(run.summary["end_gap"]), f"s-{name}") for name, run in runs.items()],
        "Gap at the last epoch: val loss minus train loss", "val \u2212 train loss",
    )
    code, code_text = verdict_code_view(result.verdict.code)
    return {
        "reason": "",
        "verdict": text(result.verdict.text, 2000),
        "code": code,
        "code_text": code_text,
        "panels": panels,
        "reference": reference,
        "reference_caption": _reference_caption(result),
        "zoom_from": ZOOM_FROM_EPOCH,
        "gap": gap,
        "table": _baseline_table(runs),
        "notes": _baseline_notes(result),
        "attribution": attribution(result.attribution),
    }


def _mean_std(spread: Spread) -> tuple[float | None, float | None]:
    return spread.mean, spread.std


def _bands(run: RunSummary) -> list[tuple[str, str, CurveBand]]:
    """The loss curves a run recorded, as (label, class, band)."""
    return [(label, cls, run.curves[name]) for label, cls, name in CURVES
            if name in run.curves and run.curves[name].mean]


def _curves_top(runs: Iterable[RunSummary]) -> float | None:
    """One y-scale for raw and fixed, so the two panels compare at a glance, zoomed to the
    epochs from ``ZOOM_FROM_EPOCH`` on (all of them when a run is shorter)."""
    highs = []
    for run in runs:
        for _, cls, band in _bands(run):
            if cls == "s-keras":  # Keras' train loss sits far above the rest with dropout: not the scale's concern
                continue
            std = list(band.std) + [None] * (len(band.mean) - len(band.std))
            start = ZOOM_FROM_EPOCH - 1 if len(band.mean) > ZOOM_FROM_EPOCH else 0
            highs += [m + (s or 0.0) for m, s in zip(band.mean[start:], std[start:]) if m is not None]
    return max(highs) if highs else None


def _clipped(values: Iterable[float | None], top: float | None) -> list[float | None]:
    """Values above the zoomed scale drawn at its top edge."""
    return [v if v is None or top is None else min(v, top) for v in values]


def _learning_curves(name: str, run: RunSummary, y_max: float | None) -> svg.Chart | None:
    bands = []
    for label, cls, band in _bands(run):
        mean = _clipped(band.mean, y_max)
        spread = [None if m is None or s is None or y_max is None else min(s, y_max - m)
                  for m, s in zip(mean, band.std)] if band.std else None
        bands.append(svg.Band(label, cls, mean, spread))
    stall, best = run.summary["stall_epoch"].mean, run.summary["best_epoch"].mean
    markers = []
    if stall is not None:
        markers.append((int(round(stall)), "stall", f"val stalls \u00b7 epoch {epoch_text(stall)}"))
    points = []
    val = next((b for b in bands if b.cls == "s-val"), None)
    if best is not None and val is not None:
        epoch = int(round(best))
        if 1 <= epoch <= len(val.mean):
            points.append((epoch, val.mean[epoch - 1], "best-dot", f"lowest val loss, epoch {epoch_text(best)}"))
    return svg.line_chart(bands, f"Learning curves, {name} data: loss by epoch", y_max=y_max, markers=markers,
                          points=points)


def _reference_caption(result: BaselineResult) -> str:
    """The verdict's measure in words: how much the fixes moved the clean reference loss."""
    comparison = result.comparison
    raw, fixed = comparison.reference_loss.raw, comparison.reference_loss.fixed
    if raw is None or fixed is None:
        return "The loss of each run on the same clean validation rows; bars are the mean over seeds, whiskers one std."
    change = comparison.reference_loss_drop_relative
    moved = (f"the fixes {'lowered' if fixed < raw else 'raised'} it from {raw:.3f} to {fixed:.3f}"
             + (f" ({-change:+.0%})" if change is not None else ""))
    spread = "beyond" if comparison.reference_loss_drop_beyond_spread else "within"
    return (f"The loss of each run on the same clean validation rows, the quantity the verdict is about: {moved}, "
            f"{spread} the seed spread. Bars are the mean over seeds, whiskers one std.")


def _curve_caption(run: RunSummary) -> str:
    stall, best = run.summary["stall_epoch"].mean, run.summary["best_epoch"].mean
    parts = []
    if best is not None:
        parts.append(f"lowest val loss at epoch {epoch_text(best)}")
    if stall is not None:
        parts.append(f"val loss stalls at epoch {epoch_text(stall)} while train loss keeps falling")
    elif best is not None:
        parts.append("no stall: val loss was still improving")
    parts.append(f"{run.train_rows} train rows, {run.val_rows} val rows")
    if run.reused_raw:
        parts.append("the fixes changed no row, so this is the raw run")
    return "; ".join(parts) + "."


def _number(run: RunSummary, key: str) -> tuple[float | None, float | None]:
    """(mean, std) of a row of the numbers table: a count of the run, or a number over seeds."""
    if key in ("train_rows", "val_rows"):
        return float(getattr(run, key)), None
    return _mean_std(run.summary[key])


def _baseline_table(runs: dict[str, RunSummary]) -> list[dict[str, Any]]:
    table = []
    for key, label, kind in BASELINE_ROWS:
        cells = []
        for run in runs.values():
            mean, std = _number(run, key)
            if mean is None:
                cells.append("\u2014")
            elif kind == "count":
                cells.append(f"{mean:.0f}")
            elif kind == "epoch":
                cells.append(epoch_text(mean) + (f" \u00b1 {std:.1f}" if std else ""))
            else:
                cells.append(f"{mean:.3f}" + (f" \u00b1 {std:.3f}" if std else ""))
        if any(cell != "\u2014" for cell in cells):
            table.append({"label": label, "cells": cells})
    return table


def _baseline_notes(result: BaselineResult) -> str:
    settings = result.settings
    model = settings.model_file or settings.model
    if result.network is not None:  # the CNN on pictures: its input size
        model = f"CNN on {result.network['input']['height']}x{result.network['input']['width']} RGB pictures"
    parts = [plural(settings.seeds, "seed"), f"model {text(model, 80)}",
             f"{settings.epochs} epochs", f"batch size {result.batch_size}", f"{result.duration_s:.0f} s"]
    if result.sample is not None:
        parts.append(sample_note(result.sample))
    return ", ".join(parts)
