"""How the library reports its steps while it works, without ever printing.

A step is a short text ("check duplicates", "baseline: 3 seeds x 40 epochs ..."), and an
empty one means the step is over. A callback may also take each check's result as the
check finishes (a ``check_finished`` method, see :func:`report_check`). The command line
passes :class:`audit.live.LiveProgress`, which shows both, and training's progress, where a
reader wants them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audit.runner import CheckResult

Progress = Callable[[str], None]


def no_progress(step: str) -> None:
    """The library's default: say nothing."""


def report_check(progress: Progress, result: CheckResult) -> None:
    """Hand a finished check's result to a progress display that shows results; others only see steps."""
    finished = getattr(progress, "check_finished", None)
    if finished is not None:
        finished(result)
