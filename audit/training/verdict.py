"""The baseline comparison and its verdict: is the data or the model to blame?

Every model, raw or fixed, is scored at every epoch on the clean *reference* set (fixed val
minus val label issues), so raw and fixed compare like for like: raw val loss and fixed val
loss do not, since the fixes changed the validation rows themselves. The log-loss of
predicting the train class shares (a prior DummyClassifier), on val and on the reference,
is the floor: a network not clearly below it has learnt nothing.

Verdict thresholds
------------------
Checked in this order; the first that holds decides the verdict's code:

1. ``leakage``: the raw model's val loss at its best epoch is at least
   ``LEAK_MIN_INFLATION`` (15 %) below the same model's reference loss at that epoch, by
   more than ``SPREAD_FACTOR`` (2) standard deviations of the per-seed difference.
   Validation rows copied from train are easy, so they pull val loss down; label noise in
   val and hard rows left out of the reference push the other way, so noise cannot fire it.
2. ``data``: the fixes lowered the mean reference loss at the best epoch by at least
   ``DATA_MIN_DROP`` (10 %) and by more than ``SPREAD_FACTOR`` standard deviations of the
   per-seed drop.
3. ``fixes_hurt``: the fixes raised the mean reference loss by at least ``DATA_MIN_DROP``
   and by more than ``SPREAD_FACTOR`` standard deviations of the per-seed change: the rows
   they drop or relabel were probably not errors (a small clean set whose weak out-of-fold
   model flags good rows), and the verdict says so.
4. ``model``: fixing changed little, yet the fixed run still overfits on clean rows: its
   loss on the reference set climbs above its lowest by at least max(``MODEL_MIN_CLIMB``
   0.05 nats, 25 % of its reference loss), or ends at least max(``MODEL_MIN_GAP`` 0.25
   nats, 25 % of it) above the train loss. Without val label issues the reference is the
   fixed val split, so this is the val loss's climb and gap.
5. ``inconclusive`` otherwise.

Whatever the verdict, when the fixed val keeps rows flagged as label issues and its val
loss climbs clearly while the reference loss does not, the verdict adds a caution: the
model trained without rows like them predicts them ever more confidently against their
labels, a loss of calibration if those rows are hard rather than mislabelled.

Measured with 3 seeds and 40 epochs (the cases tests/training/test_baseline.py builds),
which put the thresholds between the cases that must fire them and those that must not:

* scikit-learn digits, 20 % of train labels flipped, fixed = flipped rows dropped. Default
  network: reference loss 0.408 -> 0.117 (-71 %, std of the drop 0.016); train loss stays
  at 0.86, above val, so the noise never shows as overfitting. Wide network: 0.334 ->
  0.115 (-65 %, std 0.039); raw stalls at epoch ~5 and ends with gap 0.38, fixed stalls
  at ~12 with gap 0.13.
* digits, 30 % of val rows exact copies of train rows: raw val loss 0.088 against 0.117 on
  the reference, 25 % inflation (wide: 30 %), seed std 0.004; with a clean val split it is
  0 % by construction, and val label noise can only push it below 0.
* 150 clean rows, 5 informative + 200 noise features, nothing to fix: val loss lowest at
  epoch ~11 (0.755, never below the class-prior floor 0.718) and climbing 0.09 by epoch
  40, while train loss falls to 0.02: end gap 0.82.
* clean digits, nothing to fix: climb 8 % / 0.009 (default), 6 % / 0.005 (wide), end gap
  0.09 in both: inconclusive, as it should be.
"""

from __future__ import annotations

from audit.training.numbers import RawFixed, Spread, difference, finite, fmt, relative
from audit.training.results import Comparison, KeptOut, RunSummary, Verdict

LEAK_MIN_INFLATION = 0.15
DATA_MIN_DROP = 0.10
SPREAD_FACTOR = 2.0
MODEL_MIN_RELATIVE = 0.25
MODEL_MIN_CLIMB = 0.05
MODEL_MIN_GAP = 0.25

REMEDIES = (
    "reduce capacity, add dropout or L2, use a learning-rate schedule, "
    "augment or collect more data"
)
COMPARED_MEANS = ("reference_loss_at_best", "end_gap", "best_val_loss", "climb_after_stall", "stall_epoch",
                  "reference_climb", "reference_end_gap", "reference_loss_end")


