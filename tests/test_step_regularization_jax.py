"""The step hooks on Keras' JAX backend: two DCGAN steps with ADA augmentation, generator EMA and R1 on JAX
equal the TF steps (each side in its own process: tests/hooks_backend_step.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from backend_child import run_on_backend

pytestmark = [
    pytest.mark.jax,
    pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                       reason="JAX is not installed (pip install -e '.[jax]'); the JAX backend is not tested"),
]

SCRIPT = Path(__file__).with_name("hooks_backend_step.py")
LEARNING_RATE = 2e-4  # the tiny preset's Adam learning rate


def test_hooked_steps_on_jax_equal_the_tf_steps(tmp_path):
    """Losses (R1's penalty and ADA's p and r_t among them) agree to float precision; every weight, the EMA
    copies and ADA's variables within Adam's sign-like first updates (two learning rates a step, as in
    tests/test_jax_backend.py); p, its accumulators and the step counter exactly."""
    run_on_backend("tensorflow", SCRIPT, tmp_path, "--write-state", timeout=900)
    run_on_backend("jax", SCRIPT, tmp_path, timeout=900)
    tf_side, jax_side = np.load(tmp_path / "tensorflow.npz"), np.load(tmp_path / "jax.npz")
    initial = np.load(tmp_path / "state.npz")
    losses = sorted(k for k in tf_side.files if k.startswith("loss/"))
    assert losses == sorted(k for k in jax_side.files if k.startswith("loss/"))
    assert {"loss/ada_p", "loss/ada_rt", "loss/r1_penalty"} <= set(losses)
    for key in losses:
        assert float(jax_side[key]) == pytest.approx(float(tf_side[key]), rel=1e-4, abs=1e-5), key
    names = list(tf_side["names"])
    assert names == list(jax_side["names"])
    moved = set()
    for i, name in enumerate(names):
        expected, actual = tf_side[f"w{i}"], jax_side[f"w{i}"]
        if not np.array_equal(expected, initial[f"w{i}"]):
            moved.add(name.rsplit("/", 1)[-1])
        if name.rsplit("/", 1)[-1] in ("ada_p", "ada_rt", "ada_sign_sum", "ada_count") or expected.dtype.kind != "f":
            np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7, err_msg=name)
        else:
            np.testing.assert_allclose(actual, expected, rtol=0, atol=2 * 2 * LEARNING_RATE + 1e-5, err_msg=name)
    assert "ema_0" in moved and moved & {"ada_p", "ada_rt"}  # the comparison covers hooks that acted
