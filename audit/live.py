"""What the command line shows while a run works: each check's result as it finishes, and training's progress.

Three streams of news, each where a reader of a terminal or of a CI log wants it:

- each check, as it finishes, is one line on stdout ("check duplicates: 2 findings (worst:
  warn): exact_duplicates, conflicting_labels"), the same on every run of the same data; the
  final report then gives each finding's message, worst first. Only with the text output:
  JSON and GitHub output stay as they are;
- on a terminal, one status line on stderr is rewritten with the step, and while a network
  trains, a bar with the fit, the epoch and an estimate of the time left;
- when stderr is not a terminal, nothing, unless ``--progress`` asks for plain lines: one a
  step, and one a fit and every ``interval_s`` seconds while training.

The time left counts the fits the stage planned (see :mod:`audit.training.watch`) and two
paces measured in the stage: a fit's first epoch, which includes building and tracing the
model (the first of a run also importing TensorFlow), and the epochs after it, which are
far shorter; mixing them would promise an hour after the first epoch.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TextIO

from audit.render.text import one_line
from audit.runner import CheckResult, override_severities
from audit.training.watch import watching

PERIODIC_INTERVAL_S = 10.0
REDRAW_INTERVAL_S = 0.2
BAR_WIDTH = 20


@dataclass(frozen=True)
class Pace:
    """Mean seconds of a fit's first epoch (model built and traced) and of the epochs after it; None: none yet."""

    first_epoch_s: float | None = None
    epoch_s: float | None = None


def seconds_left(pace: Pace, epochs_left: int, fits_left: int, epochs_per_fit: int) -> float | None:
    """The time the rest of the current fit (``epochs_left`` epochs) and ``fits_left`` more fits of
    ``epochs_per_fit`` take at ``pace``; None while a pace it needs is not measured yet."""
    first, later = pace.first_epoch_s, pace.epoch_s
    if epochs_left <= 0 and fits_left <= 0:
        return 0.0
    if first is None or (later is None and (epochs_left > 0 or epochs_per_fit > 1)):
        return None
    later = later or 0.0
    return epochs_left * later + fits_left * (first + max(epochs_per_fit - 1, 0) * later)


def time_left_text(seconds: float | None) -> str:
    """``seconds_left`` in words a reader takes in at a glance: "about 1 min 05 s left"."""
    if seconds is None:
        return "estimating the time left"
    if seconds <= 0:
        return "done"
    whole = max(round(seconds), 1)
    if whole < 60:
        return f"about {whole} s left"
    if whole < 3600:
        return f"about {whole // 60} min {whole % 60:02d} s left"
    return f"about {whole // 3600} h {whole % 3600 // 60:02d} min left"


