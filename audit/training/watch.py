"""What a progress display learns from training: the fits planned, and each epoch as it ends.

The baseline, the attribution and the diagnosis train through several layers of code that
take no display. A display that wants to follow training registers itself with
:func:`watching` for the length of a run; each fit then adds the callbacks of
:func:`epoch_callbacks` (nothing when no display watches), and a stage that knows how many
fits it will train says so with :func:`plan_training`, so the display can estimate the time
left across fits. Training never waits for the display and never depends on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Protocol


class TrainingWatcher(Protocol):
    """What a display is told about training (see :class:`audit.live.LiveProgress`)."""

    def training_planned(self, fits: int, epochs: int) -> None:
        """The next ``fits`` fits train at most ``epochs`` epochs each."""

    def fit_started(self, epochs: int) -> None:
        """A fit of at most ``epochs`` epochs starts."""

    def epoch_finished(self, epoch: int) -> None:
        """Epoch number ``epoch`` (counted from 1) of the current fit ended."""

    def fit_finished(self) -> None:
        """The current fit ended (all its epochs, or stopped early)."""


_watcher: ContextVar[TrainingWatcher | None] = ContextVar("training_watcher", default=None)


@contextlib.contextmanager
def watching(watcher: TrainingWatcher) -> Iterator[None]:
    """Tell ``watcher`` about every fit started within the block."""
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


def plan_training(fits: int, epochs: int) -> None:
    """Say that the next ``fits`` fits train at most ``epochs`` epochs each."""
    watcher = _watcher.get()
    if watcher is not None:
        watcher.training_planned(fits, epochs)


def epoch_callbacks(keras: Any) -> list[Any]:
    """Keras callbacks telling the watching display about this fit; none when no display watches."""
    watcher = _watcher.get()
    if watcher is None:
        return []

    class EpochTicks(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            watcher.fit_started(int(self.params.get("epochs") or 0))

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            watcher.epoch_finished(epoch + 1)

        def on_train_end(self, logs: dict | None = None) -> None:
            watcher.fit_finished()

    return [EpochTicks()]
