"""A one-line progress display on stderr for long steps, shown only on a terminal.

The library reports steps through a callback and never prints. A callback may also take
each check's result as the check finishes (a ``check_finished`` method, see
:func:`report_check`): the command line's :class:`audit.live.LiveProgress` prints them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

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


def terminal_progress(stream: TextIO | None = None) -> Progress:
    """A callback that rewrites one status line with the step and the time since the start."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return no_progress
    started = time.perf_counter()

    def show(step: str) -> None:
        if step:
            stream.write(f"\r\x1b[2K[{time.perf_counter() - started:6.1f}s] {step}")
        else:
            stream.write("\r\x1b[2K")
        stream.flush()

    return show
