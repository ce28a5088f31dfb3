"""The spark engine: the splits stay in Apache Spark; the flagged rows and bounded samples come back.

The work itself lives in :mod:`audit.spark` (see its docstring for what runs where); this
adapter gives it the interface every engine has. pyspark is imported by this module, so
only :func:`audit.engines.engine_for` imports it, once the spark engine is chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from audit.config import Settings
from audit.data import ReadOptions, Roles, attach_extra_inputs, holds_pictures
from audit.engines.base import Inputs, Loaded, TrainingData
from audit.errors import InputError
from audit.fixes import FixPlan
from audit.progress import Progress, no_progress
from audit.runner import CheckResult
from audit.spark import location
from audit.spark.baseline import sample_for_training
from audit.spark.load import SparkAuditData, load_spark
from audit.spark.quality import inferred_suite
from audit.spark.runner import SparkAuditReport, collect_evidence, engine_settings, run_spark_checks
from audit.spark.session import DEFAULT_MASTER, spark_session
from audit.spark.workers import prepare_workers
from checks import Check
from checks.expectations import DataQuality

READ_LIMITS = ("max_rows", "max_columns", "max_bytes")


class SparkEngine:
    name = "spark"
    report_type = SparkAuditReport
    no_attribution = ("the spark engine trains the baseline on a sample and does not attribute the fixes; "
                      "run the pandas engine with --attribute on a sample of the files")
    no_diagnosis = "the diagnosis trains on pandas data: rerun without --engine spark"

    def __init__(self, spark: Any = None) -> None:
        self.spark = spark
        """The SparkSession to use, or a master URL for a new one; None: the active session, else local[*]."""

    def refuse(self, inputs: Inputs, *, write_fixed: bool) -> None:
        if write_fixed:
            raise InputError("--write-fixed copies rows of the input files on this machine; with --engine spark, "
                             "use the manifest of the pandas engine or drop the flagged rows in Spark")
        if inputs.pred_probs is not None:
            raise InputError("given probabilities (--pred-probs, pred_probs) are not supported by the spark engine, "
                             "which computes its own; leave them out or use the pandas engine")
        if holds_pictures(inputs.train, inputs.read_options):
            raise InputError(f"{inputs.train}: pictures (class folders, --image-column, .npz picture arrays) are "
                             f"audited by the pandas engine only; run with --engine pandas")
        defaults = ReadOptions()
        limits = [name for name in READ_LIMITS if getattr(inputs.read_options, name) != getattr(defaults, name)]
        if limits:
            raise InputError(f"--{limits[0].replace('_', '-')} bounds what the pandas engine loads into memory; Spark "
                             f"reads in partitions and does not apply it: leave it out or use --engine pandas")

    def session(self, progress: Progress = no_progress, *, verbose: bool = False):
        if self.spark is not None and not isinstance(self.spark, str):
            session = self.spark
        else:
            master = self.spark or DEFAULT_MASTER
            progress(f"starting Spark ({master})")
            session = spark_session(master, verbose=verbose)
        prepare_workers(session)
        return session

    def load(self, inputs: Inputs, roles: Roles, *, split_column: str | None = None, random_state: int = 0,
             progress: Progress = no_progress) -> Loaded:
        session = self.session(progress, verbose=inputs.verbose)
        progress(f"loading {location(inputs.train)}")
        data = load_spark(location(inputs.train), location(inputs.val), roles, split_column=split_column,
                          read_options=inputs.read_options, random_state=random_state, spark=session)
        attach_extra_inputs(data, None, inputs.expectations, inputs.verbose)
        return Loaded(data)

    def run_checks(self, data: SparkAuditData, checks: Iterable[Check], progress: Progress) -> list[CheckResult]:
        results = run_spark_checks(data, checks, progress)
        progress("collecting the flagged rows")
        collect_evidence(data, results)
        progress("")
        return results

    def described(self, data: SparkAuditData) -> dict[str, Any]:
        return engine_settings(data)

    def training_data(self, data: SparkAuditData, plan: FixPlan, settings: Settings,
                      progress: Progress) -> TrainingData:
        return sample_for_training(data, plan, settings, progress)

    def inferred_suite(self, check: DataQuality, data: SparkAuditData) -> dict[str, Any]:
        return inferred_suite(check, data)

    def release(self, data: SparkAuditData) -> None:
        data.unpersist()
