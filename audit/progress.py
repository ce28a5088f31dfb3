"""A one-line progress display on stderr for long steps, shown only on a terminal.

The library reports steps through a callback and never prints; the CLI passes
:func:`terminal_progress` when stderr is a terminal, so CI logs and pipes stay clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[str], None]


def no_progress(step: str) -> None:
    """The library's default: say nothing."""


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
