"""SIGTERM and SIGHUP end a run the way Ctrl-C does.

A CI runner cancelling a job sends SIGTERM, a closed terminal SIGHUP; left to their defaults
they end the process at once, silently. Raised as :class:`Terminated` (a KeyboardInterrupt),
they unwind through the same paths as Ctrl-C: every temporary file is removed, the previous
report stays, and the command line prints one line and exits with 128 + the signal's number.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

HANDLED = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The run was asked to stop by a signal other than SIGINT."""

    def __init__(self, signal_number: int):
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number


def _raise_terminated(signal_number: int, _frame) -> None:
    raise Terminated(signal_number)


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Terminated`; the old handlers come back after."""
    previous = {}
    try:
        for number in HANDLED:
            previous[number] = signal.signal(number, _raise_terminated)
    except ValueError:  # not the main thread: signals cannot be caught here, so leave them be
        for number, handler in previous.items():
            signal.signal(number, handler)
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
