"""Data quality: an expectation suite validated on both splits, plus what expectations miss."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from checks.base import AuditData, Check, Finding, Severity, fraction, positive_int, register
from checks.expectations_suite import (
    EXAMPLES_SHOWN,
    Outcome,
    SuiteSettings,
    describe_value,
    inferred_suite,
    is_number_column,
    validate,
)

FORMULA_PREFIXES = ("=", "+", "-", "@")
TABLE_EXPECTATIONS = ("expect_table_columns_to_match_ordered_list", "expect_table_row_count_to_be_between",
                      "expect_table_column_count_to_equal", "expect_table_columns_to_match_set")


@register
class DataQuality(Check):
    """Failed expectations (types, missing values, ranges, category sets) and malformed columns.

    What it detects:
        ``data_quality``: an expectation suite inferred from train (columns present and in
        order, at least one row, each column's type and share of missing values, numeric
        ranges widened by a margin, the value sets of low-cardinality text columns), or the
        suite given with ``--expectations``, validated with great-expectations on train and
        val; each failed expectation is a finding with its column, expectation, unexpected
        count and example values. Also what expectations do not phrase well: infinite
        numbers, columns that are entirely missing, constant columns, columns mixing numbers
        and text, and text cells starting with ``=``, ``+``, ``-`` or ``@`` (formula-like,
        counted for information). One info finding summarises the suite and its results.

    Why it matters:
        A column that is text in val but numbers in train, values far outside the range the
        model was fitted on, or categories it never saw make validation loss measure the
        pipeline's failure instead of the model. Infinite values turn a network's loss into
        NaN; an empty or constant column carries no signal; a number column with a stray
        word is read as text and silently dropped or one-hot encoded. Formula-like cells
        run as formulas when the file is opened in a spreadsheet.

    How to fix:
        Fix the export that produced the split (types, units, encodings), or drop or impute
        the offending values; drop empty and constant columns; replace infinities; clean the
        stray text out of number columns. Keep a reviewed suite (``--write-expectations``,
        then ``--expectations``) to catch the same drift in new data.

    Parameters:
        fail_at_fraction: share of a split's rows an expectation rejects at or above which
            its finding fails (below it warns; table-level failures, type changes and
            infinite values always fail).
        range_margin: how far beyond train's range a number may lie, as a fraction of the
            range's width, before it is unexpected.
        null_margin: how much more of a column may be missing than in train (a column with
            no missing value in train may have none).
        max_categories: text columns with at most this many distinct train values get a
            value set.
    """

    name = "data_quality"
    codes = ("data_quality",)
    parameters = {
        "fail_at_fraction": fraction(),
        "range_margin": fraction(),
        "null_margin": fraction(),
        "max_categories": positive_int(),
    }

    def __init__(self, fail_at_fraction=0.05, range_margin=0.1, null_margin=0.02, max_categories=20):
        self.fail_at_fraction = fail_at_fraction
        self.range_margin = range_margin
        self.null_margin = null_margin
        self.max_categories = max_categories

    def settings(self) -> SuiteSettings:
        return SuiteSettings(self.range_margin, self.null_margin, self.max_categories)

    def inferred_suite(self, data: AuditData) -> dict[str, Any]:
        """The suite inferred from train with this check's margins (what --write-expectations saves)."""
        return inferred_suite(data, self.settings())

    def suite(self, data: AuditData) -> tuple[dict[str, Any], str]:
        """The suite to validate and where it came from."""
        if data.expectations_suite is not None:
            return data.expectations_suite, "given"
        return self.inferred_suite(data), "inferred from train"

    def run(self, data: AuditData) -> list[Finding]:
        suite, source = self.suite(data)
        outcomes, invalid = validate(suite, {split: data.frames[split] for split in data.splits}, data.verbose)
        n_rows = {split: len(data.frames[split]) for split in data.splits}
        infinite = {split: infinite_counts(data.frames[split]) for split in data.splits}

        findings = [self._summary(suite, source, outcomes, invalid)]
        findings += [self._invalid(o) for o in invalid]
        for split in data.splits:
            retyped = {o.column for o in outcomes[split]
                       if o.kind == "expect_column_values_to_be_in_type_list" and not o.success}
            for outcome in outcomes[split]:
                if outcome.success or covered_by_infinite(outcome, infinite[split]):
                    continue
                if outcome.error is not None and outcome.column in retyped:
                    continue  # a range or set cannot be computed on a column of another type
                findings.append(self._failed(split, outcome, n_rows[split]))
        for split in data.splits:
            frame = data.frames[split]
            findings += self._infinite(split, frame, infinite[split])
            findings += self._empty_and_constant(split, frame)
            cells = text_cells(frame)
            findings += self._mixed(split, cells)
            findings += self._formula_like(split, cells)
        return findings

    def _summary(self, suite: dict[str, Any], source: str, outcomes: dict[str, list[Outcome]],
                 invalid: list[Outcome]) -> Finding:
        n_expectations = len(suite.get("expectations", []))
        passed = {split: sum(o.success for o in found) for split, found in outcomes.items()}
        parts = ", ".join(f"{split} meets {passed[split]}" for split in outcomes)
        return Finding(
            code="data_quality",
            severity=Severity.INFO,
            message=f"{n_expectations} expectations ({source}): {parts}.",
            metrics={"kind": "summary", "suite_source": source, "suite_name": suite.get("name"),
                     "n_expectations": n_expectations, "n_invalid": len(invalid), "passed": passed,
                     "failed": {split: len(found) - passed[split] for split, found in outcomes.items()}},
        )

    @staticmethod
    def _invalid(outcome: Outcome) -> Finding:
        return Finding(
            code="data_quality",
            severity=Severity.FAIL,
            message=(f"Expectation {outcome.position} of the suite ({outcome.kind}) cannot be used: "
                     f"{outcome.error}; fix or remove it."),
            metrics={"kind": "invalid_expectation", "expectation": outcome.kind, "position": outcome.position,
                     "error": outcome.error},
            columns=[{"column": outcome.column, "expectation": outcome.kind, "kwargs": outcome.kwargs,
                      "error": outcome.error}],
        )

    def _failed(self, split: str, outcome: Outcome, n_rows: int) -> Finding:
        column = outcome.column
        where = f"column {column!r}" if column is not None else "the table"
        counted = outcome.unexpected_count is not None and outcome.error is None
        share = outcome.unexpected_count / n_rows if counted and n_rows else None
        if outcome.error is not None or not counted or outcome.kind in TABLE_EXPECTATIONS:
            severity = Severity.FAIL
        else:
            severity = Severity.FAIL if share >= self.fail_at_fraction else Severity.WARN
        if outcome.error is not None:
            detail = outcome.error
        elif counted:
            detail = (f"{outcome.unexpected_count} of {n_rows} rows ({share:.2%}) unexpected"
                      + (f", e.g. {', '.join(map(repr, outcome.examples[:3]))}" if outcome.examples else ""))
        else:
            detail = f"observed {outcome.observed_value!r}"
        evidence = {
            "split": split, "column": column, "expectation": outcome.kind, "kwargs": outcome.kwargs,
            "unexpected_count": outcome.unexpected_count if counted else None, "unexpected_fraction": share,
            "examples": outcome.examples, "example_rows": outcome.example_rows,
            "observed_value": outcome.observed_value, "error": outcome.error,
        }
        return Finding(
            code="data_quality",
            severity=severity,
            message=f"{split}: {where} fails {outcome.kind} ({expected_text(outcome)}): {detail}.",
            metrics={"kind": "expectation", **evidence},
            columns=[evidence],
        )

    @staticmethod
    def _infinite(split: str, frame: pd.DataFrame, counts: dict[str, int]) -> list[Finding]:
        if not counts:
            return []
        columns = []
        for column, count in counts.items():
            values = frame[column]
            rows = frame.index[np.isinf(values.to_numpy(dtype="float64", na_value=np.nan))]
            columns.append({"split": split, "column": column, "n_rows": count, "fraction": count / len(frame),
                            "examples": sorted({describe_value(float(v)) for v in values.loc[rows]}),
                            "example_rows": [int(r) for r in rows[:EXAMPLES_SHOWN]]})
        total = sum(counts.values())
        return [Finding(
            code="data_quality",
            severity=Severity.FAIL,
            message=(f"{split}: {total} infinite values in {len(counts)} column(s) "
                     f"({', '.join(map(repr, list(counts)[:5]))}); a network's loss becomes NaN on them."),
            metrics={"kind": "infinite_values", "split": split, "n_values": total,
                     "columns": {c: n for c, n in counts.items()}},
            columns=columns,
        )]

    @staticmethod
    def _empty_and_constant(split: str, frame: pd.DataFrame) -> list[Finding]:
        empty, constant = [], []
        for column in frame.columns:
            values = frame[column]
            present = values.dropna()
            if present.empty:
                empty.append({"split": split, "column": column, "n_rows": len(values)})
            elif len(values) > 1 and present.nunique() == 1 and len(present) == len(values):
                constant.append({"split": split, "column": column, "value": describe_value(present.iloc[0])})
        findings = []
        if empty:
            findings.append(Finding(
                code="data_quality",
                severity=Severity.WARN,
                message=f"{split}: {len(empty)} column(s) are entirely missing: "
                        f"{', '.join(repr(c['column']) for c in empty[:5])}; drop them or fix the export.",
                metrics={"kind": "all_missing", "split": split, "n_columns": len(empty)},
                columns=empty,
            ))
        if constant:
            findings.append(Finding(
                code="data_quality",
                severity=Severity.INFO,
                message=f"{split}: {len(constant)} column(s) hold one value in every row: "
                        f"{', '.join(repr(c['column']) for c in constant[:5])}; they carry no information.",
                metrics={"kind": "constant", "split": split, "n_columns": len(constant)},
                columns=constant,
            ))
        return findings

    @staticmethod
    def _mixed(split: str, cells: dict[str, tuple[pd.Series, pd.Series]]) -> list[Finding]:
        columns = []
        for column, (text, numeric) in cells.items():
            n_numbers, n_text = int(numeric.sum()), int((~numeric).sum())
            if not n_numbers or not n_text:
                continue
            # The rarer kind is the stray one: words in a number column or numbers among words.
            stray = ~numeric if n_text <= n_numbers else numeric
            columns.append({"split": split, "column": column, "n_numbers": n_numbers, "n_text": n_text,
                            "stray_kind": "text" if n_text <= n_numbers else "numbers",
                            "examples": list(pd.unique(text[stray]))[:EXAMPLES_SHOWN],
                            "example_rows": [int(r) for r in text.index[stray.to_numpy()][:EXAMPLES_SHOWN]]})
        if not columns:
            return []
        return [Finding(
            code="data_quality",
            severity=Severity.WARN,
            message=(f"{split}: {len(columns)} column(s) mix numbers and text: "
                     + "; ".join(f"{c['column']!r} has {c['n_numbers']} numbers and {c['n_text']} text values"
                                 for c in columns[:3]) + "."),
            metrics={"kind": "mixed_types", "split": split, "n_columns": len(columns)},
            columns=columns,
        )]

    @staticmethod
    def _formula_like(split: str, cells: dict[str, tuple[pd.Series, pd.Series]]) -> list[Finding]:
        columns = []
        for column, (text, numeric) in cells.items():
            starts = text.str.startswith(FORMULA_PREFIXES) & ~numeric
            if starts.any():
                rows = text.index[starts.to_numpy()]
                columns.append({"split": split, "column": column, "n_cells": len(rows),
                                "examples": list(pd.unique(text[starts]))[:EXAMPLES_SHOWN],
                                "example_rows": [int(r) for r in rows[:EXAMPLES_SHOWN]]})
        if not columns:
            return []
        total = sum(c["n_cells"] for c in columns)
        return [Finding(
            code="data_quality",
            severity=Severity.INFO,
            message=(f"{split}: {total} text cells in {len(columns)} column(s) start with =, +, - or @ and would "
                     f"run as formulas in a spreadsheet."),
            metrics={"kind": "formula_like", "split": split, "n_cells": total},
            columns=columns,
        )]


