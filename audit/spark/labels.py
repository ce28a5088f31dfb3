"""Label issues on Spark: fold models fitted on the driver, probabilities for every row on the executors.

:mod:`checks.oof` fits K fold models by stratified cross-validation and judges each row by a
model that never saw it; :mod:`checks.label_noise` hands those probabilities to cleanlab.
Here the same steps are split where they fit:

- the folds run on the driver over a seeded stratified sample of train that fits it
  (``max_fit_rows`` of the check; every train row when train is smaller, as on one machine),
  collected from Spark with the encoded features of :mod:`audit.spark.encoding`;
- the fitted fold models are broadcast, and a ``mapInPandas`` job applies them to every row of
  each split on the executors (the average of the fold models; for the sampled rows, the
  driver's out-of-fold predictions replace it);
- the probabilities stay there, cached; cleanlab's rule runs on them as Spark aggregates and
  windows (:mod:`audit.spark.confident`), and only the flagged rows come back, to the
  check's own builder (:meth:`~checks.label_noise.LabelIssues.issues_finding`), so message,
  metrics, severity and evidence are the check's. The driver holds the fitting sample and a
  classes x classes table, never a row per row of the data.

The finding's metrics say how many rows the models were fitted on and where the
probabilities came from (``notes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.confident import (
    CODE,
    PROBS,
    class_probability,
    confident_joint,
    confident_thresholds,
    first_argmax,
    flagged_rows,
    lowest_per_class,
    prune_counts,
    suggested_class,
)
from audit.spark.exact import label_counts
from audit.spark.encoding import FEATURES, encoded, spark_encoding
from audit.spark.kinds import quoted
from audit.spark.load import SparkAuditData
from audit.spark.rows import ROW
from audit.spark.scoring_budget import for_executors
from audit.spark.session import pandas_version_quiet
from audit.spark.text import declared_text, labels_not_checked_reason
from checks.base import Finding
from checks.label_evidence import FlaggedFacts, measured
from checks.label_noise import LabelIssues, SplitIssues
from checks.oof import (
    AUTO,
    SELECTION_ROWS,
    OutOfFold,
    choose_model,
    content_order,
    encode_labels,
    expand,
    fit_model,
    fold_count,
    fold_sources,
    label_classes,
    sampled_note,
    stratified_folds,
    stratified_sample,
)


def fit_sample(data: SparkAuditData, classes: np.ndarray, n_folds: int, max_fit_rows: int) -> pd.DataFrame:
    """ROW, label and features of the train rows the models are fitted on, in content order.

    Above ``max_fit_rows`` rows: from each class the same share (at least ``n_folds`` rows,
    or all of a smaller class), chosen by a seeded hash of the row number, so the sample does
    not depend on how Spark partitioned the data.
    """
    frame = encoded(data, "train").select(ROW, F.col("__label").alias("label"), FEATURES)
    n_train = data.n_rows["train"]
    if n_train > max_fit_rows:
        share = max_fit_rows / n_train
        takes = {label: min(n, max(n_folds, int(np.floor(n * share)))) for label, n in label_counts(data)["train"]}
        take = F.create_map(*[x for label, n in takes.items() for x in (F.lit(label), F.lit(n))])
        order = Window.partitionBy("label").orderBy(F.xxhash64(F.col(ROW), F.lit(int(data.random_state))), ROW)
        frame = frame.withColumn("__n", F.row_number().over(order)).filter(F.col("__n") <= take[F.col("label")])
    # Folds see train in the order of its content, as on one machine and by the same rule
    # (checks.oof.content_order over the encoded features), so both engines cut the same folds
    # and re-sorting a file flags the same rows.
    records = frame.select(ROW, "label", FEATURES).orderBy(ROW).collect()
    sample = pd.DataFrame([tuple(r) for r in records], columns=[ROW, "label", FEATURES])
    x = np.array(sample[FEATURES].tolist(), dtype=np.float32).reshape(len(sample), -1)
    order = content_order(x, encode_labels(sample["label"], classes))
    return sample.iloc[order].reset_index(drop=True)


@dataclass(frozen=True)
class SparkOutOfFold:
    """Where the probabilities came from, and every row's probabilities, kept on the executors.

    ``oof`` carries the classes and the facts the finding states (its per-row arrays are
    empty); ``scored[split]`` holds ROW, the class index of the row's label
    (:data:`~audit.spark.confident.CODE`, -1 for a label train never has) and the class
    probabilities (:data:`~audit.spark.confident.PROBS`), cached.
    """

    oof: OutOfFold
    scored: dict[str, DataFrame]

    def unpersist(self) -> None:
        for frame in self.scored.values():
            frame.unpersist()


def spark_out_of_fold(data: SparkAuditData, model: str, n_folds: int, max_fit_rows: int) -> SparkOutOfFold:
    """Every row's probabilities for these settings, computed on first use and shared."""
    key = f"spark_out_of_fold:{model}:{n_folds}:{max_fit_rows}"
    return data.shared(key, lambda d: _out_of_fold(d, model, n_folds, max_fit_rows))


