"""Data quality: an expectation suite validated on both splits, plus what expectations miss."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from checks.base import AuditData, Check, Finding, Severity, counted, fraction, positive_int, positive_number, register
from checks.expectations_chunks import validate_in_chunks
from checks.expectations_suite import Outcome, SuiteSettings, inferred_suite
from checks.quality_facts import Cells, Mixed, SplitFacts, split_facts, stray_is_text
from checks.text.columns import text_columns
from checks.text.quality import issue_finding, text_quality

INFERRED = "inferred from train"
RANGE = "expect_column_values_to_be_between"
# A range learnt from train rows is passed by a few val rows of a random split: the largest of
# n_val + n_train values drawn alike falls in val with chance n_val / (n_train + n_val), so
# about 2 n_val / (n_train + 1) val rows lie beyond train's extremes (fewer once the range is
# widened). Up to this many times that, and at least this many rows, is what chance does: info.
HANDFUL_ROWS = 3


def expected_outside(n_train: int, n_rows: int) -> float:
    """Rows of a split of ``n_rows`` a random split puts beyond the extremes of ``n_train`` train rows."""
    return 2 * n_rows / (n_train + 1)


def chance_overflow(outcome: Outcome, random_outside: float) -> bool:
    """A failed range that chance explains: a handful of rows (see ``HANDFUL_ROWS``), each just
    outside, within half the range's width beyond it or, for whole numbers, at the next whole
    number (a count of 0 or 1 in train meets a 2 in val by chance); a value far out is no chance."""
    if outcome.kind != RANGE or outcome.unexpected_count > max(HANDFUL_ROWS, HANDFUL_ROWS * random_outside):
        return False
    low, high = outcome.kwargs.get("min_value"), outcome.kwargs.get("max_value")
    if low is None or high is None or len(outcome.examples) < outcome.unexpected_count:
        return False  # every such row must be seen to be just outside
    try:
        values = [float(value) for value in outcome.examples]
    except (TypeError, ValueError):
        return False
    whole = all(value.is_integer() for value in values)
    reach = max(0.5 * (high - low), 1.0 if whole else 0.0)
    return all(low - reach <= value <= high + reach for value in values)


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
        counted for information). Free-text columns (checks/text/quality.py): empty and
        whitespace-only texts, lengths extreme for the column, mojibake and markup remnants,
        each with its rows (``text_issue`` names which). One info finding summarises the
        suite and its results.

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
        max_seconds: time budget for validating the suite; once spent, the columns left are
            not validated and the summary warns, naming them.
    """

    name = "data_quality"
    codes = ("data_quality",)
    parameters = {
        "fail_at_fraction": fraction(),
        "range_margin": fraction(),
        "null_margin": fraction(),
        "max_categories": positive_int(),
        "max_seconds": positive_number(),
    }

    def __init__(self, fail_at_fraction=0.05, range_margin=0.1, null_margin=0.02, max_categories=20,
                 max_seconds=600.0):
        self.fail_at_fraction = fail_at_fraction
        self.range_margin = range_margin
        self.null_margin = null_margin
        self.max_categories = max_categories
        self.max_seconds = max_seconds

    def settings(self) -> SuiteSettings:
        return SuiteSettings(self.range_margin, self.null_margin, self.max_categories)

    def inferred_suite(self, data: AuditData) -> dict[str, Any]:
        """The suite inferred from train with this check's margins (what --write-expectations saves)."""
        return inferred_suite(data, self.settings())

    def suite(self, data: AuditData) -> tuple[dict[str, Any], str]:
        """The suite to validate and where it came from."""
        if data.expectations_suite is not None:
            return data.expectations_suite, "given"
        return self.inferred_suite(data), INFERRED

    def run(self, data: AuditData) -> list[Finding]:
        suite, source = self.suite(data)
        validated = validate_in_chunks(suite, {split: data.frames[split] for split in data.splits}, data.verbose,
                                       max_seconds=self.max_seconds)
        findings = self.findings(suite, source, validated.outcomes, validated.invalid,
                                 {split: split_facts(data.frames[split]) for split in data.splits},
                                 not_validated=validated.not_validated)
        for column in text_columns(data):
            issues = text_quality(column, {split: data.frames[split][column] for split in data.splits})
            findings += [issue_finding(issue, len(data.frames[issue.split])) for issue in issues]
        return findings

    def findings(self, suite: dict[str, Any], source: str, outcomes: dict[str, list[Outcome]],
                 invalid: list[Outcome], facts: Mapping[str, SplitFacts],
                 engine_metrics: Mapping[str, Any] | None = None,
                 not_validated: Sequence[str] = ()) -> list[Finding]:
        """The findings from the validated suite and each split's facts, however measured.

        Every engine ends here, so a failed expectation or an infinite value reads the same
        whichever engine found it; ``engine_metrics`` adds to the summary how the engine
        inferred and validated the suite; ``not_validated``, the columns the time budget cut.
        """
        findings = [self._summary(suite, source, outcomes, invalid, engine_metrics, not_validated)]
        findings += [self._invalid(o) for o in invalid]
        for split, found in outcomes.items():
            infinite = {cells.column: cells.count for cells in facts[split].infinite}
            retyped = {o.column for o in found if o.kind == "expect_column_values_to_be_in_type_list" and not o.success}
            for outcome in found:
                if outcome.success or covered_by_infinite(outcome, infinite):
                    continue
                if outcome.error is not None and outcome.column in retyped:
                    continue  # a range or set cannot be computed on a column of another type
                random_outside = (expected_outside(facts["train"].n_rows, facts[split].n_rows)
                                  if source == INFERRED and split != "train" else None)
                findings.append(self._failed(split, outcome, facts[split].n_rows, random_outside))
        for split, measured in facts.items():
            findings += self._infinite(split, measured)
            findings += self._empty_and_constant(split, measured)
            findings += self._mixed(split, measured.mixed)
            findings += self._formula_like(split, measured.formula_like)
        return findings

    def _summary(self, suite: dict[str, Any], source: str, outcomes: dict[str, list[Outcome]],
                 invalid: list[Outcome], engine_metrics: Mapping[str, Any] | None,
                 not_validated: Sequence[str]) -> Finding:
        n_expectations = len(suite.get("expectations", []))
        passed = {split: sum(o.success for o in found) for split, found in outcomes.items()}
        parts = ", ".join(f"{split} meets {passed[split]}" for split in outcomes)
        cut = ""
        if not_validated:
            shown = ", ".join(map(repr, not_validated[:5])) + (" ..." if len(not_validated) > 5 else "")
            cut = (f" The time budget ({self.max_seconds:g} s) ran out: the expectations of "
                   f"{counted(len(not_validated), 'column')} were not validated ({shown}); raise "
                   f"max_seconds under [params.data_quality] in audit.toml to validate them.")
        return Finding(
            code="data_quality",
            severity=Severity.WARN if not_validated else Severity.INFO,
            message=f"{n_expectations} expectations ({source}): {parts}.{cut}",
            metrics={"kind": "summary", "suite_source": source, "suite_name": suite.get("name"),
                     "n_expectations": n_expectations, "n_invalid": len(invalid), "passed": passed,
                     "failed": {split: len(found) - passed[split] for split, found in outcomes.items()},
                     "not_validated_columns": list(not_validated),
                     **(engine_metrics or {})},
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

    def _failed(self, split: str, outcome: Outcome, n_rows: int, random_outside: float | None = None) -> Finding:
        """``random_outside``: for a range inferred from train, how many rows of this split a
        random split would put outside it (see :func:`expected_outside`); None otherwise."""
        column = outcome.column
        where = f"column {column!r}" if column is not None else "the table"
        counted = outcome.unexpected_count is not None and outcome.error is None
        share = outcome.unexpected_count / n_rows if counted and n_rows else None
        handful = random_outside is not None and counted and chance_overflow(outcome, random_outside)
        if outcome.error is not None or not counted or outcome.kind in TABLE_EXPECTATIONS:
            severity = Severity.FAIL
        elif handful:
            severity = Severity.INFO
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
        if handful:
            detail += (f"; as many as a random split puts outside a range learnt from train "
                       f"(about {random_outside:.1f} rows), so info")
        return Finding(
            code="data_quality",
            severity=severity,
            message=f"{split}: {where} fails {outcome.kind} ({expected_text(outcome)}): {detail}.",
            metrics={"kind": "expectation", **evidence},
            columns=[evidence],
        )

    @staticmethod
    def _infinite(split: str, facts: SplitFacts) -> list[Finding]:
        if not facts.infinite:
            return []
        columns = [{"split": split, "column": c.column, "n_rows": c.count, "fraction": c.count / facts.n_rows,
                    "examples": c.examples, "example_rows": c.example_rows} for c in facts.infinite]
        total = sum(c.count for c in facts.infinite)
        return [columns_finding(split, "infinite_values", Severity.FAIL,
                                f"{total} infinite values in {len(columns)} column(s) "
                                f"({', '.join(repr(c.column) for c in facts.infinite[:5])}); "
                                f"a network's loss becomes NaN on them.",
                                columns, {"n_values": total, "columns": {c.column: c.count for c in facts.infinite}})]

    @staticmethod
    def _empty_and_constant(split: str, facts: SplitFacts) -> list[Finding]:
        findings = []
        if facts.empty:
            findings.append(columns_finding(
                split, "all_missing", Severity.WARN,
                f"{len(facts.empty)} column(s) are entirely missing: "
                f"{', '.join(repr(c) for c in facts.empty[:5])}; drop them or fix the export.",
                [{"split": split, "column": c, "n_rows": facts.n_rows} for c in facts.empty],
                {"n_columns": len(facts.empty)}))
        if facts.constant:
            findings.append(columns_finding(
                split, "constant", Severity.INFO,
                f"{len(facts.constant)} column(s) hold one value in every row: "
                f"{', '.join(repr(c) for c, _ in facts.constant[:5])}; they carry no information.",
                [{"split": split, "column": c, "value": value} for c, value in facts.constant],
                {"n_columns": len(facts.constant)}))
        return findings

    @staticmethod
    def _mixed(split: str, mixed: list[Mixed]) -> list[Finding]:
        if not mixed:
            return []
        columns = [{"split": split, "column": m.column, "n_numbers": m.n_numbers, "n_text": m.n_text,
                    "stray_kind": "text" if stray_is_text(m.n_numbers, m.n_text) else "numbers",
                    "examples": m.examples, "example_rows": m.example_rows} for m in mixed]
        return [columns_finding(split, "mixed_types", Severity.WARN,
                                f"{len(columns)} column(s) mix numbers and text: "
                                + "; ".join(f"{m.column!r} has {m.n_numbers} numbers and {m.n_text} text values"
                                            for m in mixed[:3]) + ".",
                                columns, {"n_columns": len(columns)})]

    @staticmethod
    def _formula_like(split: str, formula_like: list[Cells]) -> list[Finding]:
        if not formula_like:
            return []
        columns = [{"split": split, "column": c.column, "n_cells": c.count, "examples": c.examples,
                    "example_rows": c.example_rows} for c in formula_like]
        total = sum(c.count for c in formula_like)
        return [columns_finding(split, "formula_like", Severity.INFO,
                                f"{total} text cells in {len(columns)} column(s) start with =, +, - or @ and would "
                                f"run as formulas in a spreadsheet.",
                                columns, {"n_cells": total})]


def columns_finding(split: str, kind: str, severity: Severity, says: str, columns: list[dict[str, Any]],
                    counts: Mapping[str, Any]) -> Finding:
    """A data_quality finding on some columns of a split: "<split>: <says>", its kind and counts."""
    return Finding(code="data_quality", severity=severity, message=f"{split}: {says}",
                   metrics={"kind": kind, "split": split, **counts}, columns=columns)


def covered_by_infinite(outcome: Outcome, infinite: dict[str, int]) -> bool:
    """A range failure made only of infinite values is reported once, as infinite values."""
    return (outcome.kind == "expect_column_values_to_be_between" and outcome.error is None
            and outcome.unexpected_count is not None
            and outcome.unexpected_count <= infinite.get(outcome.column, 0)
            and all(isinstance(v, str) and v in ("inf", "-inf") for v in outcome.examples))


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
