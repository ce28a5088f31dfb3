"""The packed experiments model: every variant and seed of the diagnosis in one Keras model.

The network is tiny, so Keras' per-step overhead sets its speed, and separate Keras
sub-models pay it once a copy (36 copies of the default network took 12x the time of 3).
Here every variant and seed of one hidden shape is one *packed* layer whose kernels carry a
member axis: the first layer is a single matrix product for all members, the rest batched
products. Each member has its own initialisation (Glorot uniform, as Dense), dropout rate
and mask, L2 coefficient (members with a penalty get their own packed layer, so it covers
their kernels only) and learning-rate factor (the optimizer scales each member's slice of
the step; Adam is elementwise, so members stay independent). A member trained on a
fraction of the rows gives the others' rows weight 0 and its own n/n_subset, so its loss
and gradient scale match a run on its rows alone; it takes the full run's steps. One loss
sums the members', so Keras runs one step for all. The cost grows with the weights, not
the members: 39 members of the default network on 1.2k rows x 64 features for 40 epochs
take about 16 s of CPU; at small batches Adam's elementwise passes over the weights
dominate, so the wide network costs about 30x more.

Losses are cross-entropy in nats, computed at every epoch end from each member's
predictions in inference mode (dropout off, no class weights); a member's train loss is
over the rows it trains on, so the gap (val minus train) means the same for every variant,
dropout or not. Two more val numbers an epoch judge class imbalance: the mean loss over the
val rows of the minority classes (fewer train rows than an even share) and the balanced
accuracy (the mean of the per-class recalls).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from audit.training import runtime
from audit.training.diagnose.plan import (
    BASE_LEARNING_RATE,
    DECAY_TO,
    MAX_EVAL_TRAIN_ROWS,
    PLATEAU_FACTOR,
    WARMUP_EPOCHS,
    Variant,
    plateau_patience,
)
from audit.training.encoding import PROBABILITY_EPSILON, Encoded, balanced_class_weight, class_weight
from audit.training.fitting import STEPS_PER_EXECUTION
from audit.training.watch import epoch_callbacks

PREDICT_CHUNK = 8_192
PLATEAU_MIN_DELTA = 1e-4  # Keras' ReduceLROnPlateau default


def fraction_masks(y: np.ndarray, fraction: float, seeds: int, random_state: int) -> list[np.ndarray]:
    """Per seed, the rows of a stratified ``fraction`` of train; nested across fractions for one seed."""
    masks = []
    for seed in range(seeds):
        rng = np.random.default_rng([random_state, seed, 7919])
        mask = np.zeros(len(y), dtype=bool)
        for code in np.unique(y):
            rows = rng.permutation(np.flatnonzero(y == code))
            mask[rows[: max(1, math.ceil(fraction * len(rows)))]] = True
        masks.append(mask)
    return masks


def minority_classes(y: np.ndarray) -> np.ndarray:
    """The class codes with fewer train rows than an even share (the smallest class when none has)."""
    codes, counts = np.unique(y, return_counts=True)
    below = codes[counts < counts.mean()]
    return below if len(below) else codes[counts == counts.min()]


def resampled_counts(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How often each row is drawn in a class-balanced resample of ``y``'s size: every class drawn with
    replacement to an equal share."""
    codes = np.unique(y)
    share = max(1, round(len(y) / len(codes)))
    drawn = np.concatenate([rng.choice(np.flatnonzero(y == code), share) for code in codes])
    return np.bincount(drawn, minlength=len(y)).astype("float64")


def _row_weights(y: np.ndarray, weighting: str, rng: np.random.Generator) -> np.ndarray:
    """Each row's weight in a member's loss: its class weight, or its count in a balanced resample."""
    if weighting == "resample":
        return resampled_counts(y, rng)
    cw = {"auto": class_weight, "balanced": balanced_class_weight}.get(weighting, lambda _: None)(y)
    return np.ones(len(y)) if cw is None else np.array([cw.get(int(c), 1.0) for c in y])


