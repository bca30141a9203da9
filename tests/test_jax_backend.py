"""Keras' JAX backend: the stateless GAN step (``tfskin.gan.jax_step``) computes the TF step.

One process has one Keras backend, so each side runs ``tests/backend_step.py`` in its own process: the TF side
draws the initial weights and the first batch of each model's ``tiny`` run and takes one step (eagerly:
its graph-mode step is the contract test's); the JAX side
loads the same weights and batch and takes one step; the updated weights must agree. A third process takes the
JAX step under ``keras.distribution.DataParallel`` over two host devices, which must equal the one-device step
for the same global batch. Skipped (with the reason) where JAX is not installed: ``pip install -e ".[jax]"``.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from backend_child import run_on_backend

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                       reason="JAX is not installed (pip install -e '.[jax]'); the JAX backend is not tested"),
]

# Models whose step runs on JAX: every one. (cyclegan's first step finds its image pools empty, so the pools'
# random draws, which differ between the backends, do not enter the comparison.)
JAX_MODELS = ("dcgan", "acgan", "ddgan", "lapgan", "progan", "progan_frozen", "pix2pixhd", "cyclegan")
SCRIPT = Path(__file__).with_name("backend_step.py")
LEARNING_RATE = 2e-4  # every tiny preset's Adam learning rate


def _run(models, directory, backend, *flags, devices=None):
    return run_on_backend(backend, SCRIPT, ",".join(models), directory, *flags, devices=devices,
                          timeout=1200).stdout


def _key(i, name):
    """A weight's key: its index and path (paths repeat: cyclegan's two generators have the same layer names)."""
    return f"{i}:{name}"


def _load(path):
    data = np.load(path)
    weights = {_key(i, name): data[f"w{i}"] for i, name in enumerate(data["names"])}
    trainable = {_key(i, name): bool(t) for i, (name, t) in enumerate(zip(data["names"], data["trainable"]))}
    losses = {k.split("/", 1)[1]: float(data[k]) for k in data.files if k.startswith("loss/")}
    return weights, trainable, losses


def test_one_step_on_jax_equals_the_tf_step_for_every_jax_model(tmp_path):
    """Same initial weights, same batch, one step: the losses agree to float precision and so do the updated
    weights. Adam's first update is lr * g / (|g| + 1e-7), about lr * sign(g); where a gradient is float noise
    (a conv bias before instance norm has an exact gradient of zero) its sign and size are arbitrary on either
    backend. So every weight may differ by at most two learning rates; weights that moved by under half a
    learning rate on both backends (|g| < 1e-7: noise; cyclegan's biases before instance norm) are not
    counted, and of the rest up to 0.1% may differ by more than 1e-5. Everything else agrees within 1e-5.
    (One test for all models: two processes in all, not two per model.)"""
    _run(JAX_MODELS, tmp_path, "tensorflow", "--write-state")
    _run(JAX_MODELS, tmp_path, "jax")
    for name in JAX_MODELS:
        _compare(name, tmp_path)


def _compare(name, steps):
    initial = np.load(steps / f"{name}-state.npz")
    tf_weights, trainable, tf_losses = _load(steps / f"{name}-tensorflow.npz")
    jax_weights, _, jax_losses = _load(steps / f"{name}-jax.npz")
    assert tf_losses.keys() == jax_losses.keys(), name
    for loss, value in tf_losses.items():
        assert jax_losses[loss] == pytest.approx(value, rel=1e-4, abs=1e-5), (name, loss)
    assert tf_weights.keys() == jax_weights.keys()
    off = total = 0
    moved = False
    for i, (path, expected) in enumerate(tf_weights.items()):
        actual = jax_weights[path]
        if expected.dtype.kind != "f":
            assert int(actual) == int(expected), path  # the step counter
            continue
        moved |= not np.array_equal(expected, initial[f"w{i}"])
        diff = np.abs(actual.astype(np.float64) - expected)
        if trainable[path]:
            assert diff.max(initial=0.0) <= 2 * LEARNING_RATE + 1e-6, (path, diff.max())
            # A gradient under Adam's epsilon (1e-7) moves its weight by less than half a learning rate: at
            # this scale it is float noise (its sign and size differ between backends), so it is not counted.
            step = np.maximum(np.abs(expected - initial[f"w{i}"]), np.abs(actual - initial[f"w{i}"]))
            off += int(((diff > 1e-5) & (step >= LEARNING_RATE / 2)).sum())
            total += diff.size
        else:  # BatchNorm statistics, stage variables
            np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-5, err_msg=path)
    assert moved, f"{name}: the step changed no weight"
    assert off <= 1e-3 * total, f"{name}: {off} of {total} weights differ by more than 1e-5"


def test_data_parallel_step_on_two_devices_equals_the_one_device_step(tmp_path):
    _run(("dcgan",), tmp_path, "jax", "--write-state")
    _run(("dcgan",), tmp_path, "jax", "--data-parallel", devices=2)
    steps = tmp_path
    one, _, one_losses = _load(steps / "dcgan-jax.npz")
    two, _, two_losses = _load(steps / "dcgan-jax-dp2.npz")
    for loss, value in one_losses.items():
        assert two_losses[loss] == pytest.approx(value, rel=1e-5, abs=1e-6), loss
    for path, expected in one.items():
        np.testing.assert_allclose(two[path], expected, atol=1e-5, rtol=1e-5, err_msg=path)
