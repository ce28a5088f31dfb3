"""Small inline-SVG charts, computed as plain geometry.

The helpers here only do arithmetic: each returns a :class:`Chart`, a list of marks
(rectangles, lines, paths, texts) in one coordinate box. The HTML template draws the marks,
so every label (class names come from user data) goes through Jinja2's autoescaping and
every attribute is written by the template, quoted. No plotting library, no JavaScript.
Every helper returns ``None`` when it has nothing to draw, and the report says so instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

FONT_SIZE = 11
LABEL_CHARS = 14


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    cls: str
    tip: str = ""
    kind: str = "rect"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str
    kind: str = "line"


@dataclass(frozen=True)
class Path:
    d: str
    cls: str
    tip: str = ""
    kind: str = "path"


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    cls: str = "lbl"
    anchor: str = "start"
    tip: str = ""
    kind: str = "text"


@dataclass
class Chart:
    """One SVG: its size in px, an accessible title, and the marks in drawing order."""

    width: int
    height: int
    title: str
    marks: list = field(default_factory=list)


@dataclass(frozen=True)
class Scale:
    """A linear map from data values to pixels."""

    lo: float
    hi: float
    px_lo: float
    px_hi: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        return r(self.px_lo + (value - self.lo) / span * (self.px_hi - self.px_lo))


@dataclass(frozen=True)
class Band:
    """One line of a line chart: per-x mean, optional spread, a CSS class and a legend name."""

    name: str
    cls: str
    mean: Sequence[float | None]
    spread: Sequence[float | None] | None = None


def r(value: float) -> float:
    """One decimal is enough for pixels and keeps the file small."""
    return round(float(value), 1)


def short(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def tick_text(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def _y_axis(marks: list, scale: Scale, ticks: Sequence[float], left: float, right: float,
            fmt=tick_text) -> None:
    for tick in ticks:
        y = scale(tick)
        marks.append(Line(left, y, right, y, "grid"))
        marks.append(Text(left - 6, y + 4, fmt(tick), "tick", "end"))


def _legend(marks: list, items: Sequence[tuple[str, str]], x: float, y: float) -> None:
    """Swatches drawn inside the SVG, so they print in colour without background tricks."""
    for cls, name in items:
        marks.append(Rect(x, y - 9, 12, 10, cls))
        marks.append(Text(x + 16, y, short(name, 28), "legend"))
        x += 28 + 7 * len(short(name, 28))


# ---------------------------------------------------------------------------- bars


def grouped_bars(categories: Sequence[str], series: Sequence[tuple[str, str, Sequence[float], Sequence[str]]],
                 title: str, y_label: str = "", percent: bool = False, width: int = 640,
                 height: int = 240, labels: Sequence[Sequence[str]] | None = None) -> Chart | None:
    """Vertical bars, one group per category and one bar per series inside it.

    ``series`` holds (name, css class, values, tooltips); values are fractions when
    ``percent`` is set (ticks then read as percentages). ``labels``, one list a series,
    are written above the bars when the bars are wide enough to carry them.
    """
    if not categories or not series:
        return None
    top_value = max((v for _, _, values, _ in series for v in values), default=0.0)
    if top_value <= 0:
        return None
    left, right, top, bottom = 46, width - 10, 32, height - 34
    ticks = nice_ticks(0.0, top_value, 4)
    scale = Scale(0.0, ticks[-1], bottom, top)
    marks: list = []
    _y_axis(marks, scale, ticks, left, right, (lambda t: f"{t * 100:.0f}%") if percent else tick_text)
    if y_label:
        marks.append(Text(left, 12, y_label, "axis"))
    _legend(marks, [(cls, name) for name, cls, _, _ in series], left + 6.2 * len(y_label) + 24, 12)
    slot = (right - left) / len(categories)
    bar = max(min(slot * 0.8 / len(series), 28.0), 1.0)
    for i, category in enumerate(categories):
        start = left + slot * i + (slot - bar * len(series)) / 2
        for j, (_, cls, values, tips) in enumerate(series):
            y = scale(values[i])
            marks.append(Rect(r(start + j * bar), y, r(bar - 0.5), r(bottom - y), cls, tips[i]))
            if labels is not None and bar >= 16:
                marks.append(Text(r(start + (j + 0.5) * bar), r(y - 3), labels[j][i], "bar-label", "middle"))
        if slot >= 14:
            marks.append(Text(r(left + slot * (i + 0.5)), bottom + 14, short(category, max(int(slot / 6.5), 2)),
                              "tick", "middle", tip=str(category)))
    marks.append(Line(left, bottom, right, bottom, "axis-line"))
    return Chart(width, height, title, marks)


def histogram(values: Sequence[float], title: str, lo: float = 0.0, hi: float = 1.0, bins: int = 20,
              x_label: str = "", width: int = 640, height: int = 220) -> Chart | None:
    """Counts of ``values`` in equal bins over [lo, hi]; values outside are clipped in."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return None
    counts = [0] * bins
    for value in finite:
        index = int((min(max(value, lo), hi) - lo) / (hi - lo) * bins)
        counts[min(index, bins - 1)] += 1
    left, right, top, bottom = 46, width - 10, 16, height - 38
    ticks = nice_ticks(0, max(counts), 4)
    y = Scale(0, ticks[-1], bottom, top)
    x = Scale(lo, hi, left, right)
    marks: list = []
    _y_axis(marks, y, ticks, left, right)
    step = (hi - lo) / bins
    for i, count in enumerate(counts):
        a, b = lo + i * step, lo + (i + 1) * step
        marks.append(Rect(x(a) + 0.5, y(count), r(x(b) - x(a) - 1), r(bottom - y(count)), "bar",
                          f"{a:.2f}\u2013{b:.2f}: {count} rows"))
    for tick in nice_ticks(lo, hi, 5):
        if lo <= tick <= hi:
            marks.append(Text(x(tick), bottom + 14, tick_text(tick), "tick", "middle"))
    marks.append(Line(left, bottom, right, bottom, "axis-line"))
    if x_label:
        marks.append(Text(r((left + right) / 2), height - 4, x_label, "axis", "middle"))
    return Chart(width, height, title, marks)