def _member_weights(data: Encoded, members: Sequence[tuple[Variant, int]], seeds: int,
                    random_state: int) -> np.ndarray:
    """Rows x members: 0 for rows a member does not train on, its row weight x n/n_subset otherwise."""
    y = data.y_train
    masks = {v.fraction: fraction_masks(y, v.fraction, seeds, random_state)
             for v, _ in members if v.fraction < 1.0}
    weights = np.zeros((len(y), len(members)), dtype="float32")
    for j, (variant, seed) in enumerate(members):
        mask = masks[variant.fraction][seed] if variant.fraction < 1.0 else np.ones(len(y), dtype=bool)
        per_row = _row_weights(y[mask], variant.weighting, np.random.default_rng([random_state, seed, 104729]))
        weights[mask, j] = per_row * len(y) / mask.sum()
    return weights


def train_members(data: Encoded, members: Sequence[tuple[Variant, int]], n_classes: int, epochs: int,
                  batch_size: int, patience: int, random_state: int, deadline: float | None) -> tuple[dict, bool]:
    """Train every member in one packed model; per-epoch curves, rows = epochs, columns = members."""
    keras = runtime.load_keras()
    keras.backend.clear_session()  # clears global state, the seed included: seed after it
    runtime.seed_everything(random_state)
    seeds = 1 + max(seed for _, seed in members)
    weights = _member_weights(data, members, seeds, random_state)
    model, order, optimizer = _packed_model(keras, members, data.x_train.shape[1], n_classes, random_state)
    targets = np.concatenate([data.y_train[:, None].astype("float32"), weights[:, order]], axis=1)
    rng = np.random.default_rng(random_state)
    eval_rows = np.sort(rng.choice(len(data.y_train), MAX_EVAL_TRAIN_ROWS, replace=False)) \
        if len(data.y_train) > MAX_EVAL_TRAIN_ROWS else np.arange(len(data.y_train))
    callback = _epoch_callback(keras, data, members, order, eval_rows, weights[eval_rows] > 0, n_classes, epochs,
                               patience, optimizer, deadline)
    model.fit(data.x_train, targets, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
              callbacks=[keras.callbacks.TerminateOnNaN(), callback, *epoch_callbacks(keras)])
    curves = {name: np.array(values, dtype="float64").reshape(-1, len(members))
              for name, values in callback.record.items()}
    return curves, callback.out_of_time


def _packed_model(keras: Any, members: Sequence[tuple[Variant, int]], n_features: int, n_classes: int,
                  random_state: int) -> tuple[Any, np.ndarray, Any]:
    """One model: a packed layer per hidden shape, outputs (rows, members x classes), compiled.

    Returns the model, ``order`` (output slot -> member index) and its optimizer.
    """
    # One packed layer per hidden shape; members with an L2 penalty get their own, so the
    # penalty (a pass over the kernels, forward and backward) covers only their slices.
    groups: dict[tuple, list[int]] = {}
    for index, (variant, _) in enumerate(members):
        groups.setdefault((variant.widths, variant.l2 > 0), []).append(index)
    rng = np.random.default_rng(random_state)
    packed_layer = _packed_layer_class(keras)
    inputs = keras.Input(shape=(n_features,))
    layers = [packed_layer([members[i][0] for i in rows], n_features, n_classes, rng, random_state + g,
                           name=f"packed_{g}")
              for g, rows in enumerate(groups.values())]
    outputs = [layer(inputs) for layer in layers]
    joined = keras.layers.Concatenate(axis=1)(outputs) if len(outputs) > 1 else outputs[0]
    model = keras.Model(inputs, keras.layers.Flatten()(joined))
    order = np.array([i for rows in groups.values() for i in rows])
    slots = {}
    start = 0
    for layer in layers:
        for variable, shape in layer.member_axes():
            slots[id(variable)] = (np.arange(start, start + layer.n_members), shape)
        start += layer.n_members
    optimizer = _member_adam_class(keras)(slots, len(members), learning_rate=BASE_LEARNING_RATE)
    model.compile(optimizer=optimizer, loss=_packed_loss_class(keras)(len(members), n_classes),
                  steps_per_execution=STEPS_PER_EXECUTION)
    optimizer.build(model.trainable_variables)  # the callback sets member factors before the first step
    return model, order, optimizer


