"""cleanlab's label-issue rule on Spark: aggregates to the driver, rows flagged on the executors.

:func:`cleanlab.filter.find_label_issues` with the filter ``checks.label_noise.FILTER``
(``both``: ``prune_by_noise_rate`` and ``prune_by_class`` agree) needs four things from the
rows, each small whatever their number:

1. the per-class thresholds: the mean probability of each class over the rows labelled with
   it (one grouped average);
2. the confident joint: how many rows of given class ``k`` are confidently of class ``j``
   (one grouped count), which cleanlab's own arithmetic then calibrates to the class counts
   and turns into how many rows to prune per (given, true) pair;
3. for given class ``k`` and other class ``j``, the ``n[j, k]`` rows labelled ``k`` with the
   largest margin ``p[j] - p[k]`` (a window per class ``j``), minus the rows whose given
   label is the most probable one (cleanlab's last step);
4. of those, only the rows among the ``count[k] - n[k, k]`` of class ``k`` with the lowest
   probability of ``k`` (``prune_by_class``, a window per class ``k``).

Steps 1 and 2 bring a classes x classes table to the driver; step 3 and the evidence of the
flagged rows run on the executors and only the flagged rows come back. Ties are broken by
row number where numpy's sort would break them arbitrarily.
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from audit.spark.rows import ROW

CODE, PROBS = "__code", "__probs"


def first_argmax(values: Column) -> Column:
    """The position of the first largest element, counted from 0, as numpy's ``argmax``."""
    return (F.array_position(values, F.array_max(values)) - 1).cast("int")


def class_probability(position: Column | int) -> Column:
    """The probability of the class at ``position`` (0-based) of each row."""
    index = position if isinstance(position, Column) else F.lit(position)
    return F.element_at(F.col(PROBS), index + 1)


def confident_thresholds(scored: DataFrame, n_classes: int) -> np.ndarray:
    """Per class, the mean probability of the class over its rows (cleanlab's thresholds)."""
    from cleanlab.internal.constants import CONFIDENT_THRESHOLDS_LOWER_BOUND

    means = scored.groupBy(CODE).agg(F.avg(class_probability(F.col(CODE))).alias("mean")).collect()
    thresholds = np.full(n_classes, 2.0)  # cleanlab's value for a class with no rows
    for row in means:
        thresholds[row[CODE]] = row["mean"]
    return np.clip(thresholds, CONFIDENT_THRESHOLDS_LOWER_BOUND, None)


def confident_joint(scored: DataFrame, thresholds: np.ndarray, class_counts: np.ndarray) -> np.ndarray:
    """The calibrated confident joint (given class x true class), as cleanlab computes it."""
    from cleanlab.internal.constants import FLOATING_POINT_COMPARISON, TINY_VALUE
    from cleanlab.internal.util import round_preserving_row_totals

    lower = F.array(*[F.lit(float(t)) for t in thresholds - FLOATING_POINT_COMPARISON])
    confident = F.transform(F.col(PROBS), lambda p, i: p >= lower[i])
    n_confident = F.size(F.filter(confident, lambda c: c))
    guess = F.when(n_confident > 1, first_argmax(F.col(PROBS))).otherwise(F.array_position(confident, True) - 1)
    counts = (scored.where(n_confident > 0).groupBy(CODE, guess.cast("int").alias("guess")).count().collect())
    n_classes = len(thresholds)
    joint = np.zeros((n_classes, n_classes), dtype=np.int64)
    for row in counts:
        joint[row[CODE], row["guess"]] = row["count"]
    np.fill_diagonal(joint, joint.diagonal().clip(min=1))
    # cleanlab.count.calibrate_confident_joint, from the class counts instead of every label.
    calibrated = (joint.T / np.clip(joint.sum(axis=1), TINY_VALUE, None) * class_counts).T
    calibrated = calibrated / np.clip(calibrated.sum(), TINY_VALUE, None) * class_counts.sum()
    return round_preserving_row_totals(calibrated)


def prune_counts(joint: np.ndarray) -> np.ndarray:
    """``[j, k]``: how many rows labelled ``k`` to flag as being of class ``j`` (one per class kept)."""
    from cleanlab.filter import _keep_at_least_n_per_class  # the same arithmetic as find_label_issues

    return _keep_at_least_n_per_class(prune_count_matrix=joint.T, n=1, frac_noise=1.0)


def flagged_rows(scored: DataFrame, prune: np.ndarray, class_counts: np.ndarray) -> DataFrame:
    """ROW of every flagged row: the top margins per (true, given) pair, less the rows the model agrees with."""
    from cleanlab.internal.constants import FLOATING_POINT_COMPARISON

    n_classes = len(class_counts)
    picks = []
    for j in range(n_classes):
        takes = {k: int(prune[j, k]) for k in range(n_classes)
                 if k != j and prune[j, k] > 0 and class_counts[k] > 1}  # cleanlab: a 1-row class keeps its row
        if not takes:
            continue
        take = F.create_map(*[F.lit(x) for k, n in takes.items() for x in (k, n)])
        order = Window.partitionBy(CODE).orderBy(F.desc(class_probability(j) - class_probability(F.col(CODE))), ROW)
        ranked = scored.where(F.col(CODE).isin(list(takes))).withColumn("__rank", F.row_number().over(order))
        # The literal bound lets Spark keep only the top rows of each class before the shuffle.
        picks.append(ranked.where((F.col("__rank") <= max(takes.values())) & (F.col("__rank") <= take[F.col(CODE)]))
                     .select(ROW))
    if not picks:
        return scored.select(ROW).limit(0)
    chosen = picks[0]
    for pick in picks[1:]:
        chosen = chosen.union(pick)
    # cleanlab's _reduce_issues: a row whose given label, nudged up, is the most probable keeps it.
    nudged = F.transform(F.col(PROBS), lambda p, i: F.when(i == F.col(CODE), p + FLOATING_POINT_COMPARISON)
                         .otherwise(p))
    agreed = scored.where(first_argmax(nudged) == F.col(CODE)).select(ROW)
    return chosen.distinct().join(agreed, on=ROW, how="left_anti")


def lowest_per_class(scored: DataFrame, prune: np.ndarray, class_counts: np.ndarray) -> DataFrame:
    """ROW of the rows ``prune_by_class`` flags: per given class ``k`` of more than one row, the
    ``class_counts[k] - prune[k, k]`` rows with the lowest probability of ``k``."""
    takes = {k: int(class_counts[k] - prune[k, k]) for k in range(len(class_counts))
             if class_counts[k] > 1 and class_counts[k] - prune[k, k] >= 1}
    if not takes:
        return scored.select(ROW).limit(0)
    take = F.create_map(*[F.lit(x) for k, n in takes.items() for x in (k, n)])
    order = Window.partitionBy(CODE).orderBy(class_probability(F.col(CODE)), ROW)
    ranked = scored.where(F.col(CODE).isin(list(takes))).withColumn("__rank", F.row_number().over(order))
    return ranked.where((F.col("__rank") <= max(takes.values())) & (F.col("__rank") <= take[F.col(CODE)])).select(ROW)


def suggested_class(given: Column) -> Column:
    """The most probable class other than the given one (``checks.label_noise.suggested_classes``)."""
    others = F.transform(F.col(PROBS), lambda p, i: F.when(i == given, F.lit(float("-inf"))).otherwise(p))
    return first_argmax(others)