def _out_of_fold(data: SparkAuditData, model: str, n_folds: int, max_fit_rows: int) -> SparkOutOfFold:
    counts = label_counts(data)
    classes = label_classes(pd.Series([label for label, _ in counts["train"]], dtype=object))
    n_classes = len(classes)
    sample = fit_sample(data, classes, n_folds, max_fit_rows)
    x = np.array(sample[FEATURES].tolist(), dtype=np.float32).reshape(len(sample), -1)
    y = encode_labels(sample["label"], classes)
    n_train = data.n_rows["train"]
    notes = [sampled_note(n_train, len(sample))] if len(sample) < n_train else []
    folds, reduced = fold_count(y, classes, n_folds)
    notes += reduced
    choice, trees = None, None
    if model == AUTO:  # chosen on the driver's sample, as on one machine
        choice, _ = choose_model(x, y, np.arange(len(y)), {}, folds, n_classes, data.random_state)
        if not len(sample) == n_train <= SELECTION_ROWS:  # else one machine reuses the selection's fits
            n_scored = n_train - len(sample) + data.n_rows.get("val", 0)
            choice, replaced = for_executors(choice, len(sample), n_scored, x.shape[1], n_classes, folds)
            notes += replaced
        model, trees = choice.model, choice.n_estimators
        if choice.n_fit_rows is not None and choice.n_fit_rows < len(sample):
            kept = stratified_sample(y, choice.n_fit_rows, folds, data.random_state)
            sample, x, y = sample.iloc[kept].reset_index(drop=True), x[kept], y[kept]
            notes.append(sampled_note(n_train, len(sample)) + " (to keep the chosen model within its time budget)")
    sample_probs = np.zeros((len(y), n_classes))
    models = []
    # Boosting's OpenMP threads held to one, as in checks.oof.cross_validated: the same model,
    # without busy-waiting threads on a shared machine.
    with threadpool_limits(limits=1, user_api="openmp"):
        for fold_train, fold_test in stratified_folds(y, folds, data.random_state):
            fitted = fit_model(model, data.random_state, x[fold_train], y[fold_train], trees)
            sample_probs[fold_test] = expand(fitted.predict_proba(x[fold_test]), fitted.classes_, n_classes)
            models.append(fitted)
    notes.append(f"the {folds} fold models were fitted on the Spark driver and applied to every row on the "
                 f"executors, which also flagged the rows by cleanlab's rule from Spark aggregates")
    rows = sample[ROW].to_numpy(dtype=np.int64)
    order = np.argsort(rows)
    held_out = (rows[order], sample_probs[order])
    scored = {split: score_on_executors(data, split, models, classes, held_out if split == "train" else None)
              for split in data.splits}
    oof = OutOfFold(classes, {}, {}, fold_sources(folds, data.splits), model, folds, len(sample), notes, choice)
    return SparkOutOfFold(oof, scored)


def score_on_executors(data: SparkAuditData, split: str, models: list, classes: np.ndarray,
                       held_out: tuple[np.ndarray, np.ndarray] | None) -> DataFrame:
    """Every row's class index and probabilities, computed by a pandas UDF and cached there.

    Rows are scored by the average of the fold models, except the rows the folds held out
    (``held_out``: their sorted row numbers and out-of-fold probabilities), which keep the
    probabilities of the one model that never saw them.
    """
    n_classes = len(classes)
    shared = data.spark.sparkContext.broadcast((models, classes, held_out))

    def predict(batches):
        fitted, known_classes, known = shared.value
        with threadpool_limits(limits=1, user_api="openmp"):  # one task a core already
            yield from scored_batches(batches, fitted, known_classes, known, n_classes)

    # One double column a class out of Python, gathered into the array on the JVM: pyspark
    # converts an array column of a pandas UDF's output row by row in Python.
    columns = probability_columns(n_classes)
    schema = T.StructType([T.StructField(ROW, T.LongType()), T.StructField(CODE, T.IntegerType()),
                           *[T.StructField(c, T.DoubleType()) for c in columns]])
    with pandas_version_quiet():
        scored = (encoded(data, split).select(ROW, "__label", FEATURES).mapInPandas(predict, schema)
                  .select(ROW, CODE, F.array(*columns).alias(PROBS)).persist())
        scored.count()
    shared.unpersist()
    return scored


