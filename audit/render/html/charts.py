"""The overview charts: flagged rows by finding code, class shares per split, label quality.

Each chart is plain geometry from :mod:`audit.render.svg`; each absent one says why it is
absent instead of leaving a hole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from audit.render import svg
from audit.render.html.format import is_number, plural, text

if TYPE_CHECKING:  # only read for its attributes; the report imports this module
    from audit.report import AuditReport

MAX_CLASSES_CHARTED = 30


def charts(report: AuditReport) -> list[dict[str, Any]]:
    """Overview charts in reading order; each absent one says why."""
    figures = [
        ("Flagged rows by finding code", _codes_chart(report),
         "Bar length: flagged rows (or columns); colour: the worst severity of that code.",
         "No findings to chart."),
        ("Classes per split", _classes_chart(report),
         "Share of each split's rows per class, largest train class first; the numbers are row counts.",
         "No class counts in this audit (the class_balance check did not run)."),
        ("Label quality of flagged rows", _quality_chart(report),
         "Rows flagged as likely mislabelled, by label quality (0 = surely wrong, 1 = surely right).",
         "No label quality scores in this audit (no label_issues rows)."),
    ]
    return [{"title": title, "chart": chart, "caption": caption, "absent": absent}
            for title, chart, caption, absent in figures]


def _codes_chart(report: AuditReport) -> svg.Chart | None:
    codes: dict[str, dict[str, Any]] = {}
    for _, finding in report.all_findings:
        entry = codes.setdefault(finding.code, {"rows": 0, "columns": 0, "findings": 0, "worst": finding.severity})
        entry["rows"] += len(finding.rows)
        entry["columns"] += len(finding.columns)
        entry["findings"] += 1
        entry["worst"] = max(entry["worst"], finding.severity)
    items = []
    for code, entry in sorted(codes.items(), key=lambda kv: (-kv[1]["worst"], -kv[1]["rows"], kv[0])):
        value = entry["rows"] or entry["columns"]
        unit = "row" if entry["rows"] else ("column" if entry["columns"] else "")
        note = plural(value, unit) if unit else "metrics only"
        note += f" \u00b7 {plural(entry['findings'], 'finding')}"
        items.append((text(code, 60), value, f"sev-{entry['worst']}", note))
    return svg.horizontal_bars(items, "Flagged rows by finding code")


def _class_counts(report: AuditReport) -> dict[str, Counter[str]]:
    """Counts per split from class_imbalance findings; from the labels for a split without one."""
    counts: dict[str, Counter[str]] = {}
    for _, finding in report.all_findings:
        if finding.code == "class_imbalance" and isinstance(finding.metrics.get("class_counts"), Mapping):
            split = str(finding.metrics.get("split") or "train")
            counts[split] = Counter({str(k): int(v) for k, v in finding.metrics["class_counts"].items()})
    ran = any(r.check == "class_balance" and r.status == "ran" for r in report.results)
    if ran or counts:
        for split in report.data.splits:
            if split not in counts:
                values = report.data.labels(split).astype(str).value_counts()
                counts[split] = Counter({str(k): int(v) for k, v in values.items()})
    return counts


def _classes_chart(report: AuditReport) -> svg.Chart | None:
    counts = _class_counts(report)
    if not counts:
        return None
    reference = counts["train"] if "train" in counts and counts["train"] else next(iter(counts.values()))
    classes = sorted({c for split in counts.values() for c in split}, key=lambda c: (-reference[c], c))
    shown = classes[:MAX_CLASSES_CHARTED]
    series, labels = [], []
    for split, cls in (("train", "s-train"), ("val", "s-val")):
        if split not in counts:
            continue
        total = sum(counts[split].values()) or 1
        values = [counts[split][c] / total for c in shown]
        tips = [f"{split}, class {text(c, 60)}: {counts[split][c]} rows ({v:.1%})" for c, v in zip(shown, values)]
        series.append((split, cls, values, tips))
        labels.append([str(counts[split][c]) for c in shown])
    title = "Class shares per split"
    if len(classes) > len(shown):
        title += f" (largest {len(shown)} of {len(classes)} classes)"
    return svg.grouped_bars([text(c, 60) for c in shown], series, title, "share of split (bar labels: rows)",
                            percent=True, labels=labels)


def _quality_chart(report: AuditReport) -> svg.Chart | None:
    scores = [row.get("label_quality") for _, f in report.all_findings if f.code == "label_issues" for row in f.rows]
    scores = [float(s) for s in scores if is_number(s)]
    return svg.histogram(scores, "Label quality of flagged rows", x_label="label quality")