def _packed_layer_class(keras: Any) -> type:
    ops = keras.ops

    class PackedMLP(keras.layers.Layer):
        """``len(variants)`` independent MLPs of one hidden shape, kernels stacked on a member axis.

        The first kernel is (features, members, units) so all members share one matrix
        product with the input; later kernels are (members, in, out) batched products.
        """

        def __init__(self, variants: list[Variant], n_features: int, n_classes: int, rng: np.random.Generator,
                     seed: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.n_members = len(variants)
            self.widths = variants[0].widths
            self.n_features, self.n_classes = n_features, n_classes
            self.rates = np.array([v.dropout for v in variants], dtype="float32").reshape(1, -1, 1)
            self.seed_generator = keras.random.SeedGenerator(seed)
            l2 = np.array([v.l2 for v in variants], dtype="float32")
            sizes = [n_features, *self.widths, n_classes]
            self.kernels, self.biases = [], []
            for j, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
                limit = math.sqrt(6 / (fan_in + fan_out))  # Glorot uniform, as Dense
                value = rng.uniform(-limit, limit, size=(self.n_members, fan_in, fan_out)).astype("float32")
                if j == 0:
                    value = np.ascontiguousarray(value.transpose(1, 0, 2))
                coefficient = l2.reshape((1, -1, 1) if j == 0 else (-1, 1, 1))
                penalty = (lambda w, c=coefficient: ops.sum(c * ops.square(w))) if l2.any() else None
                self.kernels.append(self.add_weight(shape=value.shape, initializer=_constant(value),
                                                    regularizer=penalty, name=f"kernel_{j}"))
                self.biases.append(self.add_weight(shape=(self.n_members, fan_out), initializer="zeros",
                                                   name=f"bias_{j}"))

        def member_axes(self) -> list[tuple[Any, tuple[int, ...]]]:
            """Each weight with the shape that broadcasts a per-member factor over it."""
            axes = [(self.kernels[0], (1, -1, 1))]
            axes += [(k, (-1, 1, 1)) for k in self.kernels[1:]]
            axes += [(b, (-1, 1)) for b in self.biases]
            return axes

        def _dropout(self, hidden: Any, training: bool) -> Any:
            if not training or not self.rates.any():
                return hidden
            rates = ops.convert_to_tensor(self.rates)
            keep = keras.random.uniform(ops.shape(hidden), seed=self.seed_generator) >= rates
            return ops.where(keep, hidden / (1.0 - rates), 0.0)

        def call(self, x: Any, training: bool = False) -> Any:
            flat = ops.reshape(self.kernels[0], (self.n_features, -1))
            hidden = ops.reshape(ops.matmul(x, flat), (-1, self.n_members, self.widths[0])) + self.biases[0]
            hidden = self._dropout(ops.relu(hidden), training)
            for j in range(1, len(self.kernels)):
                hidden = ops.einsum("bmi,mio->bmo", hidden, self.kernels[j]) + self.biases[j]
                if j < len(self.kernels) - 1:
                    hidden = self._dropout(ops.relu(hidden), training)
            return ops.softmax(hidden, axis=-1)

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return (input_shape[0], self.n_members, self.n_classes)

    return PackedMLP


def _constant(value: np.ndarray) -> Any:
    def initializer(shape: Any, dtype: Any = None) -> np.ndarray:
        return value

    return initializer


def _packed_loss_class(keras: Any) -> Any:
    ops = keras.ops

    class PackedCrossEntropy(keras.losses.Loss):
        """Sum over members of each member's weighted cross-entropy.

        ``y_true`` is (rows, 1 + members): the class code, then each member's row weight.
        """

        def __init__(self, n_members: int, n_classes: int) -> None:
            super().__init__(name="packed_cross_entropy")
            self.n_members, self.n_classes = n_members, n_classes

        def call(self, y_true: Any, y_pred: Any) -> Any:
            codes = ops.cast(y_true[:, 0], "int32")
            weights = y_true[:, 1:]
            probabilities = ops.reshape(y_pred, (-1, self.n_members, self.n_classes))
            true = ops.sum(probabilities * ops.expand_dims(ops.one_hot(codes, self.n_classes), 1), axis=-1)
            true = ops.clip(true, PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON)
            return ops.sum(-ops.log(true) * weights, axis=1)

    return PackedCrossEntropy


def _member_adam_class(keras: Any) -> type:
    ops = keras.ops

    class MemberAdam(keras.optimizers.Adam):
        """Adam whose step is scaled per member by ``member_factor`` (set between epochs).

        Adam is elementwise, so scaling one member's slice of the learning rate gives that
        member exactly the update an Adam with that rate would.
        """

        def __init__(self, slots: dict, n_members: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._slots, self._n_members = slots, n_members
            self._by_index: list = []
            self.member_factor = None

        def build(self, variables: list) -> None:
            super().build(variables)
            self.member_factor = self.add_variable(shape=(self._n_members,), initializer="ones",
                                                   name="member_factor")
            self._by_index = [self._slots.get(id(v)) for v in variables]

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            slot = self._by_index[self._get_variable_index(variable)]
            if slot is not None:
                rows, shape = slot
                factor = ops.reshape(ops.take(self.member_factor, ops.convert_to_tensor(rows)), shape)
                learning_rate = ops.cast(learning_rate, variable.dtype) * ops.cast(factor, variable.dtype)
            super().update_step(gradient, variable, learning_rate)

    return MemberAdam


def _decay_factors(epochs: int) -> np.ndarray:
    """Per epoch, the warm-start-then-exponential-decay rate relative to the base rate."""
    rate = DECAY_TO ** (1 / max(epochs - WARMUP_EPOCHS, 1))
    return np.array([(e + 1) / WARMUP_EPOCHS if e < WARMUP_EPOCHS else rate ** (e - WARMUP_EPOCHS + 1)
                     for e in range(epochs)])


def _epoch_callback(keras: Any, data: Encoded, members: Sequence[tuple[Variant, int]], order: np.ndarray,
                    eval_rows: np.ndarray, eval_mask: np.ndarray, n_classes: int, epochs: int, patience: int,
                    optimizer: Any, deadline: float | None) -> Any:
    """Sets each member's learning-rate factor before an epoch; scores every member after it."""
    x_eval = np.vstack([data.x_train[eval_rows], data.x_val])
    y_eval = np.concatenate([data.y_train[eval_rows], data.y_val])
    minority = np.isin(data.y_val, minority_classes(data.y_train))
    val_classes = [data.y_val == code for code in np.unique(data.y_val)]
    n_train = len(eval_rows)
    position = np.empty(len(members), dtype=int)
    position[order] = np.arange(len(members))
    decay = _decay_factors(epochs)
    modes = np.array([v.lr_mode for v, _ in members])
    constant = np.array([v.lr_factor for v, _ in members])
    wait_limit = plateau_patience(patience)

    class EpochEnd(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.record: dict[str, list] = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr_factor": [],
                                            "val_minority_loss": [], "val_balanced_accuracy": []}
            self.out_of_time = False
            self.plateau = np.ones(len(members))
            self.best = np.full(len(members), np.inf)
            self.wait = np.zeros(len(members), dtype=int)

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            factor = np.where(modes == "decay", decay[min(epoch, epochs - 1)], 1.0) * constant
            factor = np.where(modes == "plateau", self.plateau, factor)
            optimizer.member_factor.assign(factor[order].astype("float32"))
            self.record["lr_factor"].append(factor)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            chunks = [self.model.predict_on_batch(x_eval[i:i + PREDICT_CHUNK])
                      for i in range(0, len(x_eval), PREDICT_CHUNK)]
            probabilities = np.concatenate(chunks).reshape(len(y_eval), len(members), n_classes)[:, position, :]
            true = probabilities[np.arange(len(y_eval)), :, y_eval]
            loss = -np.log(np.clip(true, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON))
            train = (loss[:n_train] * eval_mask).sum(axis=0) / np.maximum(eval_mask.sum(axis=0), 1)
            val = loss[n_train:].mean(axis=0)
            hits = probabilities[n_train:].argmax(axis=-1) == data.y_val[:, None]
            self.record["train_loss"].append(train)
            self.record["val_loss"].append(val)
            self.record["val_accuracy"].append(hits.mean(axis=0))
            self.record["val_minority_loss"].append(loss[n_train:][minority].mean(axis=0) if minority.any()
                                                    else np.full(len(members), np.nan))
            self.record["val_balanced_accuracy"].append(np.mean([hits[rows].mean(axis=0) for rows in val_classes],
                                                                axis=0))
            improved = val < self.best - PLATEAU_MIN_DELTA
            self.best = np.where(improved, val, self.best)
            self.wait = np.where(improved, 0, self.wait + 1)
            reduce = self.wait >= wait_limit
            self.plateau = np.where(reduce, self.plateau * PLATEAU_FACTOR, self.plateau)
            self.wait = np.where(reduce, 0, self.wait)
            if deadline is not None and time.perf_counter() > deadline:
                self.out_of_time = self.model.stop_training = True

    return EpochEnd()
