"""The check contract: the input bundle, findings, severities and the registry.

Everything a check may rely on is defined here, so a check module imports nothing from the
rest of the project and the ``audit`` package can treat every check the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from checks.images.table import ImageSet

SPLITS = ("train", "val")


class Severity(IntEnum):
    """How bad a finding is; ordered so that ``max`` and ``>=`` express the gate."""

    INFO = 0
    WARN = 1
    FAIL = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        """Read ``info``/``warn``/``fail`` as written in flags, config files and JSON."""
        try:
            return cls[str(text).upper()]
        except KeyError:
            allowed = ", ".join(str(s) for s in cls)
            raise ValueError(f"severity must be one of {allowed}; got {text!r}") from None


@dataclass(frozen=True)
class Finding:
    """One problem a check found, with the numbers and the rows or columns behind it.

    ``rows`` holds every flagged row (reporters cap what they show, never the finding), each
    a dict with at least ``split`` and ``row``: the 0-based position of the data row in its
    input file, so a user can find it in the file they gave.
    """

    code: str
    severity: Severity
    message: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, max_rows: int | None = None) -> dict[str, Any]:
        """The finding as JSON values; ``max_rows`` keeps only the first rows (None keeps all)."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "metrics": to_builtin(dict(self.metrics)),
            "rows": to_builtin(self.rows if max_rows is None else self.rows[:max_rows]),
            "columns": to_builtin(self.columns),
        }


def to_builtin(value: Any) -> Any:
    """Turn numpy and pandas scalars into plain JSON values; NaN and infinities become None.

    Strict JSON has no NaN, and a report that ``json.loads`` in another language cannot read
    is no report, so the conversion happens once, here, for every finding.
    """
    if isinstance(value, Mapping):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return [to_builtin(v) for v in items]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if np.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    if value is pd.NaT or (not isinstance(value, (list, dict)) and pd.isna(value) is True):
        return None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat()
    return str(value)


class CheckParameterError(ValueError):
    """A check was configured with a value it cannot use; the message names the parameter."""


@dataclass(frozen=True)
class Parameter:
    """A constructor parameter's rule, written the way the error message states it."""

    rule: str
    accepts: Callable[[Any], bool]


def counted(n: int, noun: str = "row") -> str:
    """'1 row', '2 rows': messages are read by people, one row at a time as often as not."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def agree(n: int, plural: str, singular: str) -> str:
    """The verb form that agrees with a count of ``n``."""
    return singular if n == 1 else plural


def rows_finding(code: str, rows: list[dict[str, Any]], n_rows: int, fail_at_fraction: float, verb: tuple[str, str],
                 says: str, *, noun: str = "row", context: Mapping[str, Any] | None = None,
                 metrics: Mapping[str, Any] | None = None) -> Finding:
    """A finding on the evidence ``rows``, flagged out of a split's ``n_rows``.

    It fails when they are at least ``fail_at_fraction`` of the split, else warns. The message
    reads "<split>: <n> <noun>s (<share>) <verb> <says>", the verb agreeing with n (plural,
    singular) and the split named when ``context`` holds one; the metrics are ``context``,
    then ``n_rows`` (flagged) and ``fraction``, then ``metrics``.
    """
    n_flagged = len(rows)
    share = n_flagged / n_rows
    context = dict(context or {})
    where = f"{context['split']}: " if "split" in context else ""
    return Finding(
        code=code,
        severity=Severity.FAIL if share >= fail_at_fraction else Severity.WARN,
        message=f"{where}{counted(n_flagged, noun)} ({share:.2%}) {agree(n_flagged, *verb)} {says}",
        metrics={**context, "n_rows": n_flagged, "fraction": share, **(metrics or {})},
        rows=rows,
    )


def fraction(allow_none: bool = False) -> Parameter:
    rule = "a float in [0, 1]" + (" or None" if allow_none else "")
    return Parameter(rule, lambda v: (allow_none and v is None) or _is_number(v) and 0 <= v <= 1)


def positive_number(allow_none: bool = False) -> Parameter:
    rule = "a number > 0" + (" or None" if allow_none else "")
    return Parameter(rule, lambda v: (allow_none and v is None) or _is_number(v) and v > 0)


def positive_int() -> Parameter:
    return Parameter("an int >= 1", lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(value)


class Check:
    """Base class of every check.

    Subclasses set ``name`` (stable snake_case), ``needs`` (what the input must provide:
    ``val``, ``group_column``, ``time_column``), ``codes`` (the finding codes they emit) and
    ``parameters`` (a rule per constructor argument), keep their constructor a plain store of
    its arguments, and implement :meth:`run`. The docstring has the sections
    What it detects / Why it matters / How to fix / Parameters; reports show them.
    """

    name: ClassVar[str] = ""
    needs: ClassVar[frozenset[str]] = frozenset()
    codes: ClassVar[tuple[str, ...]] = ()
    parameters: ClassVar[Mapping[str, Parameter]] = {}

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments as given, for the report's settings."""
        signature = inspect.signature(type(self).__init__)
        return {name: getattr(self, name) for name in signature.parameters if name != "self"}

    def validate_params(self) -> None:
        """Raise :class:`CheckParameterError` naming the first bad parameter and the fix."""
        for name, value in self.get_params().items():
            parameter = self.parameters.get(name)
            if parameter is not None and not parameter.accepts(value):
                raise CheckParameterError(
                    f"The {name!r} parameter of the {self.name!r} check must be {parameter.rule}. "
                    f"Got {value!r} instead."
                )

    def run(self, data: "AuditData") -> list[Finding]:
        raise NotImplementedError

    @classmethod
    def description(cls) -> str:
        """The first line of the docstring: what ``audit checks`` prints."""
        return (inspect.getdoc(cls) or "").splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring's sections by heading, for reports and the contract test."""
        sections: dict[str, list[str]] = {}
        current = None
        for line in (inspect.getdoc(cls) or "").splitlines():
            heading = line.strip().rstrip(":")
            if heading in DOC_SECTIONS and line.strip().endswith(":"):
                current = heading
                sections[current] = []
            elif current is not None:
                sections[current].append(line)
        return {k: "\n".join(v).strip() for k, v in sections.items()}