def horizontal_bars(items: Sequence[tuple[str, float, str, str]], title: str, width: int = 640) -> Chart | None:
    """One labelled bar a row: (label, value, css class, text after the bar)."""
    if not items:
        return None
    top_value = max(value for _, value, _, _ in items)
    row, label_w, note_w = 24, 150, 150
    height = 10 + row * len(items)
    x = Scale(0, top_value or 1.0, label_w, width - note_w)
    marks: list = []
    for i, (label, value, cls, note) in enumerate(items):
        y = 6 + i * row
        marks.append(Text(label_w - 8, y + 14, short(label, 22), "lbl", "end", tip=label))
        marks.append(Rect(label_w, y + 3, max(r(x(value) - label_w), 1.5), 16, cls, note))
        marks.append(Text(r(max(x(value), label_w + 1.5) + 6), y + 15, note, "note"))
    return Chart(width, height, title, marks)


def signed_bars(items: Sequence[tuple[str, float | None, float | None, str]], title: str, y_label: str = "",
                width: int = 300, height: int = 220) -> Chart | None:
    """Vertical bars that may go below zero, each with an optional +-spread whisker.

    ``items``: (label, value, spread, css class); a missing value draws no bar.
    """
    present = [(label, v, s or 0.0, cls) for label, v, s, cls in items if v is not None]
    if not present:
        return None
    lo = min(0.0, *(v - s for _, v, s, _ in present))
    hi = max(0.0, *(v + s for _, v, s, _ in present))
    ticks = nice_ticks(lo, hi, 4)
    left, right, top, bottom = 50, width - 10, 24, height - 30
    y = Scale(ticks[0], ticks[-1], bottom, top)
    marks: list = []
    _y_axis(marks, y, ticks, left, right)
    if y_label:
        marks.append(Text(left, 12, y_label, "axis"))
    slot = (right - left) / len(items)
    bar = min(slot * 0.5, 60)
    zero = y(0.0)
    for i, (label, value, spread, cls) in enumerate(items):
        centre = left + slot * (i + 0.5)
        marks.append(Text(r(centre), bottom + 16, short(label, 16), "tick", "middle"))
        if value is None:
            marks.append(Text(r(centre), zero - 6, "n/a", "note", "middle"))
            continue
        top_px, bottom_px = sorted((y(value), zero))
        tip = f"{label}: {value:.3f}" + (f" \u00b1 {spread:.3f}" if spread else "")
        marks.append(Rect(r(centre - bar / 2), top_px, r(bar), r(max(bottom_px - top_px, 1.0)), cls, tip))
        if spread:
            marks.append(Line(r(centre), y(value - spread), r(centre), y(value + spread), "whisker"))
        label_y = y(value) - 5 if value >= 0 else y(value) + 13
        marks.append(Text(r(centre + bar / 2 + 4), r(label_y), f"{value:.3f}", "note"))
    marks.append(Line(left, zero, right, zero, "axis-line"))
    return Chart(width, height, title, marks)


