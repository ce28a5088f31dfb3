"""The ``audit`` command: parse arguments, describe the run as a :class:`~audit.run.Job`, run it,
write and print the report, exit.

Nothing heavy is imported at module level (not pandas, not a check), so ``audit --help`` and
``audit --version`` answer at once. Flags override the config file, which overrides the
defaults; a flag left out is ``None`` here so that the file's value shows through. The
arguments are only read, never changed.

Exit codes: an :class:`~audit.errors.InputError` is one line on stderr and exit code 2; any
other exception is a bug, shown with its traceback, and exit code 3 (see the README's table).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from audit.cli_arguments import ACCEPTED_DEFAULT, build_parser
from audit.errors import ExitCode, InputError

if TYPE_CHECKING:
    from audit.config import Configuration
    from audit.report import AuditReport
    from audit.run import Job


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    from audit.signals import Terminated, signals_as_interrupts

    try:
        with signals_as_interrupts():
            return COMMANDS[args.command](args)
    except InputError as error:
        if debug:
            traceback.print_exc()
        print(f"audit: error: {flat(str(error))}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt as interrupt:
        if debug:
            traceback.print_exc()
        # Every write is a rename of a finished temporary file, so nothing is left half-written.
        cause = f"stopped by {interrupt}" if isinstance(interrupt, Terminated) else "interrupted"
        print(f"audit: {cause}; files already written are complete, the others were not written",
              file=sys.stderr)
        return 128 + interrupt.signal_number if isinstance(interrupt, Terminated) else ExitCode.INTERRUPTED
    except Exception:  # a bug, not bad input: the whole traceback, for the report that fixes it
        traceback.print_exc()
        print("audit: crashed: this is a bug in dataset-audit, not a problem with the data; please report it "
              "with the traceback above", file=sys.stderr)
        return ExitCode.CHECK_CRASHED


def flat(text: str) -> str:
    """One line, whatever a file name or a parser's message holds (line breaks, escape codes)."""
    from audit.render.text import one_line

    return one_line(text)


def command_checks(args: argparse.Namespace) -> int:
    from audit.check_docs import check_listing, check_page
    from checks import REGISTRY

    if args.name is None:
        print(check_listing())
    elif args.name in REGISTRY:
        print(check_page(REGISTRY[args.name]), end="")
    else:
        raise InputError(f"no check is named {args.name!r}; `audit checks` lists them: {', '.join(REGISTRY)}")
    return ExitCode.PASSED


def command_run(args: argparse.Namespace) -> int:
    return audit_and_publish(args, write_fixed=args.write_fixed)


def command_fix(args: argparse.Namespace) -> int:
    """Like run, always writing the fixed files; the gate does not decide the exit code here."""
    code = audit_and_publish(args, write_fixed=True)
    return ExitCode.CHECK_CRASHED if code == ExitCode.CHECK_CRASHED else ExitCode.PASSED


def command_accept(args: argparse.Namespace) -> int:
    """Write the fingerprints of every current finding; later runs gate only on what is new."""
    import json

    from audit.accepted import write_accepted
    from audit.output import write_atomic
    from audit.run import run_job

    from audit.validate.preflight import refuse_before_work

    job = job_from_args(args, write_fixed=False)
    target = args.accepted or ACCEPTED_DEFAULT
    refuse_before_work(job, report_name(args), report_files=False, accepted_out=target)
    with live_display(args, job.settings.severity) as progress:
        report = run_job(job, progress).report
    document = write_accepted([f for _, f in report.all_findings], report.data)
    write_atomic(target, json.dumps(document, indent=2) + "\n")
    print(f"accepted {len(report.all_findings)} findings into {target}; "
          f"`audit run` gates only on new or worsened ones while that file is there")
    return ExitCode.PASSED


def command_demo(args: argparse.Namespace) -> int:
    from audit.demo import run_demo
    from audit.demo_text import run_text_demo

    refuse_non_positive(args)
    baseline = {"enabled": False} if args.no_baseline else {"attribute": not args.no_attribute}
    if args.images:
        from audit.images.demo import describe, run_image_demo

        with live_display(args) as progress:
            report, planted = run_image_demo(args.out, seed=args.seed, baseline=baseline, progress=progress)
        print(describe(planted))
        publish(report, args.out, "demo-images", {}, output_format="text", quiet=False)
        return ExitCode.PASSED
    run, name = (run_text_demo, "demo-text") if args.text else (run_demo, "demo")
    with live_display(args) as progress:
        report, pair = run(args.out, seed=args.seed, baseline=baseline, progress=progress,
                           diagnose=not args.no_diagnose, diagnose_budget_s=args.diagnose_budget)
    print(pair.describe())
    publish(report, args.out, name, {}, output_format="text", quiet=False)
    return ExitCode.PASSED