def compare(raw: RunSummary, fixed: RunSummary) -> Comparison:
    """The numbers the verdict is made of, each with its seed spread."""
    mean = {name: RawFixed(raw.summary[name].mean, fixed.summary[name].mean) for name in COMPARED_MEANS}
    drop = _paired(raw, fixed, "reference_loss_at_best")
    inflation = val_inflation(raw)
    return Comparison(
        reference_loss=mean["reference_loss_at_best"],
        end_gap=mean["end_gap"],
        best_val_loss=mean["best_val_loss"],
        climb_after_stall=mean["climb_after_stall"],
        stall_epoch=mean["stall_epoch"],
        reference_climb=mean["reference_climb"],
        reference_end_gap=mean["reference_end_gap"],
        reference_loss_end=mean["reference_loss_end"],
        val_rows_kept_out_of_reference=fixed.val_rows - fixed.reference_rows,
        kept_out_rows_loss=_kept_out_rows_loss(fixed),
        prior_val_loss=RawFixed(raw.dummy.val_loss, fixed.dummy.val_loss),
        fixes_changed_rows=not fixed.reused_raw,
        reference_loss_drop=drop,
        reference_loss_drop_relative=relative(drop.mean, mean["reference_loss_at_best"].raw),
        reference_loss_drop_beyond_spread=_beyond_spread(drop),
        end_gap_drop=_paired(raw, fixed, "end_gap"),
        raw_val_inflation=inflation,
        raw_val_inflation_relative=relative(inflation.mean, mean["reference_loss_at_best"].raw),
        raw_val_inflation_beyond_spread=_beyond_spread(inflation),
        thresholds={
            "leak_min_inflation": LEAK_MIN_INFLATION,
            "data_min_drop": DATA_MIN_DROP,
            "spread_factor": SPREAD_FACTOR,
            "model_min_relative": MODEL_MIN_RELATIVE,
            "model_min_climb": MODEL_MIN_CLIMB,
            "model_min_gap": MODEL_MIN_GAP,
        },
    )


def val_inflation(run: RunSummary) -> Spread:
    """How far each seed's best val loss lies below its reference loss at that epoch."""
    return Spread.of([difference(s["reference_loss_at_best"], s["best_val_loss"]) for s in run.per_seed])


def verdict(c: Comparison) -> Verdict:
    """The verdict's code and one or two plain sentences with the numbers."""
    ref, gap = c.reference_loss, c.end_gap
    if c.fixes_changed_rows:
        change = (
            f"the fixes took the loss on the clean reference set from {fmt(ref.raw)} to {fmt(ref.fixed)} "
            f"and the end gap (val minus train loss) from {fmt(gap.raw)} to {fmt(gap.fixed)}"
        )
    else:
        change = f"the fixes changed no row (reference loss {fmt(ref.raw)})"
    inflation = c.raw_val_inflation_relative
    if inflation is not None and inflation >= LEAK_MIN_INFLATION and c.raw_val_inflation_beyond_spread:
        return Verdict("leakage", (
            f"Leakage: the raw model's val loss ({fmt(c.best_val_loss.raw)}) is {inflation:.0%} lower than "
            f"its loss on the clean reference set ({fmt(ref.raw)}), so rows it trained on inflate the raw "
            f"validation score; judge the model on the fixed validation split ({change})."
        ))
    drop = c.reference_loss_drop_relative
    if drop is not None and drop >= DATA_MIN_DROP and c.reference_loss_drop_beyond_spread:
        text = (
            f"The data is to blame: the fixes lowered the loss on the clean reference set by {drop:.0%}, "
            f"from {fmt(ref.raw)} to {fmt(ref.fixed)}, beyond the seed spread "
            f"(std {fmt(c.reference_loss_drop.std)}); the end gap (val minus train loss) went from "
            f"{fmt(gap.raw)} to {fmt(gap.fixed)}."
        )
        if _fixed_overfits(c):
            text += f" A gap remains on the fixed data ({_overfit_numbers(c)}): also {REMEDIES}."
        return Verdict("data", text + _divergence_note(c))
    worse = c.reference_loss_drop
    if made_worse(drop, worse):
        return Verdict("fixes_hurt", (
            f"The fixes made the model worse: they raised the loss on the clean reference set by {-drop:.0%}, "
            f"from {fmt(ref.raw)} to {fmt(ref.fixed)}, beyond the seed spread (std {fmt(worse.std)}); the rows "
            f"they drop or relabel are probably not errors (an --attribute run says which fix did it), so review "
            f"those findings before `audit fix` applies them."
        ))
    if _fixed_overfits(c):
        return Verdict("model", (
            f"The model is to blame: {change}, yet on clean data it still overfits ({_overfit_numbers(c)}); "
            f"{REMEDIES}."
        ) + _divergence_note(c))
    if not c.fixes_changed_rows:
        return Verdict("inconclusive", (
            f"Nothing to blame: the checks found no row to fix (reference loss {fmt(ref.raw)}) and the model "
            f"does not clearly overfit ({_overfit_numbers(c)})."
        ))
    return Verdict("inconclusive", (
        f"Neither is clearly to blame: {change}, not a clear improvement, and the fixed run does not "
        f"clearly overfit ({_overfit_numbers(c)})."
    ) + _divergence_note(c))


def made_worse(relative_drop: float | None, drop: Spread) -> bool:
    """Whether fixes raised the clean reference loss by at least ``DATA_MIN_DROP`` of it and by more
    than ``SPREAD_FACTOR`` standard deviations of the per-seed change (``drop`` is raw minus fixed)."""
    return (relative_drop is not None and relative_drop <= -DATA_MIN_DROP and drop.mean is not None
            and -drop.mean > SPREAD_FACTOR * (drop.std or 0.0))


