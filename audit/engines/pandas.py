"""The pandas engine: the splits in memory on this machine, the checks run in this process."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit.config import Settings
from audit.data import InputFiles, Roles, attach_extra_inputs, from_frames, load_files
from audit.engines.base import Inputs, Loaded, TrainingData
from audit.fixes import FixPlan
from audit.progress import Progress, no_progress
from audit.report import AuditReport
from audit.runner import CheckResult, run_checks
from checks import AuditData, Check

if TYPE_CHECKING:
    from checks.expectations import DataQuality


class PandasEngine:
    name = "pandas"
    report_type = AuditReport
    no_attribution = None
    no_diagnosis = None

    def refuse(self, inputs: Inputs, *, write_fixed: bool) -> None:
        """Everything a run can ask for runs here."""

    def load(self, inputs: Inputs, roles: Roles, *, split_column: str | None = None, random_state: int = 0,
             progress: Progress = no_progress) -> Loaded:
        """DataFrames are validated in place of files; paths are read by their file type."""
        if isinstance(inputs.train, pd.DataFrame):
            if inputs.val is not None and not isinstance(inputs.val, pd.DataFrame):
                raise TypeError("give train and val both as DataFrames or both as paths")
            data, files = from_frames(inputs.train, inputs.val, roles, random_state), None
        else:
            files = InputFiles(Path(inputs.train), Path(inputs.val) if inputs.val is not None else None,
                               split_column, inputs.read_options)
            progress(f"loading {files.train.name}")
            data = load_files(files, roles, random_state)
            from audit.images.embeddings import attach_picture_inputs

            attach_picture_inputs(data, inputs.read_options, progress)
        attach_extra_inputs(data, inputs.pred_probs, inputs.expectations, inputs.verbose)
        return Loaded(data, files)

    def run_checks(self, data: AuditData, checks: Iterable[Check], progress: Progress) -> list[CheckResult]:
        return run_checks(data, checks, progress)

    def described(self, data: AuditData) -> dict[str, Any]:
        return {}

    def training_data(self, data: AuditData, plan: FixPlan, settings: Settings, progress: Progress) -> TrainingData:
        return TrainingData(data, plan)

    def inferred_suite(self, check: DataQuality, data: AuditData) -> dict[str, Any]:
        return check.inferred_suite(data)

    def release(self, data: AuditData) -> None:
        """Nothing to free: the frames go with the report."""
