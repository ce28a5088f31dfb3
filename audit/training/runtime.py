"""The one place that knows which backend Keras runs on.

The baseline and the diagnosis are written against the ``keras`` API only, so they run on
the JAX and PyTorch backends as well. What cannot be said through that API (thread counts,
deterministic kernels, GPU discovery) lives here, so the rest of the code never
imports TensorFlow directly.

Importing TensorFlow costs about 3 s and 0.7 GB, so nothing here runs at import
time: the first call to :func:`load_keras` pays for it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from types import ModuleType

# Set before the first TensorFlow import: later they are ignored. A different thread
# count changes the floating-point summation order and with it the trained weights,
# so the counts are fixed and recorded with every result.
_ENV_DEFAULTS = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_NUM_INTRAOP_THREADS": "2",
    "TF_NUM_INTEROP_THREADS": "1",
}


@functools.cache
def load_keras() -> ModuleType:
    """Import keras once, with quiet logs and fixed thread counts."""
    for name, value in _ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    with native_stderr_silenced():
        import keras
        import keras.backend

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # its device discovery logs once, here
    return keras


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment.

    TensorFlow's C++ start-up logs (absl's "All log messages before absl::InitializeLog",
    oneDNN and CUDA notices) ignore TF_CPP_MIN_LOG_LEVEL and go straight to the process's
    stderr, past Python's ``sys.stderr``; only redirecting the descriptor keeps them off the
    terminal. Python exceptions are unaffected: they propagate after the descriptor is back.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor (embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _tensorflow() -> ModuleType | None:
    """The tensorflow module when it is the Keras backend, else None."""
    if load_keras().backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf


def seed_everything(seed: int) -> None:
    """Make the next model build and fit repeatable bit for bit.

    Seeds Python, NumPy and the backend; on TensorFlow also switches to
    deterministic kernels (which also turns XLA off, as Keras does itself).
    """
    keras = load_keras()
    keras.utils.set_random_seed(seed)
    tf = _tensorflow()
    if tf is not None:
        tf.config.experimental.enable_op_determinism()


def environment() -> dict:
    """Versions, thread counts and devices: what the numbers depend on."""
    keras = load_keras()
    info = {
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "tensorflow_version": None,
        "intra_op_threads": _env_int("TF_NUM_INTRAOP_THREADS"),
        "inter_op_threads": _env_int("TF_NUM_INTEROP_THREADS"),
        "cpu_count": os.cpu_count(),
        "gpu_seen": None,
        "deterministic_ops": False,
    }
    tf = _tensorflow()
    if tf is not None:
        info["tensorflow_version"] = tf.__version__
        info["gpu_seen"] = bool(tf.config.list_physical_devices("GPU"))
        info["deterministic_ops"] = True  # seed_everything turns them on before every fit
    return info


def _env_int(name: str) -> int | None:
    """An integer environment setting, or None when unset or not a number."""
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return None
