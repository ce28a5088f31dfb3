"""Fitting every seed of a run side by side, with a deadline and a clean stop on Ctrl-C.

The network is tiny, so Keras' per-step and per-epoch overhead dominates, not arithmetic.
All seeds of a run train together as copies side by side in one model (one fit, one data
pipeline, one trace); each copy has its own initialisation and dropout masks, while all
see the same batches, so the seed spread covers initialisation and dropout but not batch
order. ``steps_per_execution=32`` and a batch size growing with the data keep epochs cheap;
the clean reference set is scored at every epoch end through the compiled test function.

Keras' own train loss is the mean over the epoch's batches with dropout active and class
weights applied: with dropout it sits above the loss of the same weights in inference mode,
and a gap read from it (val loss minus train loss) can be negative while the model fits
train far better than val. So a fixed sample of train rows (at most ``TRAIN_SAMPLE_ROWS``,
chosen by the seed) is also scored at every epoch end the way val is, in inference mode and
unweighted: the ``train_inference_loss`` curve, kept beside Keras' ``train_loss``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from audit.training import runtime
from audit.training.encoding import Encoded
from audit.training.inputs import BaselineSettings
from audit.training.numbers import finite
from audit.training.watch import epoch_callbacks

log = logging.getLogger(__name__)

STEPS_PER_EXECUTION = 32
EVAL_BATCH_SIZE = 1024
TRAIN_SAMPLE_ROWS = 2048


def batch_size_for(n_rows: int, settings: BaselineSettings) -> int:
    """32 under 10k rows, 128 under 100k, 512 above: per-step overhead dominates."""
    if settings.batch_size is not None:
        return settings.batch_size
    if n_rows < 10_000:
        return 32
    return 128 if n_rows < 100_000 else 512


def never() -> bool:
    return False


def train_sample(n_rows: int, random_state: int) -> np.ndarray:
    """The train rows scored in inference mode at every epoch end: all of them, or a seeded
    sample of ``TRAIN_SAMPLE_ROWS``, in their input order."""
    if n_rows <= TRAIN_SAMPLE_ROWS:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(random_state).choice(n_rows, TRAIN_SAMPLE_ROWS, replace=False))


def train_run(
    keras: Any,
    data: Encoded,
    build: Callable[[tuple[int, ...]], Any],
    settings: BaselineSettings,
    epochs: int,
    batch_size: int,
    deadline: float | None,
    interrupted: Callable[[], bool] = never,
) -> tuple[list[dict], bool]:
    """Fit all seeds of one run at once; return per-seed curves and whether time ran out."""
    keras.backend.clear_session()  # clears global state, the seed included: seed after it
    runtime.seed_everything(settings.random_state)
    model = _stacked_model(keras, build, tuple(data.x_train.shape[1:]), settings.seeds)
    names = list(model.output_names)

    def per_seed(y: np.ndarray) -> dict:
        return dict.fromkeys(names, y)

    sample = train_sample(len(data.y_train), settings.random_state)
    scored = {"reference": (data.x_ref, per_seed(data.y_ref)),
              "train_inference": (data.x_train[sample], per_seed(data.y_train[sample]))}
    epoch_end = _epoch_end_callback(keras, scored, deadline, interrupted)
    weights = None if data.class_weight is None else per_seed(_row_weights(data.y_train, data.class_weight))
    history = model.fit(
        data.x_train,
        per_seed(data.y_train),
        sample_weight=weights,
        validation_data=(data.x_val, per_seed(data.y_val)),
        validation_batch_size=_even_batch(len(data.y_val)),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[keras.callbacks.TerminateOnNaN(), epoch_end, *epoch_callbacks(keras)],
        shuffle=True,
        verbose=0,
    )
    curves = [_seed_curves(history.history, epoch_end.scores, name, len(names)) for name in names]
    if len(history.history.get("loss", [])) < epochs and not epoch_end.out_of_time and not interrupted():
        log.warning("baseline training stopped at epoch %d on a non-finite loss", len(history.history["loss"]))
    return curves, epoch_end.out_of_time


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Hold a Ctrl-C back until training can stop cleanly, then raise KeyboardInterrupt.

    Raised inside TensorFlow's import or tracing, a KeyboardInterrupt surfaces as an
    unrelated error (SystemError, AttributeError) and the run looks like a crash. Held back,
    it stops training at the next epoch end (the callback asks the yielded function) and
    is raised as itself. Only the main thread can take signals; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield lambda: False
        return
    pending: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield lambda: bool(pending)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pending:
        raise KeyboardInterrupt


def _even_batch(n_rows: int) -> int:
    """An evaluation batch size that splits n_rows into near-equal batches of <= EVAL_BATCH_SIZE.

    Keras averages a multi-output model's per-output losses over batches without
    weighting them by batch size, so equal batches keep the per-seed losses exact.
    """
    return math.ceil(n_rows / math.ceil(n_rows / EVAL_BATCH_SIZE))


def _stacked_model(keras: Any, build: Callable[[tuple[int, ...]], Any], input_shape: tuple[int, ...],
                   seeds: int) -> Any:
    """``seeds`` independently initialised copies of the network side by side, compiled.

    One fit then trains every seed: Keras' per-epoch and per-step overhead, which
    dominates for a network this small, is paid once instead of once per seed. Output
    ``seed_k`` is the k-th copy; each has its own loss and accuracy in the logs.
    """
    inputs = keras.Input(shape=input_shape)
    copies = [build(input_shape) for _ in range(seeds)]
    outputs = {}
    for k, copy in enumerate(copies):
        copy.name = f"seed_{k}"
        outputs[copy.name] = copy(inputs)
    model = keras.Model(inputs, outputs)
    optimizer, loss = _optimizer_and_loss(keras, copies[0])
    model.compile(
        optimizer=optimizer,
        loss=dict.fromkeys(outputs, loss),
        metrics={name: [keras.metrics.SparseCategoricalAccuracy(name="accuracy")] for name in outputs},
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    return model


def _optimizer_and_loss(keras: Any, model: Any) -> tuple[Any, Any]:
    """Adam and sparse cross-entropy, or the optimizer settings and loss a user compiled with."""
    if not getattr(model, "compiled", False):
        return keras.optimizers.Adam(), "sparse_categorical_crossentropy"
    optimizer = model.optimizer
    return type(optimizer).from_config(optimizer.get_config()), model.loss


def _row_weights(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-row weights from class weights (Keras takes class_weight for one output only)."""
    lookup = np.ones(int(y.max()) + 1)
    for code, weight in class_weight.items():
        lookup[code] = weight
    return lookup[y]