def check_line(result: CheckResult) -> str:
    """One check's outcome in one line: how many findings, the worst severity and their codes."""
    if result.status == "skipped":
        return f"check {result.check}: skipped: {one_line(result.detail or '')}"
    if result.status == "error":
        last = (result.detail or "").strip().splitlines()[-1:] or ["unknown error"]
        return f"check {result.check}: crashed ({one_line(last[0])})"
    if not result.findings:
        return f"check {result.check}: nothing found"
    n = len(result.findings)
    codes = ", ".join(dict.fromkeys(f.code for f in result.findings))
    return f"check {result.check}: {n} finding{'s' if n != 1 else ''} (worst: {result.severity}): {codes}"


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = min(width, done * width // total) if total > 0 else 0
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class LiveProgress:
    """A :data:`audit.progress.Progress` callback that also shows check results and follows training.

    ``checks_to`` receives a line a finished check (None: not shown); ``status`` is where
    steps and training progress go: a rewritten line on a terminal, plain lines when
    ``periodic`` (else nothing). ``overrides`` are the configuration's severity overrides,
    so a check's line gives the severity the report will.
    """

    def __init__(self, *, checks_to: TextIO | None = None, status: TextIO | None = None, periodic: bool = False,
                 overrides: Mapping[str, str] | None = None, interval_s: float = PERIODIC_INTERVAL_S,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.checks_to = checks_to
        self.status = status or sys.stderr
        self.terminal = self.status.isatty()
        self.periodic = periodic and not self.terminal
        self.overrides = dict(overrides or {})
        self.interval_s = interval_s
        self.clock = clock
        self.started = self.last_written = clock()
        self.step = self.shown = self.last_line = ""
        self._stage_reset(fits=0, epochs=0)

    # steps and checks
    def __call__(self, step: str) -> None:
        self.step = step
        if self.periodic and step:
            self._line(step)
        self._redraw()

    def check_finished(self, result: CheckResult) -> None:
        if self.checks_to is None:
            return
        result = override_severities([result], self.overrides)[0]
        self._clear()
        print(check_line(result), file=self.checks_to, flush=True)
        self._redraw()

    # training (audit.training.watch.TrainingWatcher)
    def training_planned(self, fits: int, epochs: int) -> None:
        self._stage_reset(fits, epochs)

    def fit_started(self, epochs: int) -> None:
        if self.fits_started >= self.fits_planned:  # a fit no stage announced: a stage of its own
            self._stage_reset(fits=1, epochs=epochs)
        self.fit_started_at = self.clock()
        self.label = self.step.split(":")[0] or "training"
        self.fits_started += 1
        self.fit_epochs, self.epoch = epochs, 0

    def epoch_finished(self, epoch: int) -> None:
        now = self.clock()
        if epoch == 1:
            self.first_epochs_s.append(now - self.fit_started_at)
        else:
            self.later_epochs_s.append(now - self.epoch_ended_at)
        self.epoch, self.epoch_ended_at = epoch, now
        if self.periodic and now - self.last_written >= self.interval_s:
            self._line(self.training_text())
        elif self.terminal and (epoch == self.fit_epochs or now - self.last_written >= REDRAW_INTERVAL_S):
            self._redraw()

    def fit_finished(self) -> None:
        if self.periodic:
            self._line(self.training_text())
        self.epochs_before += self.epoch
        self.fit_epochs = self.epoch = 0
        self._redraw()

    def training_text(self) -> str:
        """Where training is: the fit, the epoch and the time left (with a bar on a terminal)."""
        fits_left = self.fits_planned - self.fits_started
        pace = Pace(mean(self.first_epochs_s), mean(self.later_epochs_s))
        left = time_left_text(seconds_left(pace, self.fit_epochs - self.epoch, fits_left, self.epochs_per_fit))
        done = self.epochs_before + self.epoch
        total = done + (self.fit_epochs - self.epoch) + fits_left * self.epochs_per_fit
        shown_bar = f" {bar(done, total)}" if self.terminal else ""
        return (f"{self.label}: fit {self.fits_started}/{self.fits_planned}, epoch {self.epoch}/{self.fit_epochs}"
                f"{shown_bar}, {left}")

    def close(self) -> None:
        """Leave the terminal's status line empty (after the run, or when it is stopped)."""
        self.step = ""
        self._clear()

    def _stage_reset(self, fits: int, epochs: int) -> None:
        self.fits_planned, self.epochs_per_fit = fits, epochs
        self.fits_started = self.epochs_before = self.fit_epochs = self.epoch = 0
        self.fit_started_at = self.epoch_ended_at = self.clock()
        self.first_epochs_s: list[float] = []
        self.later_epochs_s: list[float] = []
        self.label = ""

    def _stamp(self, text: str) -> str:
        return f"[{self.clock() - self.started:6.1f}s] {text}"

    def _line(self, text: str) -> None:
        """A plain line, unless it would repeat the last one (a fit's end right after its last epoch's line)."""
        if text != self.last_line:
            self.status.write(self._stamp(text) + "\n")
            self.status.flush()
            self.last_line, self.last_written = text, self.clock()

    def _redraw(self) -> None:
        if not self.terminal:
            return
        training = self.step and self.fit_epochs
        text = self._stamp(self.training_text() if training else self.step) if self.step else ""
        width = shutil.get_terminal_size().columns - 1
        self.status.write("\r\x1b[2K" + text[:width])
        self.status.flush()
        self.shown, self.last_written = text, self.clock()

    def _clear(self) -> None:
        if self.terminal and self.shown:
            self.status.write("\r\x1b[2K")
            self.status.flush()
            self.shown = ""


@contextlib.contextmanager
def live_progress(*, show_checks: bool, periodic: bool,
                  overrides: Mapping[str, str] | None = None) -> Iterator[LiveProgress]:
    """The command line's display for one run: check lines on stdout when ``show_checks``,
    progress on stderr (``periodic``: ``--progress``), cleared when the run ends or stops."""
    live = LiveProgress(checks_to=sys.stdout if show_checks else None, status=sys.stderr, periodic=periodic,
                        overrides=overrides)
    with watching(live):
        try:
            yield live
        finally:
            live.close()
