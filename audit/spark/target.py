"""target_leakage on Spark: the pandas check, run on the driver over a seeded sample of train.

The check scores each feature column alone by counting bins against labels with
``np.bincount``: a few seconds a million rows, but it needs the column and the labels in one
process. So train (its label and feature columns) is collected to the driver, every row up to
``MAX_ROWS`` rows and above that a seeded sample of that many (:func:`~audit.spark.collect.seeded_sample`),
in file order so identifier-like columns stay monotonic, and :class:`~checks.target_leakage.TargetLeakage`
runs on it unchanged. A column that gives the label away does so on 200,000 rows as on all
of them; the sample only widens each score's error, by about 1/sqrt(rows). When train was
sampled, the finding says so in its message and in ``metrics["sampled"]``.
"""

from __future__ import annotations

from dataclasses import replace

from audit.spark.collect import seeded_sample
from audit.spark.load import SparkAuditData
from checks.base import AuditData, Finding
from checks.target_leakage import TargetLeakage

MAX_ROWS = 200_000


def target_leakage(check: TargetLeakage, data: SparkAuditData, max_rows: int = MAX_ROWS) -> list[Finding]:
    n_train = data.n_rows["train"]
    sample = seeded_sample(data, "train", max_rows, [data.label, *data.feature_columns])
    on_driver = AuditData(frames={"train": sample}, label=data.label, id_column=data.id_column,
                          group_column=data.group_column, time_column=data.time_column, ignored=data.ignored,
                          sources=data.sources, random_state=data.random_state, declared_kinds=data.declared_kinds)
    findings = check.run(on_driver)
    if len(sample) == n_train:
        return findings
    sampled = {"part": "one-column scores", "rows": len(sample), "of_rows": n_train,
               "how": "seeded sample of train rows by a hash of the row number, collected to the Spark driver"}
    return [replace(f, message=f"{f.message} Scored on a seeded sample of {len(sample)} of {n_train} train rows.",
                    metrics={**f.metrics, "sampled": [*f.metrics.get("sampled", []), sampled]})
            for f in findings]


IMPLEMENTATIONS = {"target_leakage": target_leakage}