def scored_batches(batches, fitted: list, known_classes: np.ndarray, known, n_classes: int):
    """Each batch's ROW, class index and probabilities: the fold models' average, or the held-out ones."""
    for batch in batches:
        features = np.array(batch[FEATURES].tolist(), dtype=np.float32).reshape(len(batch), -1)
        total = np.zeros((len(batch), n_classes))
        for model in fitted:
            total += expand(model.predict_proba(features), model.classes_, n_classes)
        probs = total / len(fitted)
        rows = batch[ROW].to_numpy(dtype=np.int64)
        if known is not None and len(known[0]):
            at = np.minimum(np.searchsorted(known[0], rows), len(known[0]) - 1)
            hit = known[0][at] == rows
            probs[hit] = known[1][at[hit]]
        yield pd.DataFrame({ROW: rows, CODE: encode_labels(batch["__label"], known_classes).astype(np.int32),
                            **dict(zip(probability_columns(n_classes), probs.T))})


def probability_columns(n_classes: int) -> list[str]:
    return [f"__p{k}" for k in range(n_classes)]


def judged_split(data: SparkAuditData, split: str, scored: DataFrame, train_counts: np.ndarray,
                 classes: np.ndarray) -> SplitIssues:
    """cleanlab's rule applied to one split on the executors; only the flagged rows come back,
    with the counts the evidence behind them needs (:class:`checks.label_evidence.FlaggedFacts`)."""
    n_classes = len(classes)
    can_score = F.col(CODE) >= 0
    if (train_counts < 2).any():
        two_or_more = F.array(*[F.lit(bool(n >= 2)) for n in train_counts])
        can_score = can_score & F.element_at(two_or_more, F.greatest(F.col(CODE), F.lit(0)) + 1)
    judged = scored.where(can_score)
    wrong = first_argmax(F.col(PROBS)) != F.col(CODE)
    facts = scored.agg(F.count(F.lit(1)).alias("n"), F.sum((F.col(CODE) < 0).cast("long")).alias("unseen"),
                       F.sum(can_score.cast("long")).alias("scored"),
                       F.sum(F.when(can_score, wrong.cast("long"))).alias("wrong")).collect()[0]
    n_scored, n_wrong = int(facts["scored"] or 0), int(facts["wrong"] or 0)
    class_counts = np.zeros(n_classes, dtype=np.int64)
    for row in judged.groupBy(CODE).count().collect():
        class_counts[row[CODE]] = row["count"]
    evidence = []
    if (class_counts > 0).sum() >= 2:
        thresholds = confident_thresholds(judged, n_classes)
        prune = prune_counts(confident_joint(judged, thresholds, class_counts))
        flagged = flagged_rows(judged, prune, class_counts).join(lowest_per_class(judged, prune, class_counts),
                                                                 on=ROW)
        labels = data.spark_frames[split].select(ROW, F.col(quoted(data.label)).alias("__given"))
        suggested = suggested_class(F.col(CODE))
        evidence = (judged.join(flagged, on=ROW).join(labels, on=ROW)
                    .select(ROW, CODE, "__given", suggested.alias("__suggested"),
                            class_probability(F.col(CODE)).alias("__quality"),
                            class_probability(suggested).alias("__other"), wrong.alias("__wrong"))
                    .orderBy("__quality", ROW).collect())
    codes = np.array([r[CODE] for r in evidence], dtype=np.int64)
    suggested_codes = np.array([r["__suggested"] for r in evidence], dtype=np.int64)
    quality = np.array([r["__quality"] for r in evidence], dtype=np.float64)
    flagged_wrong = sum(bool(r["__wrong"]) for r in evidence)
    given = np.empty(len(evidence), dtype=object)
    given[:] = [r["__given"] for r in evidence]
    measured_facts = FlaggedFacts(codes, suggested_codes, quality,
                                  np.array([r["__other"] for r in evidence], dtype=np.float64), int(facts["n"]),
                                  n_scored - len(evidence), n_wrong - flagged_wrong, class_counts)
    return SplitIssues(split, int(facts["n"]), n_scored, int(facts["unseen"] or 0),
                       (n_scored - n_wrong) / n_scored if n_scored else None,
                       np.array([r[ROW] for r in evidence], dtype=np.int64), given, classes[suggested_codes], quality,
                       measured(measured_facts, classes, train_counts))


def label_issues(check: LabelIssues, data: SparkAuditData) -> list[Finding]:
    counts = label_counts(data)["train"]
    if len(counts) < 2:
        return []
    encoding = spark_encoding(data)
    if declared_text(data):
        return [check.not_checked_finding(encoding.dropped, labels_not_checked_reason(declared_text(data)))]
    if not encoding.n_features:
        return [check.not_checked_finding(encoding.dropped)]
    result = spark_out_of_fold(data, check.model, check.n_folds, check.max_fit_rows)
    classes = result.oof.classes
    train_counts = np.zeros(len(classes), dtype=np.int64)
    position = {label: k for k, label in enumerate(classes)}
    for label, n in counts:
        train_counts[position[label]] = n
    return [check.issues_finding(judged_split(data, split, result.scored[split], train_counts, classes),
                                 result.oof, train_counts)
            for split in data.splits if split in result.scored]


IMPLEMENTATIONS = {"label_issues": label_issues}