# --------------------------------------------------------------------------- lines


def line_chart(bands: Sequence[Band], title: str, y_max: float | None = None,
               markers: Sequence[tuple[int, str, str]] = (), points: Sequence[tuple[int, float, str, str]] = (),
               x_label: str = "epoch", width: int = 520, height: int = 270) -> Chart | None:
    """Lines over x = 1..n with a mean +- spread band each.

    ``markers``: vertical lines (x, css class, label); ``points``: dots (x, y, css class,
    tooltip). Missing values (``None``) break a line rather than drop it to zero.
    """
    usable = [b for b in bands if any(v is not None for v in b.mean)]
    if not usable:
        return None
    n = max(len(b.mean) for b in usable)
    highs = [m + (s or 0.0) for b in usable for m, s in zip(b.mean, _spread_of(b)) if m is not None]
    top_value = max(highs) if y_max is None else y_max
    left, right, top, bottom = 48, width - 12, 30, height - 36
    ticks = nice_ticks(0.0, top_value, 4)
    y = Scale(0.0, ticks[-1], bottom, top)
    x = Scale(1, max(n, 2), left, right)
    marks: list = []
    _y_axis(marks, y, ticks, left, right)
    for tick in nice_ticks(1, max(n, 2), 6):
        if 1 <= tick <= n and float(tick).is_integer():
            marks.append(Text(x(tick), bottom + 14, tick_text(tick), "tick", "middle"))
    marks.append(Line(left, bottom, right, bottom, "axis-line"))
    marks.append(Text(r((left + right) / 2), height - 4, x_label, "axis", "middle"))
    for band in usable:
        for segment in _segments(band.mean, _spread_of(band)):
            if band.spread is not None and any(s for _, _, s in segment):
                upper = [(x(i + 1), y(m + s)) for i, m, s in segment]
                lower = [(x(i + 1), y(max(m - s, 0.0))) for i, m, s in reversed(segment)]
                marks.append(Path(_polyline(upper + lower) + "Z", f"band {band.cls}"))
            marks.append(Path(_polyline([(x(i + 1), y(m)) for i, m, _ in segment]), f"curve {band.cls}",
                              tip=band.name))
    for epoch, cls, label in markers:
        if 1 <= epoch <= n:
            marks.append(Line(x(epoch), top, x(epoch), bottom, cls))
            anchor = "end" if x(epoch) > (left + right) / 2 else "start"
            offset = -4 if anchor == "end" else 4
            marks.append(Text(r(x(epoch) + offset), top + 10, label, f"marker-text {cls}", anchor))
    for epoch, value, cls, tip in points:
        if 1 <= epoch <= n and value is not None:
            marks.append(Path(_dot(x(epoch), y(value)), cls, tip))
    _legend(marks, [(f"swatch {b.cls}", b.name) for b in usable], left, 16)
    return Chart(width, height, title, marks)


def _spread_of(band: Band) -> list[float | None]:
    spread = list(band.spread or [])
    return spread + [None] * (len(band.mean) - len(spread))


def _segments(mean: Sequence[float | None], spread: Sequence[float | None]) -> list[list[tuple[int, float, float]]]:
    """Runs of consecutive epochs with a value: (index, mean, spread or 0)."""
    segments, current = [], []
    for i, (m, s) in enumerate(zip(mean, spread)):
        if m is None or not math.isfinite(m):
            if current:
                segments.append(current)
            current = []
            continue
        current.append((i, float(m), float(s) if s is not None and math.isfinite(s) else 0.0))
    if current:
        segments.append(current)
    return segments


