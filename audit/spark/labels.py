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
- the probabilities (rows x classes) and the labels are collected, and the check's own
  builder (:meth:`~checks.label_noise.LabelIssues.split_finding`) runs cleanlab on them, so
  message, metrics, severity and evidence are the check's.

The finding's metrics say how many rows the models were fitted on and where the
probabilities came from (``notes``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from audit.spark.exact import label_counts
from audit.spark.encoding import FEATURES, encoded, spark_encoding
from audit.spark.load import H1, H2, SparkAuditData, quoted
from audit.spark.rows import ROW
from audit.spark.session import pandas_version_quiet
from checks.base import Finding
from checks.label_noise import LabelIssues
from checks.oof import (
    AUTO,
    OutOfFold,
    choose_model,
    encode_labels,
    expand,
    fit_model,
    fold_count,
    fold_sources,
    label_classes,
    sampled_note,
    stratified_folds,
)


def fit_sample(data: SparkAuditData, classes: np.ndarray, n_folds: int, max_fit_rows: int) -> pd.DataFrame:
    """ROW, label and features of the train rows the models are fitted on, in content order.

    Above ``max_fit_rows`` rows: from each class the same share (at least ``n_folds`` rows,
    or all of a smaller class), chosen by a seeded hash of the row number, so the sample does
    not depend on how Spark partitioned the data.
    """
    frame = encoded(data, "train").select(ROW, F.col("__label").alias("label"), FEATURES, H1, H2)
    n_train = data.n_rows["train"]
    if n_train > max_fit_rows:
        share = max_fit_rows / n_train
        takes = {label: min(n, max(n_folds, int(np.floor(n * share)))) for label, n in label_counts(data)["train"]}
        take = F.create_map(*[x for label, n in takes.items() for x in (F.lit(label), F.lit(n))])
        order = Window.partitionBy("label").orderBy(F.xxhash64(F.col(ROW), F.lit(int(data.random_state))), ROW)
        frame = frame.withColumn("__n", F.row_number().over(order)).filter(F.col("__n") <= take[F.col("label")])
    # Folds see train in the order of its content (feature hash, then label), as on one
    # machine, so re-sorting a file flags the same rows; the hash is Spark's, so the folds
    # are not pandas' own.
    records = frame.select(ROW, "label", FEATURES).orderBy(H1, H2, F.col("label").cast("string"), ROW).collect()
    return pd.DataFrame([tuple(r) for r in records], columns=[ROW, "label", FEATURES])


Scored = dict[str, tuple[np.ndarray, np.ndarray]]  # per split: each probability row's row number and label


def spark_out_of_fold(data: SparkAuditData, model: str, n_folds: int, max_fit_rows: int) -> tuple[OutOfFold, Scored]:
    """The probabilities of every row, and which row and label each belongs to; shared."""
    key = f"spark_out_of_fold:{model}:{n_folds}:{max_fit_rows}"
    return data.shared(key, lambda d: _out_of_fold(d, model, n_folds, max_fit_rows))


def _out_of_fold(data: SparkAuditData, model: str, n_folds: int, max_fit_rows: int) -> tuple[OutOfFold, Scored]:
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
        model, trees = choice.model, choice.n_estimators
    sample_probs = np.zeros((len(y), n_classes))
    models = []
    for fold_train, fold_test in stratified_folds(y, folds, data.random_state):
        fitted = fit_model(model, data.random_state, x[fold_train], y[fold_train], trees)
        sample_probs[fold_test] = expand(fitted.predict_proba(x[fold_test]), fitted.classes_, n_classes)
        models.append(fitted)
    notes.append(f"the {folds} fold models were fitted on the Spark driver and applied to every row on the "
                 f"executors; cleanlab ran on the collected probabilities")

    labels, probs = {}, {}
    for split in data.splits:
        rows, split_labels, split_probs = score_on_executors(data, split, models, n_classes)
        if split == "train":
            position = pd.Index(rows).get_indexer(sample[ROW].to_numpy())
            split_probs[position] = sample_probs
        labels[split] = (rows, split_labels)
        probs[split] = split_probs
    oof = OutOfFold(classes, {split: encode_labels(pd.Series(v[1], dtype=object), classes) for split, v in labels.items()},
                    probs, fold_sources(folds, data.splits), model, folds, len(sample), notes, choice)
    return oof, labels


def score_on_executors(data: SparkAuditData, split: str, models: list, n_classes: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every row's average fold-model probabilities, computed by a pandas UDF; collected by row."""
    shared = data.spark.sparkContext.broadcast(models)

    def predict(batches):
        fitted = shared.value
        for batch in batches:
            features = np.array(batch[FEATURES].tolist(), dtype=np.float32).reshape(len(batch), -1)
            total = np.zeros((len(batch), n_classes))
            for model in fitted:
                total += expand(model.predict_proba(features), model.classes_, n_classes)
            yield pd.DataFrame({ROW: batch[ROW].to_numpy(), "probs": list(total / len(fitted))})

    frame = encoded(data, split).select(ROW, FEATURES)
    schema = T.StructType([T.StructField(ROW, T.LongType()), T.StructField("probs", T.ArrayType(T.DoubleType()))])
    original = data.spark_frames[split].select(ROW, F.col(quoted(data.label)).alias("__original"))
    with pandas_version_quiet():
        scored = frame.mapInPandas(predict, schema).join(original, on=ROW).orderBy(ROW).collect()
    shared.unpersist()
    rows = np.array([r[ROW] for r in scored], dtype=np.int64)
    labels = np.empty(len(scored), dtype=object)
    labels[:] = [r["__original"] for r in scored]
    probs = np.array([r["probs"] for r in scored], dtype=np.float64).reshape(len(scored), n_classes)
    return rows, labels, probs


def label_issues(check: LabelIssues, data: SparkAuditData) -> list[Finding]:
    if len(label_counts(data)["train"]) < 2:
        return []
    encoding = spark_encoding(data)
    if not encoding.n_features:
        return [check.not_checked_finding(encoding.dropped)]
    oof, scored = spark_out_of_fold(data, check.model, check.n_folds, check.max_fit_rows)
    return [check.split_finding(split, oof, *scored[split]) for split in data.splits if split in oof.pred_probs]


IMPLEMENTATIONS = {"label_issues": label_issues}