def audit_and_publish(args: argparse.Namespace, *, write_fixed: bool) -> int:
    """Run the audit the arguments describe, write its report files, print, and return the gate's code."""
    from audit.run import run_job

    from audit.validate.preflight import refuse_before_work

    job = job_from_args(args, write_fixed=write_fixed)
    summary = os.environ.get("GITHUB_STEP_SUMMARY") if args.format == "github" else None
    refuse_before_work(job, report_name(args), junit=args.junit, summary=summary)
    with live_display(args, job.settings.severity) as progress:
        outcome = run_job(job, progress)
    return publish(outcome.report, Path(job.settings.out), report_name(args), outcome.written,
                   output_format=args.format, quiet=args.quiet, junit=args.junit,
                   max_evidence_rows=job.settings.max_evidence_rows)


def live_display(args: argparse.Namespace, overrides: dict[str, str] | None = None):
    """What the run shows while it works (:mod:`audit.live`): check lines with the text output,
    and ``--progress`` lines when stderr is a log."""
    from audit.live import live_progress

    show_checks = getattr(args, "format", "text") == "text" and not getattr(args, "quiet", False)
    return live_progress(show_checks=show_checks, periodic=args.progress, overrides=overrides)


def job_from_args(args: argparse.Namespace, *, write_fixed: bool) -> Job:
    """The run ``audit run``, ``fix`` or ``accept`` asks for, from the flags and the config file."""
    from audit.data import ReadOptions
    from audit.engines.base import Inputs
    from audit.fixes import FixOptions
    from audit.run import FixedFiles, Job

    refuse_non_positive(args)
    configuration = configuration_from_args(args)
    settings = configuration.settings
    if not settings.label and not args.train.name.lower().endswith(".npz") and not args.train.is_dir():
        raise InputError("--label is required: name the column that holds the labels")
    limits = {name: getattr(args, name) for name in ("max_rows", "max_columns", "max_bytes", "max_image_pixels")
              if getattr(args, name) is not None}
    if args.image_column:
        limits["image_column"] = args.image_column
    if args.embeddings:
        limits["embeddings"] = tuple(args.embeddings)
    images = configuration.settings.images
    image_model = args.image_model or images.get("model")
    if image_model:
        limits["image_model"] = image_model
    cnn_budget = args.cnn_budget if args.cnn_budget is not None else images.get("cnn_budget_s")
    if cnn_budget is not None:
        limits["cnn_budget_s"] = cnn_budget
    inputs = Inputs(args.train, args.val, ReadOptions(sep=args.sep, encoding=args.encoding, **limits),
                    pred_probs=args.pred_probs, expectations=args.expectations, verbose=args.verbose)
    diagnose_budget = getattr(args, "diagnose_budget", None)
    return Job(
        configuration, inputs, engine=getattr(args, "engine", "pandas"), spark=getattr(args, "spark_master", None),
        fix_options=FixOptions(relabel=getattr(args, "relabel", False),
                               keep_majority=getattr(args, "keep_majority", False),
                               include_info=getattr(args, "fix_info", False)),
        fixed_files=FixedFiles(Path(settings.out), report_name(args)) if write_fixed else None,
        diagnose=getattr(args, "diagnose", False) or diagnose_budget is not None, diagnose_budget_s=diagnose_budget,
        expectations_out=args.write_expectations,
    )


def configuration_from_args(args: argparse.Namespace) -> Configuration:
    """The config file's settings with every flag the user gave laid over them, and the checks they select."""
    from audit.config import configure

    checks = tuple(c.strip() for c in args.checks.split(",") if c.strip()) if args.checks else None
    accepted = None
    if args.no_accepted or args.command == "accept":  # accept records findings; it judges none
        accepted = ""
    elif args.accepted is not None:
        accepted = str(args.accepted)
    baseline = {"enabled": False if args.no_baseline else None, "model": args.model, "model_file": args.model_file,
                "seeds": args.seeds, "epochs": args.epochs, "time_budget_s": args.baseline_budget,
                "attribute": args.attribute}
    overrides = {
        "label": args.label, "id_column": args.id_column, "group_column": args.group_column,
        "time_column": args.time_column, "ignore": tuple(args.ignore) if args.ignore else None,
        "text_columns": tuple(args.text_column) if args.text_column else None,
        "split_column": args.split_column, "checks": checks, "fail_on": args.fail_on, "out": args.out,
        "seed": args.seed, "allow_errors": args.allow_errors, "accepted": accepted,
        "max_evidence_rows": args.max_evidence_rows,
        "baseline": {k: v for k, v in baseline.items() if v is not None} or None,
    }
    default = str(ACCEPTED_DEFAULT) if args.command == "run" and ACCEPTED_DEFAULT.is_file() else None
    return configure(args.config, overrides, accepted_default=default)