def _paired(raw: RunSummary, fixed: RunSummary, key: str) -> Spread:
    """Per-seed differences raw minus fixed, summarised; seeds match by position."""
    pairs = zip(raw.per_seed, fixed.per_seed, strict=True)
    return Spread.of([difference(r[key], f[key]) for r, f in pairs])


def _beyond_spread(diff: Spread) -> bool:
    """A mean difference larger than SPREAD_FACTOR standard deviations of itself over seeds."""
    return diff.mean is not None and diff.mean > SPREAD_FACTOR * (diff.std or 0.0)


def _kept_out_rows_loss(run: RunSummary) -> KeptOut:
    """A run's mean loss on the val rows left out of the reference (val label issues), at its
    best epoch and at the end, derived from its val and reference losses (val is the
    reference plus those rows; the loss is a mean over rows). None without such rows."""
    n_val, n_ref = run.val_rows, run.reference_rows
    s = run.summary
    if n_val <= n_ref:
        return KeptOut()

    def rest(val: float | None, ref: float | None) -> float | None:
        return None if val is None or ref is None else finite((val * n_val - ref * n_ref) / (n_val - n_ref))

    return KeptOut(rest(s["best_val_loss"].mean, s["reference_loss_at_best"].mean),
                   rest(s["val_loss_end"].mean, s["reference_loss_end"].mean))


def _fixed_overfits(c: Comparison) -> bool:
    """Whether the fixed run's loss on the clean reference climbs, or its gap stays open, by a clear margin.

    Judged on the reference, not the fixed val: val keeps the rows flagged as label issues,
    and a model trained without their like predicts them ever more confidently against
    their labels, which is not overfitting (see :func:`_flagged_val_rows_diverge`). Without
    val label issues the two are the same rows. Each margin is absolute and relative to the
    reference loss, so that neither a tiny loss (where 25 % is noise) nor a large one
    (where 0.05 nats is noise) misleads.
    """
    best = c.reference_loss.fixed
    if best is None:
        return False
    climb, gap = c.reference_climb.fixed, c.reference_end_gap.fixed
    margin = MODEL_MIN_RELATIVE * best
    return (climb is not None and climb >= max(MODEL_MIN_CLIMB, margin)) or (
        gap is not None and gap >= max(MODEL_MIN_GAP, margin)
    )


def _flagged_val_rows_diverge(c: Comparison) -> bool:
    """Whether the fixed run's loss on the val rows flagged as label issues climbs clearly
    after its best epoch while its loss on the clean reference does not.

    That is the model, trained without rows like them, predicting them ever more
    confidently against their labels: right if those labels are wrong, a loss of
    calibration if the rows are merely hard, which is what label-issue detection flags in
    numbers when classes overlap.
    """
    kept_out, climb = c.kept_out_rows_loss, c.reference_climb.fixed
    if kept_out.at_best is None or kept_out.end is None or climb is None:
        return False
    rise = kept_out.end - kept_out.at_best
    return rise >= max(MODEL_MIN_CLIMB, MODEL_MIN_RELATIVE * kept_out.at_best) and climb < MODEL_MIN_CLIMB


def _divergence_note(c: Comparison) -> str:
    if not _flagged_val_rows_diverge(c):
        return ""
    kept_out = c.kept_out_rows_loss
    return (
        f" The fixed val split keeps the {c.val_rows_kept_out_of_reference} val rows flagged as label issues; "
        f"the fixed model's loss on them rises from about {fmt(kept_out.at_best)} at its best epoch to "
        f"{fmt(kept_out.end)} at the end while its loss on the clean reference does not: trained without rows "
        f"like them, it predicts them ever more confidently against their labels. If those labels are right "
        f"(hard, ambiguous rows rather than errors), dropping their like from train costs calibration; review a "
        f"sample of the flagged rows before trusting the label fixes."
    )


def _overfit_numbers(c: Comparison) -> str:
    """How the fixed run's loss on clean rows behaves, in words: where it stalls, how far it climbs."""
    if c.val_rows_kept_out_of_reference:
        loss = c.reference_loss_end.fixed
        text = (
            f"on the clean reference set its loss ends at {fmt(loss)}, {fmt(c.reference_climb.fixed)} above "
            f"its lowest, {fmt(c.reference_end_gap.fixed)} above the train loss"
        )
    else:
        stall, loss = c.stall_epoch.fixed, c.best_val_loss.fixed
        where = f"val loss stalls at epoch {stall:.0f}" if stall is not None else "val loss still improving"
        text = (
            f"{where}, climbs {fmt(c.climb_after_stall.fixed)} above its best {fmt(loss)} by the end, "
            f"end gap {fmt(c.end_gap.fixed)}"
        )
    prior = c.prior_val_loss.fixed
    if loss is not None and prior is not None and loss >= prior:
        text += f"; it never beats predicting the class priors ({fmt(prior)})"
    return text
