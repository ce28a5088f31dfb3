"""What ``audit run``, ``fix`` and ``accept`` refuse before loading a row: the model file, and
every output path against every file the run reads (see :mod:`audit.validate.outputs`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from audit.evidence import evidence_folder
from audit.output import safe_name
from audit.validate.model_file import check_model_file
from audit.validate.outputs import PlannedPath, refuse_unsafe_outputs

if TYPE_CHECKING:
    from audit.run import Job


def refuse_before_work(job: Job, name: str, *, report_files: bool = True, junit: Path | None = None,
                       accepted_out: Path | None = None, summary: str | None = None) -> None:
    """Refuse, before any work, a bad model file and any output that would be lost or lose an input.

    ``name`` is the report's name (``--name``, else the train file's); ``report_files`` says
    whether the JSON and HTML are written (``accept`` writes only ``accepted_out``);
    ``summary`` is ``$GITHUB_STEP_SUMMARY`` when ``--format github`` appends to it.
    """
    settings = job.settings
    model_file = settings.baseline.get("model_file")
    if model_file and settings.baseline.get("enabled", True):
        check_model_file(model_file)
    refuse_unsafe_outputs(planned_writes(job, name, report_files, junit, accepted_out, summary), planned_reads(job))


def planned_writes(job: Job, name: str, report_files: bool, junit: Path | None, accepted_out: Path | None,
                   summary: str | None) -> list[PlannedPath]:
    out = Path(job.settings.out)
    stem = safe_name(name)
    writes = []
    if report_files:
        writes += [PlannedPath(out, "the output folder (--out)", "folder"),
                   PlannedPath(out / f"{stem}.json", "the JSON report (--out, --name)"),
                   PlannedPath(out / f"{stem}.html", "the HTML report (--out, --name)"),
                   PlannedPath(evidence_folder(out, stem), "the evidence folder (--out, --name)", "folder")]
    if job.fixed_files is not None:
        from audit.fixed_files import fixed_folder

        writes.append(PlannedPath(fixed_folder(job.fixed_files.out, job.fixed_files.name),
                                  "the fixed splits' folder", "folder"))
    optional = ((junit, "the JUnit file (--junit)", "file"),
                (job.expectations_out, "the saved suite (--write-expectations)", "file"),
                (accepted_out, "the accepted findings (--accepted)", "file"),
                (summary, "the job summary ($GITHUB_STEP_SUMMARY)", "append"))
    writes += [PlannedPath(Path(path), what, kind) for path, what, kind in optional if path]
    return writes


def planned_reads(job: Job) -> list[PlannedPath]:
    inputs, settings = job.inputs, job.settings
    candidates = ((inputs.train, "the train file (--train)"), (inputs.val, "the validation file (--val)"),
                  (inputs.pred_probs, "the probabilities (--pred-probs)"),
                  (inputs.expectations, "the expectation suite (--expectations)"),
                  (job.configuration.source, "the config file"),
                  (settings.accepted, "the accepted findings (--accepted)"),
                  (settings.baseline.get("model_file"), "the model file (--model-file)"))
    return [PlannedPath(Path(path), what.replace(" file (", " folder (") if Path(path).is_dir() else what)
            for path, what in candidates if isinstance(path, (str, Path)) and str(path) and Path(path).exists()]