def _metric_key(output: str, metric: str, n_outputs: int) -> str:
    """Keras names per-output metrics ``<output>_<metric>`` only when there are several outputs."""
    return f"{output}_{metric}" if n_outputs > 1 else metric


def _seed_curves(history: dict, scores: dict[str, list[dict]], output: str, n_outputs: int) -> dict:
    """One seed's per-epoch curves out of the stacked model's logs and the epoch-end scores."""
    curves = {}
    for metric in ("loss", "accuracy"):
        key = _metric_key(output, metric, n_outputs)
        curves[f"train_{metric}"] = [finite(v) for v in history.get(key, [])]
        curves[f"val_{metric}"] = [finite(v) for v in history.get(f"val_{key}", [])]
        for name, per_epoch in scores.items():
            curves[f"{name}_{metric}"] = [finite(epoch.get(key)) for epoch in per_epoch]
    return curves


def _epoch_end_callback(keras: Any, scored: dict[str, tuple[np.ndarray, dict]], deadline: float | None,
                        interrupted: Callable[[], bool] = never) -> Any:
    """A callback scoring each set of ``scored`` (name: inputs, labels per output) at every epoch
    end, enforcing the deadline and Ctrl-C.

    Scoring goes through the model's compiled test function (the one validation uses),
    so each loss is the same function as the val loss, at a few milliseconds an epoch;
    ``evaluate`` would build a new data pipeline each time. Metrics are reset before each
    set: the test function accumulates into them.
    """
    chunks = {name: np.array_split(np.arange(len(x)), math.ceil(len(x) / EVAL_BATCH_SIZE))
              for name, (x, _) in scored.items()}

    class EpochEnd(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.scores: dict[str, list[dict]] = {name: [] for name in scored}
            self.out_of_time = False

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            for name, (x, y) in scored.items():
                self.model.reset_metrics()
                for rows in chunks[name]:
                    result = self.model.test_on_batch(
                        x[rows], {output: labels[rows] for output, labels in y.items()}, return_dict=True
                    )
                self.scores[name].append(result)
            if deadline is not None and time.perf_counter() > deadline:
                self.out_of_time = self.model.stop_training = True
            if interrupted():
                self.model.stop_training = True

    return EpochEnd()