POSITIVE_FLAGS = {"seeds": "at least 1", "epochs": "at least 1", "baseline_budget": "a positive number of seconds",
                  "diagnose_budget": "a positive number of seconds", "cnn_budget": "a positive number of seconds"}


def refuse_non_positive(args: argparse.Namespace) -> None:
    for name, what in POSITIVE_FLAGS.items():
        value = getattr(args, name, None)
        if value is not None and not value > 0:
            raise InputError(f"--{name.replace('_', '-')} must be {what}, got {value:g}")


def publish(report: AuditReport, out: Path, name: str, written: dict[str, str], *, output_format: str,
            quiet: bool, junit: Path | None = None, max_evidence_rows: int | None = None) -> int:
    """Write the report files, print what ``--format`` asks for, and return the gate's exit code.

    ``written`` are the files the run wrote besides the report (fixed splits, manifest); the
    terminal lists them after the JSON. A finding with more rows than ``max_evidence_rows`` (None:
    the default) lists them all in a side file, written before the JSON that names it.
    """
    from audit.evidence import DEFAULT_MAX_EVIDENCE_ROWS, capped_findings, write_evidence
    from audit.output import safe_name, write_atomic
    from audit.render.text import WIDTH, render_text, verdict_line

    stem = safe_name(name)
    report.evidence = capped_findings(report, stem, max_evidence_rows or DEFAULT_MAX_EVIDENCE_ROWS)
    if report.evidence:
        written = {**written, "evidence": str(write_evidence(report, out, report.evidence)[0].parent)}
    json_text = report.to_json()
    json_path, html_path = out / f"{stem}.json", out / f"{stem}.html"
    # A rerun replaces the report of the same name: say so (--name or --out keeps both).
    replaced = " (replaced the earlier one)" if json_path.exists() or html_path.exists() else ""
    files = {"json": str(write_atomic(json_path, json_text)) + replaced, **written}
    files["html"] = str(write_atomic(html_path, report.to_html())) + replaced
    if junit:
        from audit.render.junit import render_junit

        files["junit"] = str(write_atomic(Path(junit), render_junit(report)))
    if written and fixes_made_it_worse(report):
        marked = len(report.unconfirmed)
        print("audit: warning: the baseline trained on these fixed splits did worse on the clean reference set "
              "than on the raw ones (see its verdict); review the findings behind the fixes before using them"
              + (f" ({marked} marked not confirmed)" if marked else ""), file=sys.stderr)
    if output_format == "json":
        print(json_text, end="")
    elif output_format == "github":
        print_github(report)
    elif quiet:
        print(verdict_line(report))
    else:
        print(render_text(report, files, width=WIDTH, colour=wants_colour(sys.stdout)).rstrip("\n"))
    return report.exit_code


def fixes_made_it_worse(report: AuditReport) -> bool:
    """The fixes together made the baseline worse, or an attribution run refuted some of them."""
    verdict = getattr(report.baseline, "verdict", None)
    return (verdict is not None and verdict.code == "fixes_hurt") or bool(report.unconfirmed)


def wants_colour(stream) -> bool:
    """Colours on a terminal, unless NO_COLOR is set (https://no-color.org); never into a pipe or file."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def print_github(report: AuditReport) -> None:
    from audit.render.github import render_annotations, render_summary

    print(render_annotations(report), end="")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as stream:
            stream.write(render_summary(report))


def report_name(args: argparse.Namespace) -> str:
    """The report files' name: ``--name``, else the train file's name without its extensions."""
    return args.name or default_name(args.train)


def default_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".parquet", ".pq", ".npz"):
        name = name.removesuffix(suffix)
    return name


COMMANDS = {"run": command_run, "fix": command_fix, "accept": command_accept, "checks": command_checks,
            "demo": command_demo}


if __name__ == "__main__":
    sys.exit(main())
