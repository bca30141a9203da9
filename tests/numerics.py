"""Tolerances for tests that compare floats computed along two code paths, derived from what is compared.

Two paths that do the same arithmetic in a different order (one device or two replicas, oneDNN's kernels or
Eigen's, a batch of 8 or two of 4) differ by float32 rounding, and training steps carry that difference forward.
A test states its tolerance as either

* ``ulps`` units of float32 epsilon times the largest magnitude compared, per step (:func:`rounding_tolerance`), with
  the number of ulps chosen above the spread measured with oneDNN on and off (each test says what it measured), or
* a measured spread: the difference that changing only the summation order makes on this machine's kernels (e.g.
  the same step on one device as two halves of the batch), so the test holds whichever kernels a CPU gets.

A real bug (a loss not divided by the replica count, per-replica random draws or statistics) moves results by the
size of an update itself; each comparison also checks that its tolerance is far below that size, so it can fail.
"""

import numpy as np
import tensorflow as tf
from keras import ops

EPS32 = float(np.finfo(np.float32).eps)


def float_arrays(variables) -> list:
    """The floating-point values of ``variables`` (Keras variables or arrays) as NumPy arrays."""
    arrays = [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in variables]
    return [a for a in arrays if np.issubdtype(a.dtype, np.floating)]


def max_abs_diff(a, b) -> float:
    """The largest absolute difference between two equally long lists of arrays."""
    assert len(a) == len(b), (len(a), len(b))
    return max(float(np.max(np.abs(x.astype("float64") - y.astype("float64")))) for x, y in zip(a, b))


def max_abs(arrays) -> float:
    return max(float(np.max(np.abs(x))) for x in arrays)


def rounding_tolerance(arrays, steps: int = 1, ulps: float = 64) -> float:
    """``ulps`` float32 epsilons of the largest magnitude in ``arrays``, times the number of ``steps``."""
    return ulps * EPS32 * max_abs(arrays) * max(int(steps), 1)


def on_two_halves(model_class):
    """A subclass of the GAN ``model_class`` whose training step is that of two replicas computed on one device,
    with no strategy: each half of the batch goes through the networks on its own and the halves' losses are
    averaged, so the kernels see per-replica shapes. For models that normalise per image (instance norm); an image
    pool would draw per half, so turn it off."""

    def train_step(self, data):
        batch = self._batch_of(data)
        n = ops.shape(next(iter(batch.values())))[0] // 2
        halves = [{k: v[i * n:(i + 1) * n] for k, v in batch.items()} for i in range(2)]
        with tf.GradientTape() as g_tape:
            fakes = [self.generate(half, training=True) for half in halves]
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    d_loss = sum(self.discriminator_losses(h, tf.nest.map_structure(tf.stop_gradient, f))["d_loss"]
                                 for h, f in zip(halves, fakes)) / 2
                self._minimize(d_tape, self.discriminator_optimizer, d_loss, self.discriminator_variables)
            g_loss = sum(self.generator_losses(h, f)["g_loss"] for h, f in zip(halves, fakes)) / 2
        self._minimize(g_tape, self.generator_optimizer, g_loss, self.generator_variables)
        self.train_step_counter.assign_add(1)
        return {"d_loss": d_loss, "g_loss": g_loss}

    return type(f"{model_class.__name__}OnTwoHalves", (model_class,), {"train_step": train_step})


def check_mirrored_within_split_spread(initial, single, mirrored, single_reference, halves, steps: int) -> dict:
    """Asserts the mirrored run's trainable weights are within 3x the split spread (+ rounding) of the single-device
    run's, where the spread is ``single_reference`` (one device, batch whole) against ``halves`` (one device, batch
    in halves: :func:`on_two_halves`), and that this tolerance is under 5% of the largest update. Returns the
    numbers."""
    after = float_arrays(single.trainable_weights)
    update = max_abs_diff(after, initial)
    spread = max_abs_diff(float_arrays(single_reference.trainable_weights), float_arrays(halves.trainable_weights))
    tolerance = 3 * spread + rounding_tolerance(after, steps=steps)
    difference = max_abs_diff(after, float_arrays(mirrored.trainable_weights))
    numbers = {"update": update, "split_spread": spread, "tolerance": tolerance, "mirrored_difference": difference}
    print(" ".join(f"{k} {v:.3g}" for k, v in numbers.items()))
    # the check can tell rounding from a bug, whose difference is of the order of the update itself
    assert tolerance < 0.05 * update, numbers
    assert difference <= tolerance, numbers
    return numbers
