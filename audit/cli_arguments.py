"""The ``audit`` command's arguments: every subcommand, option, default and help text.

Kept apart from :mod:`audit.cli` (which acts on the parsed arguments) so that the whole
command line reads in one place. A flag left out is ``None`` so that the config file's value
shows through.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from audit.engines import ENGINE_NAMES
from audit.validate.flags import seed_argument, separator_argument
from audit.version import __version__

ACCEPTED_DEFAULT = Path("audit-accepted.json")
PROGRESS_HELP = ("when stderr is not a terminal (a CI log), still report progress there: a line a step, and a line "
                 "a fit and every 10 s while a network trains (a terminal always shows a progress bar)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit",
        description="Audit a labelled train/validation pair: imbalance, leakage, duplicates, noisy labels.",
        epilog="Exit codes: 0 gate passed, 1 gate failed, 2 usage or input error, 3 a check or the audit crashed, "
               "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="audit a train file and a validation file")
    add_input_arguments(run)
    add_output_arguments(run)
    add_fix_arguments(run)
    run.add_argument("--write-fixed", action="store_true",
                     help="also write the fixed splits and the manifest into <out>/<name>.fixed/")
    run.add_argument("--engine", choices=ENGINE_NAMES, default="pandas",
                     help="run the checks with pandas on this machine, or on Apache Spark "
                          "(pip install \"dataset-audit[spark]\"; --train/--val may then be folders, URIs "
                          "or table:<name>)")
    run.add_argument("--spark-master", default="local[*]", metavar="URL",
                     help="Spark master URL for --engine spark (default: local[*])")
    add_diagnose_arguments(run)

    fix = commands.add_parser(
        "fix", help="audit, then write the fixed splits and a manifest of every changed row (the baseline "
                    "trains on raw and fixed data too, unless --no-baseline)",
        epilog="Exit codes: 0 files written, 2 usage or input error, 3 a check crashed (the plan may be incomplete) "
               "or the audit did.",
    )
    add_input_arguments(fix)
    add_output_arguments(fix)
    add_fix_arguments(fix)

    accept = commands.add_parser("accept", help="audit, then record the current findings as accepted")
    add_input_arguments(accept)
    add_output_arguments(accept)

    checks = commands.add_parser("checks", help="list the checks, what each detects and the codes it emits; "
                                                "with a NAME, that check's documentation and parameters")
    checks.add_argument("name", nargs="?", metavar="NAME", help="a check name, as `audit checks` lists them")

    demo = commands.add_parser("demo", help="build a demo pair with planted problems and audit it")
    demo.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports)")
    demo.add_argument("--seed", type=seed_argument, default=0, help="random seed (default: 0)")
    kind = demo.add_mutually_exclusive_group()
    kind.add_argument("--text", action="store_true",
                      help="the text demo: generated support tickets with planted copies and wrong labels")
    kind.add_argument("--images", action="store_true",
                      help="generated picture folders in the Keras class layout instead of a table")
    demo.add_argument("--no-baseline", action="store_true", help="skip the baseline network")
    demo.add_argument("--no-attribute", action="store_true",
                      help="skip the extra baseline runs that show which fix family moved the numbers")
    demo.add_argument("--no-diagnose", action="store_true", help="skip the diagnosis of every cause")
    demo.add_argument("--diagnose-budget", type=float, metavar="SECONDS",
                      help="time budget of the diagnosis (default: 60)")
    demo.add_argument("--progress", action="store_true", help=PROGRESS_HELP)
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
    group.add_argument("--ignore", action="append", metavar="COLUMN",
                       help="a column to leave out entirely (repeatable)")
    group.add_argument("--text-column", action="append", metavar="COLUMN",
                       help="a free-text column, compared and modelled by its words (repeatable; "
                            "found by itself when most values have three words or more)")
    group.add_argument("--sep", type=separator_argument, help="CSV delimiter, one character; \\t or tab for a tab "
                       "(default: ,)")
    group.add_argument("--encoding", default="utf-8", help="text encoding of CSV files (default: utf-8)")
    group.add_argument("--max-rows", type=count_argument, metavar="N",
                       help="refuse a file with more data rows than this (default: 20,000,000)")
    group.add_argument("--max-columns", type=count_argument, metavar="N",
                       help="refuse a file with more columns than this (default: 10,000)")
    group.add_argument("--max-bytes", type=size_argument, metavar="SIZE",
                       help="refuse more text than this (decompressed), or an .npz array or Parquet file "
                            "declaring more; a number of bytes, or with K, M or G (default: 2G)")
    group.add_argument("--image-column", metavar="COLUMN",
                       help="the column of a CSV or Parquet file holding paths of pictures (relative to the "
                            "file's folder): the rows are those pictures")
    group.add_argument("--embeddings", action="append", metavar="PATH",
                       help="your vectors of the pictures, one file a split (give it for train, then val): an "
                            ".npy with a row a listed file, or a Parquet file of path (relative to the split's "
                            "folder) and vector: label issues and the baseline read them instead of colour features")
    group.add_argument("--image-model", choices=("auto", "mobilenet_v3_small", "none"),
                       help="the pretrained network whose embeddings label issues read when there are no "
                            "--embeddings: MobileNetV3Small with ImageNet weights from the Keras cache (never "
                            "downloaded); auto uses it when the weights are cached, else trains a small CNN by "
                            "cross-validation (1,000 train pictures or more) beside the colour features and keeps "
                            "the better, and says which; none keeps the colour features (default: auto)")
    group.add_argument("--cnn-budget", type=float, metavar="SECONDS",
                       help="time budget of the small CNN of label issues; folds, epochs and pictures are sized "
                            "to fit it by a cost estimate, not the clock (default: 180)")
    group.add_argument("--max-image-pixels", type=count_argument, metavar="N",
                       help="refuse to decode a picture with more pixels than this, as Pillow's guard against "
                            "decompression bombs does (default: 89,478,485)")
    group.add_argument("--pred-probs", type=Path, metavar="PATH",
                       help="out-of-sample probabilities for train (.npy, train rows x classes, columns in the "
                            "sorted order of the train labels; text order for CSV labels): skips the "
                            "cross-validation of label_issues")
    group.add_argument("--expectations", type=Path, metavar="PATH",
                       help="a great-expectations suite (JSON) to validate instead of the one inferred from train")
    group.add_argument("--config", type=Path,
                       help="settings file (default: ./audit.toml, else [tool.audit] in ./pyproject.toml)")


SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def count_argument(text: str) -> int:
    """A positive whole number for a size limit, such as --max-rows 5000000."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give one such as 5000000") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def size_argument(text: str) -> int:
    """A positive number of bytes, optionally with a binary unit: 500M, 2G, 2GiB."""
    cleaned = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = cleaned[-1:] if cleaned[-1:] in SIZE_UNITS else ""
    try:
        value = float(cleaned.removesuffix(unit)) * SIZE_UNITS[unit] if unit else int(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; give bytes, or a number with K, M or G "
                                         f"such as 500M") from None
    if not 1 <= value < 2**63:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1 byte and a finite size")
    return int(value)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output and gate")
    group.add_argument("--out", help="output folder (default: reports)")
    group.add_argument("--name", help="report file name without extension (default: the train file's name)")
    group.add_argument("--fail-on", choices=["warn", "fail"], help="the lowest severity that fails the gate (default: fail)")
    group.add_argument("--checks", help="comma-separated check names to run (default: all; see `audit checks`)")
    group.add_argument("--allow-errors", action="store_const", const=True,
                       help="a crashed check does not fail the gate")
    group.add_argument("--accepted", type=Path,
                       help=f"accepted findings to gate against (default: ./{ACCEPTED_DEFAULT} when it exists)")
    group.add_argument("--no-accepted", action="store_true", help="ignore any accepted-findings file")
    group.add_argument("--seed", type=seed_argument, help="random seed for every sampled step (default: 0)")
    baseline = parser.add_argument_group("baseline model (raw vs fixed data)")
    baseline.add_argument("--no-baseline", action="store_true", help="do not train the baseline network")
    baseline.add_argument("--model", choices=["default", "wide"],
                          help="default: Dense(128)+Dropout(0.5); wide: two Dense(512), no dropout, shows memorisation")
    baseline.add_argument("--model-file", help="a .py file defining build_model(n_features, n_classes); it is executed")
    baseline.add_argument("--seeds", type=int, help="seeds per run (default: 3)")
    baseline.add_argument("--epochs", type=int, help="epoch budget per run (default: 40)")
    baseline.add_argument("--baseline-budget", type=float, metavar="SECONDS",
                          help="skip the baseline when its estimated time is over this (default: 120)")
    baseline.add_argument("--attribute", action="store_true", default=None,
                          help="train once more per fix family (duplicates, leakage, labels) to show which fix "
                               "moved the numbers most")
    group.add_argument("--format", choices=["text", "json", "github"], default="text",
                       help="what to print on stdout (github: workflow annotations and a job summary)")
    group.add_argument("--junit", type=Path, metavar="PATH",
                       help="also write JUnit XML here: a test case a check and a finding, for CI")
    group.add_argument("--quiet", action="store_true", help="print only the verdict line")
    group.add_argument("--max-evidence-rows", type=count_argument, metavar="N",
                       help="flagged rows a finding lists in the JSON report; a finding with more lists them all "
                            "in a CSV in <out>/<name>.evidence/ (default: 1000)")
    group.add_argument("--write-expectations", type=Path, metavar="PATH",
                       help="save the expectation suite inferred from train as JSON to PATH")
    group.add_argument("--progress", action="store_true", help=PROGRESS_HELP)
    group.add_argument("--verbose", action="store_true",
                       help="show great-expectations' progress bars and logs, and with --engine spark, Spark's own "
                            "start-up and warning lines")
    group.add_argument("--debug", action="store_true", help="show tracebacks")


def add_diagnose_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("diagnosis (every cause of a stalling validation loss)")
    group.add_argument("--diagnose", action="store_true",
                       help="after the baseline, test each cause (data size, capacity, regularisation, learning "
                            "rate, early stopping, data problems) with small seeded experiments on the fixed data")
    group.add_argument("--diagnose-budget", type=float, metavar="SECONDS",
                       help="time budget of the diagnosis; seeds and sample size are chosen to fit it "
                            "(default: 60; implies --diagnose)")


def add_fix_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("fixes")
    group.add_argument("--relabel", action="store_true",
                       help="give train label issues their suggested label instead of dropping them")
    group.add_argument("--keep-majority", action="store_true",
                       help="keep the majority-label rows of a conflicting-label group (a tie drops the group)")
    group.add_argument("--fix-info", action="store_true",
                       help="also act on findings at info (by default they are listed for review, not applied)")
