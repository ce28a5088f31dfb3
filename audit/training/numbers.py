"""Numbers over seeds, and the words they are written in.

Every training result is a set of seeds, so every number is a spread: its mean, sample
standard deviation, min, max and how many seeds had it. Strict JSON has no NaN or infinity,
so a number that is not finite becomes None here, once, and every sentence the baseline,
the attribution and the diagnosis write prints numbers the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def finite(value: Any) -> float | None:
    """A float, or None for missing, NaN or infinite values (strict JSON)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def rounded(values: Iterable[Any], digits: int = 6) -> list[float | None]:
    """Finite values rounded to ``digits``, None for the rest."""
    return [None if finite(v) is None else round(float(v), digits) for v in values]


def difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def relative(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else finite(part / whole)


@dataclass(frozen=True)
class Spread:
    """Mean, sample std, min, max and count of a number over seeds; None where no seed had it."""

    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    n: int = 0

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Spread:
        """The spread of the values present (None counts as missing)."""
        present = [v for v in values if v is not None]
        if not present:
            return cls()
        array = np.asarray(present, dtype="float64")
        std = float(array.std(ddof=1)) if len(array) > 1 else 0.0
        return cls(finite(array.mean()), finite(std), finite(array.min()), finite(array.max()), len(present))

    def negated(self) -> Spread:
        """The spread of minus the values: mean, min and max flip, the std stays."""
        def minus(value: float | None) -> float | None:
            return None if value is None else -value

        return Spread(minus(self.mean), self.std, minus(self.max), minus(self.min), self.n)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "min": self.min, "max": self.max, "n": self.n}


@dataclass(frozen=True)
class RawFixed:
    """One number of the raw run beside the same number of the fixed run."""

    raw: Any
    fixed: Any

    def to_dict(self) -> dict[str, Any]:
        return {"raw": jsonable(self.raw), "fixed": jsonable(self.fixed)}


def jsonable(value: Any) -> Any:
    """Typed results inside plain containers as plain dicts (``to_dict``), containers kept."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


# -------------------------------------------------------------------------- words


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def pm(spread: Spread, digits: int = 3) -> str:
    """mean ± std over seeds (the std only when more than one seed had the number)."""
    if spread.mean is None:
        return "n/a"
    shown = f"{spread.mean:.{digits}f}"
    return shown + (f" ± {spread.std:.{digits}f}" if spread.n > 1 and spread.std is not None else "")


def epoch_pm(spread: Spread) -> str:
    """An epoch as mean ± std over seeds, whole numbers; "none" where no seed had one."""
    if spread.mean is None:
        return "none"
    return f"{spread.mean:.0f}" + (f" ± {spread.std:.0f}" if spread.n > 1 and spread.std else "")
