"""The ``audit`` command: parse arguments, make the library calls a notebook would, render, exit.

Nothing heavy is imported at module level, so ``audit --help`` and ``audit checks`` start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from audit.errors import InputError
from audit.report import ExitCode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit",
        description="Audit a labelled train/validation pair: imbalance, leakage, duplicates, noisy labels.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="audit a train file and a validation file")
    add_input_arguments(run)
    add_output_arguments(run)

    commands.add_parser("checks", help="list the checks and what each detects")

    demo = commands.add_parser("demo", help="build a demo pair with planted problems and audit it")
    demo.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input")
    group.add_argument("--train", type=Path, required=True,
                       help="training split (.csv, .csv.gz, .parquet, or .npz with x_train/y_train/x_val/y_val)")
    group.add_argument("--val", type=Path, help="validation split, same columns as --train")
    group.add_argument("--split-column", help="one file holding both splits: the column saying train or val")
    group.add_argument("--label", help="the label column (required except for .npz)")
    group.add_argument("--id-column", help="a row identifier: never used as a feature")
    group.add_argument("--group-column", help="an entity id (patient, user): checked for group leakage")
    group.add_argument("--time-column", help="a timestamp: checked for temporal leakage")
    group.add_argument("--ignore", action="append", default=[], metavar="COLUMN",
                       help="a column to leave out entirely (repeatable)")
    group.add_argument("--sep", help="CSV delimiter (default: ,)")
    group.add_argument("--encoding", default="utf-8", help="text encoding of CSV files (default: utf-8)")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output and gate")
    group.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports)")
    group.add_argument("--name", help="report file name without extension (default: the train file's name)")
    group.add_argument("--fail-on", choices=["warn", "fail"], default="fail",
                       help="the lowest severity that fails the gate (default: fail)")
    group.add_argument("--checks", help="comma-separated check names to run (default: all; see `audit checks`)")
    group.add_argument("--allow-errors", action="store_true", help="a crashed check does not fail the gate")
    group.add_argument("--seed", type=int, default=0, help="random seed for every sampled step (default: 0)")
    group.add_argument("--quiet", action="store_true", help="print only the verdict line")
    group.add_argument("--debug", action="store_true", help="show tracebacks")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as error:
        if getattr(args, "debug", False):
            raise
        print(f"audit: error: {error}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except ValueError as error:  # bad parameter values from the library, named in the message
        if getattr(args, "debug", False):
            raise
        print(f"audit: error: {error}", file=sys.stderr)
        return ExitCode.USAGE_ERROR


def command_checks(args: argparse.Namespace) -> int:
    from checks import REGISTRY

    width = max(len(name) for name in REGISTRY)
    for name, check in REGISTRY.items():
        print(f"{name:<{width}}  {check.description()}")
    return ExitCode.PASSED


def command_run(args: argparse.Namespace) -> int:
    from audit.api import audit_data, load
    from audit.data import ReadOptions, Roles

    if not args.label and not args.train.name.lower().endswith(".npz"):
        raise InputError("--label is required: name the column that holds the labels")
    roles = Roles(args.label or "label", args.id_column, args.group_column, args.time_column, tuple(args.ignore))
    options = ReadOptions(sep=args.sep, encoding=args.encoding)
    checks = [c.strip() for c in args.checks.split(",") if c.strip()] if args.checks else None
    data = load(args.train, args.val, roles, split_column=args.split_column, read_options=options,
                random_state=args.seed)
    report = audit_data(data, checks=checks, fail_on=args.fail_on, allow_errors=args.allow_errors)
    return finish(report, args.out, args.name or default_name(args.train), args.quiet)


def command_demo(args: argparse.Namespace) -> int:
    from audit.demo import run_demo

    report, pair = run_demo(args.out, seed=args.seed)
    print(pair.describe())
    finish(report, args.out, "demo", quiet=False)
    return ExitCode.PASSED


def finish(report, out: Path, name: str, quiet: bool) -> int:
    """Write the report files, print the summary, and return the gate's exit code."""
    from audit.output import safe_name, write_atomic
    from audit.render.text import render_text

    stem = safe_name(name)
    written = {"json": str(write_atomic(out / f"{stem}.json", report.to_json()))}
    text = render_text(report, written)
    verdict_line = text.splitlines()[-1 - len(written)]
    print(verdict_line if quiet else text.rstrip("\n"))
    return report.exit_code


def default_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".parquet", ".pq", ".npz"):
        name = name.removesuffix(suffix)
    return name


COMMANDS = {"run": command_run, "checks": command_checks, "demo": command_demo}


if __name__ == "__main__":
    sys.exit(main())
