"""``audit run --engine spark``: the command line's inputs handed to the Spark engine."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from audit.data import ReadOptions, Roles, attach_extra_inputs
from audit.errors import InputError
from audit.progress import Progress
from audit.report import AuditReport


def location(path: Path | None) -> str | None:
    """The input as Spark should see it: ``Path`` turns ``s3a://b/k`` into ``s3a:/b/k``; undo that."""
    if path is None:
        return None
    text = str(path)
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):/(?!/)", text)
    if match and match.group(1).lower() != "file" and len(match.group(1)) > 1:
        return f"{match.group(1)}://{text[match.end():]}"
    return text


def audit_on_spark(args: argparse.Namespace, settings: Any, roles: Roles, progress: Progress) -> AuditReport:
    from audit.spark import require_pyspark

    require_pyspark()
    from audit.spark.api import audit_spark_data, complete_spark
    from audit.spark.load import load_spark
    from audit.spark.session import spark_session

    if getattr(args, "write_fixed", False):
        raise InputError("--write-fixed copies rows of the input files on this machine; with --engine spark, "
                         "use the manifest of the pandas engine or drop the flagged rows in Spark")
    if getattr(args, "pred_probs", None) is not None:
        raise InputError("--pred-probs is not supported with --engine spark; leave it out or use --engine pandas")
    limits = [flag for flag in ("max_rows", "max_columns", "max_bytes") if getattr(args, flag, None) is not None]
    if limits:
        raise InputError(f"--{limits[0].replace('_', '-')} bounds what the pandas engine loads into memory; Spark "
                         f"reads in partitions and does not apply it: leave it out or use --engine pandas")
    progress(f"starting Spark ({args.spark_master})")
    spark = spark_session(args.spark_master)
    progress(f"loading {location(args.train)}")
    data = load_spark(location(args.train), location(args.val), roles, split_column=settings.split_column,
                      read_options=ReadOptions(sep=args.sep, encoding=args.encoding), random_state=settings.seed,
                      spark=spark)
    attach_extra_inputs(data, None, getattr(args, "expectations", None), getattr(args, "verbose", False))
    try:
        report = audit_spark_data(data, settings, progress=progress)
        complete_spark(report, settings, relabel=getattr(args, "relabel", False),
                       keep_majority=getattr(args, "keep_majority", False), progress=progress)
        if getattr(args, "write_expectations", None):
            write_expectations(data, settings, args.write_expectations)
    finally:
        data.unpersist()
    return report


def write_expectations(data: Any, settings: Any, path: Path) -> None:
    """Save the suite data_quality infers from train on Spark: the one the pandas engine writes."""
    from audit.output import write_atomic
    from audit.spark.quality import inferred_suite
    from checks.expectations import DataQuality
    from checks.expectations_suite import suite_json

    params = (settings.params or {}).get(DataQuality.name, {})
    write_atomic(path, suite_json(inferred_suite(DataQuality(**params), data)))