def _polyline(points: Sequence[tuple[float, float]]) -> str:
    if len(points) == 1:  # a lone epoch still shows as a short tick
        (px, py), = points
        points = [(px - 2, py), (px + 2, py)]
    return "M" + "L".join(f"{px:g},{py:g}" for px, py in points)


def _dot(cx: float, cy: float, radius: float = 4.0) -> str:
    """A circle as a path, so the template needs one element type fewer."""
    return (f"M{r(cx - radius):g},{cy:g}a{radius:g},{radius:g} 0 1,0 {2 * radius:g},0"
            f"a{radius:g},{radius:g} 0 1,0 {-2 * radius:g},0Z")


# ------------------------------------------------------------------ learning curve


def learning_curve(points: Sequence[tuple[float, float | None, float | None]], title: str,
                   predicted: tuple[float, float] | None = None, width: int = 520,
                   height: int = 270) -> Chart | None:
    """Loss against training rows on a log scale: (rows, mean, spread) points with whiskers.

    ``predicted`` (rows, loss) is drawn as a hollow dot joined to the last point by a dashed
    line: the expected loss with more rows.
    """
    shown = [(float(n), float(m), float(s or 0.0)) for n, m, s in points
             if n and n > 0 and m is not None and math.isfinite(m)]
    if len(shown) < 2:
        return None
    if predicted is not None and not (predicted[0] > 0 and all(math.isfinite(v) for v in predicted)):
        predicted = None
    first, last = shown[0][0], shown[-1][0]
    x_hi = max(last, predicted[0]) if predicted else last
    highs = [m + s for _, m, s in shown] + ([predicted[1]] if predicted else [])
    left, right, top, bottom = 48, width - 16, 30, height - 40
    ticks = nice_ticks(0.0, max(highs), 4)
    y = Scale(0.0, ticks[-1], bottom, top)
    x = Scale(math.log(first / 1.15), math.log(x_hi * 1.15), left, right)
    marks: list = []
    _y_axis(marks, y, ticks, left, right)
    marks.append(Line(left, bottom, right, bottom, "axis-line"))
    for n, _, _ in shown:
        marks.append(Text(x(math.log(n)), bottom + 14, tick_text(round(n)), "tick", "middle"))
    marks.append(Text(r((left + right) / 2), height - 4, "train rows (log scale)", "axis", "middle"))
    if predicted:
        px, py = x(math.log(predicted[0])), y(max(predicted[1], 0.0))
        marks.append(Path(_polyline([(x(math.log(last)), y(shown[-1][1])), (px, py)]), "fit"))
        marks.append(Text(px, bottom + 14, tick_text(round(predicted[0])), "tick", "middle"))
        marks.append(Path(_dot(px, py), "predicted-dot", f"{round(predicted[0])} rows: predicted {predicted[1]:.3f}"))
        # The label sits on the side of the dot the dashed line does not come from, so the line never crosses it.
        from_above = y(shown[-1][1]) < py
        label_y = py + 16 if from_above and py + 16 < bottom - 2 else py - 9
        marks.append(Text(r(px - 8), r(label_y), f"predicted {predicted[1]:.3f}", "note", "end"))
    marks.append(Path(_polyline([(x(math.log(n)), y(m)) for n, m, _ in shown]), "curve s-val", "best val loss"))
    for n, m, s in shown:
        px = x(math.log(n))
        if s:
            marks.append(Line(px, y(max(m - s, 0.0)), px, y(m + s), "whisker"))
        marks.append(Path(_dot(px, y(m)), "best-dot", f"{round(n)} rows: {m:.3f}" + (f" \u00b1 {s:.3f}" if s else "")))
    legend = [("swatch s-val", "best val loss (mean \u00b1 std)")]
    if predicted:
        legend.append(("swatch s-ref", "predicted at twice the rows"))
    _legend(marks, legend, left, 16)
    return Chart(width, height, title, marks)