def infinite_counts(frame: pd.DataFrame) -> dict[str, int]:
    counts = {}
    for column in frame.columns:
        values = frame[column]
        if is_number_column(values):
            n = int(np.isinf(values.to_numpy(dtype="float64", na_value=np.nan)).sum())
            if n:
                counts[column] = n
    return counts


def covered_by_infinite(outcome: Outcome, infinite: dict[str, int]) -> bool:
    """A range failure made only of infinite values is reported once, as infinite values."""
    return (outcome.kind == "expect_column_values_to_be_between" and outcome.error is None
            and outcome.unexpected_count is not None
            and outcome.unexpected_count <= infinite.get(outcome.column, 0)
            and all(isinstance(v, str) and v in ("inf", "-inf") for v in outcome.examples))


def text_cells(frame: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """For each text or object column: its non-missing cells as strings, and which read as numbers."""
    cells = {}
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        present = values.dropna()
        if len(present):
            text = present.map(str)
            cells[column] = (text, pd.to_numeric(text, errors="coerce").notna())
    return cells


def expected_text(outcome: Outcome) -> str:
    """What the expectation asked for, in a few words."""
    kwargs = outcome.kwargs
    if outcome.kind == "expect_column_values_to_be_between":
        return f"between {kwargs.get('min_value')} and {kwargs.get('max_value')}"
    if outcome.kind == "expect_column_values_to_not_be_null":
        return f"at least {kwargs.get('mostly', 1):.2%} present"
    if outcome.kind == "expect_column_values_to_be_in_set":
        values = kwargs.get("value_set") or []
        return f"one of {', '.join(map(str, values[:5]))}{' ...' if len(values) > 5 else ''}"
    if outcome.kind == "expect_column_values_to_be_in_type_list":
        return f"type in {', '.join(map(str, (kwargs.get('type_list') or [])[:3]))}..."
    if outcome.kind == "expect_table_columns_to_match_ordered_list":
        return f"columns {', '.join(map(str, (kwargs.get('column_list') or [])[:5]))}..."
    shown = {k: v for k, v in kwargs.items() if k != "column"}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "as configured"
