"""The cost model: rough CPU seconds of training on 2 cores, known before TensorFlow is imported.

A caller skips training, or cuts a plan, when the estimate is over its budget, so an audit
never silently runs for an hour. Both trainings pay the TensorFlow import (``IMPORT_S``)
and, per model, building and tracing it (``BUILD_S``, most of it the first epoch); their
epochs cost differently, because they spend their time differently:

* the baseline (one stacked model a run, Keras' own validation pass): a fixed cost an
  epoch (data pipelines, executions, callbacks), a cost per training row, and one per row
  x weight at batch 512, smaller batches using the cores less well. Measured on
  1.5k-100k rows x 64 features, within a factor of two; a model file is costed like the
  wide network, and about ten classes are assumed.
* the convolutional network on pictures (:mod:`audit.training.conv`), stacked like the
  baseline: the same fixed costs, and per training row and seed its multiply-adds of one
  forward pass times ``CONV_MULTIPLY_ADD_S``. That figure covers the backward pass, batch
  normalisation and the deterministic kernels; it barely moves with the batch size, so
  none is applied. Measured on 650-2,000 pictures of 32x32 at 3 and 6 seeds on 2 shared
  cores (a busy machine: an upper estimate on a quiet one).
* the diagnosis (one packed model, scored by its own callback): a fixed cost an epoch and a
  training step; per weight and step the optimizer's update (Adam's elementwise passes
  dominate at small batches) and the forward and backward pass of one row; per weight and
  evaluated row, the end-of-epoch scoring. Fitted to packed models of 0.4M-12.7M weights
  at batch 32 and 256, within about 40 %.

Measured with tensorflow 2.21 and keras 3.15.
"""

from __future__ import annotations

import math

from audit.training.fitting import batch_size_for
from audit.training.inputs import BaselineSettings
from audit.training.networks import NETWORKS, weight_count

IMPORT_S = 4.0
BUILD_S = 1.5

BASELINE_BUILD_PER_SEED_S = 0.7
BASELINE_EPOCH_S = 0.125
BASELINE_ROW_S = 7e-6
BASELINE_WEIGHT_S = 9e-11
TYPICAL_CLASSES = 10

CONV_MULTIPLY_ADD_S = 3.5e-10

PACKED_GROUP_S = 0.3
PACKED_EPOCH_S = 0.03
PACKED_STEP_S = 2e-3
PACKED_UPDATE_WEIGHT_S = 6e-9
PACKED_ROW_WEIGHT_S = 1.5e-10
PACKED_EVAL_ROW_WEIGHT_S = 4e-11


def baseline_seconds(n_train_rows: int, n_features: int, settings: BaselineSettings, runs: int = 2) -> float:
    """Wall time of training ``runs`` baseline runs (raw and fixed), the import included."""
    batch_size = batch_size_for(n_train_rows, settings)
    builtin_default = settings.model == "default" and settings.model_file is None
    widths = NETWORKS["default" if builtin_default else "wide"][0]
    weights = weight_count(widths, n_features, TYPICAL_CLASSES)
    compute = n_train_rows * settings.seeds * weights * BASELINE_WEIGHT_S * math.sqrt(512 / batch_size)
    epoch_s = BASELINE_EPOCH_S + n_train_rows * BASELINE_ROW_S + compute
    run_s = BUILD_S + BASELINE_BUILD_PER_SEED_S * settings.seeds + settings.epochs * epoch_s
    return IMPORT_S + runs * run_s


def conv_seconds(n_train_rows: int, input_shape: tuple[int, ...], settings: BaselineSettings, runs: int = 2,
                 copies: int | None = None, keras_loaded: bool = False) -> float:
    """Wall time of training ``runs`` runs of the convolutional network, each ``copies`` side by
    side (the settings' seeds unless given), the import included unless Keras is loaded."""
    from audit.training.conv import multiply_adds

    copies = copies or settings.seeds
    compute = n_train_rows * copies * multiply_adds(input_shape, TYPICAL_CLASSES) * CONV_MULTIPLY_ADD_S
    epoch_s = BASELINE_EPOCH_S + n_train_rows * BASELINE_ROW_S + compute
    run_s = BUILD_S + BASELINE_BUILD_PER_SEED_S * copies + settings.epochs * epoch_s
    return (0.0 if keras_loaded else IMPORT_S) + runs * run_s


def packed_seconds(n_train_rows: int, n_eval_rows: int, weights: int, layer_groups: int, epochs: int,
                   batch_size: int, keras_loaded: bool = False) -> float:
    """CPU seconds of training one packed model of ``weights`` kernel weights in ``layer_groups``
    packed layers, scoring ``n_eval_rows`` rows at every epoch end."""
    batch = min(batch_size, n_train_rows)
    steps = math.ceil(n_train_rows / batch)
    step = PACKED_STEP_S + weights * (PACKED_UPDATE_WEIGHT_S + batch * PACKED_ROW_WEIGHT_S)
    epoch = PACKED_EPOCH_S + steps * step + n_eval_rows * weights * PACKED_EVAL_ROW_WEIGHT_S
    return (0.0 if keras_loaded else IMPORT_S) + BUILD_S + layer_groups * PACKED_GROUP_S + epochs * epoch
