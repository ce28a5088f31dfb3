"""Curve statistics: what a seed's train and val loss curves say, read the same way everywhere.

Losses are cross-entropy in nats. Per seed:

* best epoch: the epoch of minimum val loss over the full budget (1-based), which early
  stopping with ``restore_best_weights`` and unlimited patience would restore;
* early stopping: where ``EarlyStopping(monitor="val_loss", patience=patience,
  restore_best_weights=True)`` would have stopped, and the epoch it would restore;
* stall epoch: that restored epoch, when early stopping would have fired while the train
  loss still fell afterwards; None when the val loss never stopped improving for
  ``patience`` epochs. The plain argmin is not used for this: on a noisy plateau it lands
  wherever the val loss happens to dip lowest, often near the end;
* the gap (val loss minus train loss) at the end and at the best epoch.

The baseline and the diagnosis both read a run this way and each adds its own numbers
(the baseline its reference loss, the diagnosis the patience early stopping would need).
Over seeds, every number is a :class:`~audit.training.numbers.Spread`, and every curve a
band of them, epoch by epoch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.training.numbers import Spread


@dataclass(frozen=True)
class CurveBand:
    """A curve over seeds, epoch by epoch: mean, sample std, min and max."""

    mean: tuple[float | None, ...]
    std: tuple[float | None, ...]
    min: tuple[float | None, ...]
    max: tuple[float | None, ...]

    @classmethod
    def of(cls, per_seed: Sequence[Sequence[float | None]]) -> CurveBand:
        """Per-epoch spread over seeds; a seed stopped early simply drops out of later epochs."""
        length = max(len(curve) for curve in per_seed)
        epochs = [Spread.of([curve[i] if i < len(curve) else None for curve in per_seed]) for i in range(length)]
        return cls(*(tuple(getattr(epoch, stat) for epoch in epochs) for stat in ("mean", "std", "min", "max")))

    def to_dict(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "std": list(self.std), "min": list(self.min), "max": list(self.max)}


def usable_epochs(train: Sequence[float | None], val: Sequence[float | None]) -> int:
    """How many leading epochs have finite (not None) train and val losses."""
    count = 0
    for train_loss, val_loss in zip(train, val, strict=False):
        if train_loss is None or val_loss is None:
            break
        count += 1
    return count


def early_stopping(val: Sequence[float], patience: int) -> tuple[int | None, int]:
    """(stopped epoch or None, restored epoch), 1-based, as Keras EarlyStopping would do."""
    best, wait = 0, 0
    for epoch in range(1, len(val)):
        if val[epoch] < val[best]:
            best, wait = epoch, 0
            continue
        wait += 1
        if wait >= patience:
            return epoch + 1, best + 1
    return None, best + 1


def stall_epoch(train: Sequence[float], val: Sequence[float], patience: int) -> int | None:
    """Where val loss stopped improving while train loss kept falling (1-based), or None.

    "Stopped improving" is judged the way the user's early stopping would judge it: no new
    minimum for ``patience`` epochs. The plain argmin over the full budget is not used:
    on a noisy plateau it lands wherever the val loss happens to dip lowest, often near
    the end, long after it stopped improving in earnest.
    """
    stopped, restored = early_stopping(val, patience)
    if stopped is None:
        return None
    return restored if min(train[restored:]) < train[restored - 1] else None


def curve_numbers(train: Sequence[float], val: Sequence[float], patience: int) -> dict[str, Any]:
    """What one seed's finite train and val curves say: best epoch, stall, gaps, early stopping."""
    best = int(np.argmin(val))
    stopped, restored = early_stopping(val, patience)
    return {
        "epochs_run": len(val),
        "best_epoch": best + 1,
        "best_val_loss": val[best],
        "stall_epoch": stall_epoch(train, val, patience),
        "end_gap": val[-1] - train[-1],
        "best_gap": val[best] - train[best],
        "train_loss_end": train[-1],
        "val_loss_end": val[-1],
        "early_stop_epoch": stopped,
        "early_stop_restored_epoch": restored,
    }


def patience_needed(val: Sequence[float]) -> int:
    """The smallest EarlyStopping patience that reaches the global best epoch (1 + longest wait before it)."""
    best_so_far, wait, longest = math.inf, 0, 0
    target = int(np.argmin(val))
    for epoch in range(target + 1):
        if val[epoch] < best_so_far:
            best_so_far, wait = val[epoch], 0
        else:
            wait += 1
            longest = max(longest, wait)
    return longest + 1


def climb_from_lowest(curve: Sequence[float | None]) -> float | None:
    """How far a curve ends above its lowest epoch; None when its last epoch is missing."""
    present = [value for value in curve if value is not None]
    return None if curve[-1] is None else curve[-1] - min(present)