DOC_SECTIONS = ("What it detects", "Why it matters", "How to fix", "Parameters")

REGISTRY: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    """Class decorator that makes a check known to the runner, ``audit checks`` and reports."""
    if not cls.name or cls.name in REGISTRY:
        raise ValueError(f"check {cls.__name__} needs a unique name, got {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls


@dataclass
class AuditData:
    """A labelled train split, an optional validation split, and the roles of their columns.

    Each frame's index is the 0-based data-row number in the input it came from, so evidence
    can point back into the user's file even when a split was cut out of one file. Work that
    several checks need (row hashes, encoded features, neighbours, out-of-fold probabilities)
    is computed once through :meth:`shared` and kept here for the length of one audit.
    ``declared_kinds`` maps a feature column to the kind the user declared for it (see
    :mod:`checks.encoders`); every other column's kind is decided from its values.
    ``images`` holds the decoded pictures when the rows are image files (see
    :mod:`checks.images`).
    """

    frames: dict[str, pd.DataFrame]
    label: str
    id_column: str | None = None
    group_column: str | None = None
    time_column: str | None = None
    ignored: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    random_state: int = 0
    pred_probs: np.ndarray | None = None
    expectations_suite: dict[str, Any] | None = None
    verbose: bool = False
    declared_kinds: dict[str, str] = field(default_factory=dict)
    images: "ImageSet | None" = None
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def splits(self) -> list[str]:
        return [s for s in SPLITS if s in self.frames]

    @property
    def feature_columns(self) -> list[str]:
        """Every column that is not the label, an identifier, a group, a time or ignored."""
        roles = {self.label, self.id_column, self.group_column, self.time_column, *self.ignored}
        return [c for c in self.frames["train"].columns if c not in roles]

    def features(self, split: str) -> pd.DataFrame:
        return self.frames[split][self.feature_columns]

    def labels(self, split: str) -> pd.Series:
        return self.frames[split][self.label]

    def provides(self, need: str) -> bool:
        """Whether the input meets one of a check's ``needs``."""
        if need == "val":
            return "val" in self.frames
        if need == "images":
            return self.images is not None
        if need == "vectors":
            return self.images is None
        if need in ("group_column", "time_column", "id_column"):
            return getattr(self, need) is not None
        raise ValueError(f"unknown need {need!r}")

    def shared(self, key: str, compute: Callable[["AuditData"], Any]) -> Any:
        """Compute ``key`` once per audit and hand the same object to every check."""
        if key not in self._shared:
            self._shared[key] = compute(self)
        return self._shared[key]


def row_evidence(split: str, rows: Iterable[int], **columns: Iterable[Any]) -> list[dict[str, Any]]:
    """Build evidence rows from parallel arrays: ``row_evidence("val", rows, train_row=...)``."""
    rows = list(rows)
    extra = {name: list(values) for name, values in columns.items()}
    return [
        {"split": split, "row": row, **{name: values[i] for name, values in extra.items()}}
        for i, row in enumerate(rows)
    ]
