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

EPS32 = float(np.finfo(np.float32).eps)


def float_arrays(variables) -> list:
    """The floating-point values of ``variables`` (Keras variables or arrays) as NumPy arrays."""
    arrays = [np.asarray(getattr(v, "numpy", lambda v=v: v)()) for v in variables]
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
