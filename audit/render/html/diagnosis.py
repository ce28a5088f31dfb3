"""The diagnosis section: one row a cause with its experiment, effect, verdict and remedy, and the
learning curve that says whether more rows would help."""

from __future__ import annotations

from typing import Any

from audit.render import svg
from audit.render.html.format import plural, slug, text
from audit.training.diagnose.results import Diagnosis, LearningCurve
from audit.training.results import Skipped

DIAGNOSIS_VERDICTS = ("likely", "unlikely", "inconclusive")


def diagnosis_sentence(diagnosis: Diagnosis | Skipped | None) -> str:
    """The likely causes in one line for the header, or nothing."""
    if diagnosis is None or not diagnosis.ran:
        return ""
    likely = [text(cause.title, 60) for cause in diagnosis.causes if cause.verdict == "likely"]
    if not likely:
        return "Diagnosis: no cause came out likely; see the table below."
    return f"Diagnosis, likely causes: {', '.join(likely)} (remedies below)."


def diagnosis(result: Diagnosis | Skipped | None) -> dict[str, Any] | None:
    """The causes table, the learning-curve chart and what the budget allowed."""
    if result is None:
        return None
    if not result.ran:
        return {"reason": text(result.reason or "no reason given", 500), "rows": [], "chart": None,
                "intro": "", "cuts": "", "notes": []}
    rows = []
    for cause in result.causes:
        # A remedy's code is shown where the remedy may apply; the JSON keeps every snippet.
        shown = cause.verdict in ("likely", "inconclusive") and cause.snippet is not None
        rows.append({
            "cause": slug(cause.cause or "cause"),
            "title": text(cause.title, 80),
            "experiment": text(cause.experiment, 600),
            "effect": text(cause.effect, 2000),
            "verdict": cause.verdict if cause.verdict in DIAGNOSIS_VERDICTS else "other",
            "verdict_text": text(cause.verdict or "n/a", 20),
            "reason": text(cause.reason, 1200),
            "remedy": text(cause.remedy, 600),
            "snippet": text(cause.snippet if shown else "", 4000),
        })
    budget = result.budget
    parts = [f"the {text(result.network.model, 20)} network"]
    parts += [plural(int(n), label) for n, label in ((budget.seeds, "seed"), (budget.epochs, "epoch"),
                                                     (budget.train_rows, "train row"), (budget.val_rows, "val row"),
                                                     (budget.variants, "variant"))]
    parts.append(f"{budget.training_s:.0f} s of training")
    intro = ("Each cause tested the way an engineer would: small seeded experiments with the baseline network "
             "on the fixed data, side by side in one model (" + ", ".join(parts) + "). Effects are mean ± std "
             "over seeds; a cause is likely only when its effect is large enough and beyond the seed spread. "
             "The JSON report holds every experiment's numbers and curves.")
    notes = [text(note, 300) for note in result.notes]
    if budget.stopped_by_deadline:
        notes.append("The time budget stopped training early: the curves end before the planned epochs.")
    chart, caption = _learning_curve_chart(result.learning_curve)
    return {"reason": "", "rows": rows, "chart": chart, "caption": caption, "intro": intro,
            "cuts": "; ".join(text(cut, 200) for cut in budget.cuts), "notes": notes}


def _learning_curve_chart(curve: LearningCurve | None) -> tuple[svg.Chart | None, str]:
    if curve is None:
        return None, ""
    points = [(float(n), loss.mean, loss.std) for n, loss in zip(curve.train_rows, curve.best_val_loss)]
    predicted = None
    if curve.predicted_loss is not None:
        predicted = (float(curve.predicted_rows), float(curve.predicted_loss))
    chart = svg.learning_curve(points, "Learning curve: best val loss against train rows", predicted=predicted)
    gain = curve.doubling_gain
    caption = ("The base network trained on 25, 50, 75 and 100% of the fixed train rows, scored on the same "
               "validation rows; dots are the mean best val loss, whiskers one std over seeds; the hollow dot is "
               "the loss predicted at twice the rows from the gains of the measured doublings")
    if gain.mean is not None:
        caption += f" (a gain of {gain.mean:.3f}"
        caption += f" \u00b1 {gain.std:.3f})." if gain.std else ")."
    else:
        caption += "."
    return chart, caption
