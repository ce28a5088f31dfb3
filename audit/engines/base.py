"""What an engine does for a run, and what it is given and gives back.

An engine loads the inputs into an :class:`~checks.base.AuditData` bundle, runs the checks
on it, says what the report records about it, hands the baseline the rows to train on,
infers the expectation suite, and frees what it holds. Everything else about a run (the
settings, the fix plan, training the baseline, the report and its gate) is the same for
every engine and happens in :mod:`audit.run`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from audit.config import Settings
from audit.data import InputFiles, ReadOptions, Roles
from audit.fixes import FixPlan
from audit.progress import Progress
from audit.report import AuditReport
from audit.runner import CheckResult
from checks import AuditData, Check

if TYPE_CHECKING:
    from audit.training.results import TrainingSample
    from checks.expectations import DataQuality


@dataclass(frozen=True)
class Inputs:
    """What to audit: DataFrames or paths, and the extra inputs that come with them.

    Paths are files on this machine for the pandas engine; the spark engine also reads
    folders, URIs and ``table:<name>``. ``pred_probs`` (an array or ``.npy`` path) replaces
    the cross-validated probabilities of train, ``expectations`` (a suite dict or JSON path)
    the suite inferred from train; ``verbose`` lets great-expectations show its progress.
    """

    train: Any
    val: Any = None
    read_options: ReadOptions = field(default_factory=ReadOptions)
    pred_probs: Any = None
    expectations: Any = None
    verbose: bool = False


@dataclass(frozen=True)
class Loaded:
    """The validated bundle, and the files on this machine it was read from (fixed splits copy their rows)."""

    data: AuditData
    files: InputFiles | None = None


@dataclass(frozen=True)
class TrainingData:
    """What the baseline trains on: the loaded splits or a sample of them, and the fix plan's actions on those rows.

    ``sample`` says how much of each split a sample holds, so the report can say what the
    network saw; None for every row.
    """

    data: AuditData
    plan: FixPlan
    sample: TrainingSample | None = None


class Engine(Protocol):
    """What :mod:`audit.run` asks of an engine, and all it asks; pick one with :func:`audit.engines.engine_for`."""

    name: str
    report_type: type[AuditReport]
    no_attribution: str | None
    """Why the fixes' attribution does not run on this engine, or None when it does."""
    no_diagnosis: str | None
    """Why the diagnosis does not run on this engine, or None when it does."""

    def refuse(self, inputs: Inputs, *, write_fixed: bool) -> None:
        """Raise an InputError for what this engine cannot do with these inputs, before any work."""

    def load(self, inputs: Inputs, roles: Roles, *, split_column: str | None, random_state: int,
             progress: Progress) -> Loaded:
        """Read and validate the splits; every input error names the file, column or row."""

    def run_checks(self, data: AuditData, checks: Iterable[Check], progress: Progress) -> list[CheckResult]:
        """One result a check, the rows its findings name available in ``data.frames``."""

    def described(self, data: AuditData) -> dict[str, Any]:
        """What the report's settings record about the engine (nothing for pandas)."""

    def training_data(self, data: AuditData, plan: FixPlan, settings: Settings, progress: Progress) -> TrainingData:
        """The rows the baseline trains on, in memory on this machine."""

    def inferred_suite(self, check: DataQuality, data: AuditData) -> dict[str, Any]:
        """The expectation suite data_quality infers from train (what --write-expectations saves)."""

    def release(self, data: AuditData) -> None:
        """Free what the engine holds for ``data`` (Spark's cached splits)."""
