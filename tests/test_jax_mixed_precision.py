"""mixed_float16 on Keras' JAX backend: the stateless GAN step scales both players' losses like the TF step.

One process has one Keras backend, so each side runs ``tests/jax_mixed_step.py`` as its own process
(``JAX_PLATFORMS=cpu``): the TF side draws dcgan ``tiny``'s initial weights and first batch; from them each
backend takes mixed_float16 steps; the JAX side also records the loss scale's life (growth counter, a skipped
step on overflow, growth) and trains and resumes through tfskin's runner. About three minutes on a 2-core CPU.
Skipped (with the reason) where JAX is not installed: ``pip install -e ".[jax]"``.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from backend_child import run_on_backend

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                       reason="JAX is not installed (pip install -e '.[jax]'); the JAX backend is not tested"),
]

SCRIPT = Path(__file__).with_name("jax_mixed_step.py")
LEARNING_RATE = 2e-4  # dcgan tiny's Adam learning rate
INITIAL_SCALE = 2.0 ** 15  # keras.optimizers.LossScaleOptimizer's default initial_scale
STEP_SCALE = 2.0 ** 12  # jax_mixed_step.STEP_SCALE


def _run(mode, directory, backend):
    run_on_backend(backend, SCRIPT, mode, directory, timeout=1200)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mixed")
    _run("state", directory, "tensorflow")
    return directory


def _offsets(a, b, names, trainable, prefix_a, prefix_b):
    """Over the trainable weights: (fraction differing by more than 1e-5, largest difference)."""
    off = total = 0
    largest = 0.0
    for i in range(len(names)):
        x, y = a[f"{prefix_a}/w{i}"], b[f"{prefix_b}/w{i}"]
        if trainable[i] and x.dtype.kind == "f":
            diff = np.abs(x.astype(np.float64) - y)
            off += int((diff > 1e-5).sum())
            total += diff.size
            largest = max(largest, float(diff.max(initial=0.0)))
    return off / total, largest


def test_mixed_float16_step_on_jax_matches_the_tf_step(state_dir):
    """Same weights, same batch. At Keras' initial loss scale (2**15) dcgan tiny's float16 backward pass
    overflows for both players on both backends: the step is skipped and the scale halves. At 2**12 the step is
    finite on both (scale kept, growth counter and inner iterations 1), and the backends agree as closely as
    float16 rounding allows. Measured (this file's first runs): losses within 2e-4 relative (tolerance: one
    float16 ulp, 2**-10 ~ 1e-3). Adam's first update is lr * sign(gradient) per weight, so a weight either agrees
    or differs by 2 lr where rounding flips a tiny gradient's sign: TF vs JAX under mixed_float16, 2.1% of the
    weights differ by more than 1e-5; mixed_float16 vs float32 on one backend, 1.9% (TF) and 2.2% (JAX). So the
    backends may disagree on at most 1.5x the share that float16 itself moves, and by at most 2 lr. BatchNorm
    moving statistics: TF vs JAX up to 3.5e-5 absolute, mixed vs float32 up to 5.8e-5 (tolerance 1e-4)."""
    _run("step", state_dir, "tensorflow")
    _run("step", state_dir, "jax")
    tf, jx = np.load(state_dir / "step-tensorflow.npz"), np.load(state_dir / "step-jax.npz")
    for side in (tf, jx):
        for player in ("g", "d"):
            assert float(side[f"initial_scale/{player}"]) == INITIAL_SCALE / 2, player  # skipped, halved
            assert float(side[f"scaling/{player}/scale"]) == STEP_SCALE, player  # finite: kept
            assert float(side[f"scaling/{player}/counter"]) == 1.0, player
            assert float(side[f"scaling/{player}/iterations"]) == 1.0, player
    assert all(float(jx[f"scaling/{p}/in_state"]) == 1.0 for p in ("g", "d"))  # carried by OptimizerPair

    losses = [k for k in tf.files if k.startswith("mixed_float16/loss/")]
    assert sorted(losses) == sorted(k for k in jx.files if k.startswith("mixed_float16/loss/")) and losses
    for key in losses:
        assert np.isfinite(float(jx[key]))
        assert float(jx[key]) == pytest.approx(float(tf[key]), rel=1e-3), key

    names, trainable = tf["names"], tf["trainable"]
    cross, cross_largest = _offsets(tf, jx, names, trainable, "mixed_float16", "mixed_float16")
    f16_tf, _ = _offsets(tf, tf, names, trainable, "mixed_float16", "float32")
    f16_jax, _ = _offsets(jx, jx, names, trainable, "mixed_float16", "float32")
    assert 0 < max(f16_tf, f16_jax) < 0.05, (f16_tf, f16_jax)  # float16 moves a few percent of the signs
    assert cross <= 1.5 * max(f16_tf, f16_jax), (cross, f16_tf, f16_jax)
    assert cross_largest <= 2 * LEARNING_RATE + 1e-6, cross_largest

    initial = np.load(state_dir / "state.npz")
    moved = 0
    for i, path in enumerate(names):
        expected, actual = tf[f"mixed_float16/w{i}"], jx[f"mixed_float16/w{i}"]
        if expected.dtype.kind != "f":
            np.testing.assert_array_equal(actual, expected, err_msg=path)  # step counter, seed state
            continue
        moved += int(not np.array_equal(actual, initial[f"w{i}"]))
        if not trainable[i]:
            np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=0, err_msg=path)
    assert moved == len([t for t in trainable if t]) + sum(  # every trainable weight and BatchNorm statistic
        1 for i, t in enumerate(trainable) if not t and "moving" in str(names[i]))


def test_loss_scale_on_jax_skips_non_finite_steps_and_grows(state_dir):
    """The scale and its growth counter are optimizer variables carried in the step's state. From Keras'
    initial scale: a finite step keeps the scale and counts; a non-finite one (the natural first step here, and
    one with the scale forced to 2**100, which overflows float16) leaves the weights and the inner optimizer
    untouched, resets the counter and halves the scale; the step after dynamic_growth_steps - 1 finite ones
    doubles it."""
    _run("scaling", state_dir, "jax")
    record = json.loads((state_dir / "scaling.json").read_text())
    for player in ("g", "d"):
        start = record["start"][player]
        assert start["in_state"] and start["scale"] == start["initial_scale"] == INITIAL_SCALE, start
        assert start["counter"] == start["iterations"] == 0, start
    previous = record["start"]
    for step in record["steps"]:
        assert all(np.isfinite(v) for v in step["losses"].values()), step["losses"]
        for player in ("g", "d"):
            before, after = previous[player], step["state"][player]
            if after["iterations"] == before["iterations"] + 1:  # finite: applied
                assert after["scale"] == before["scale"] and after["counter"] == before["counter"] + 1, step
                assert step["moved"][player] > 0, step
            else:  # skipped
                assert after["iterations"] == before["iterations"], step
                assert after["scale"] == before["scale"] / 2 and after["counter"] == 0, step
                assert step["moved"][player] == 0, step
        previous = step["state"]
    assert record["moved_after_3"] == record["num_weights"], record["moved_after_3"]  # every weight trained

    overflow = record["overflow"]
    assert overflow["step_counter_advanced"] == 1
    assert overflow["moved"] == {"g": 0, "d": 0}, overflow["moved"]
    for player in ("g", "d"):
        state = overflow["state"][player]
        assert state["scale"] == 2.0 ** 99 and state["counter"] == 0, state
        assert state["iterations"] == previous[player]["iterations"], state

    growth = record["growth"]
    for player in ("g", "d"):
        state = growth["state"][player]
        assert state["scale"] == 2 * STEP_SCALE and state["counter"] == 0, state
        assert state["iterations"] == previous[player]["iterations"] + 1, state
        assert growth["moved"][player] > 0, growth["moved"]


def test_runner_trains_and_resumes_exactly_under_mixed_float16_on_jax(tmp_path):
    """tfskin's runner (``precision: mixed_float16``) on JAX: 4 steps, and 2 steps resumed to 4, end with the
    same checkpoint, loss scales and growth counters included; the losses are finite."""
    _run("runner", tmp_path, "jax")
    record = json.loads((tmp_path / "runner.json").read_text())
    assert record["full"]["step"] == record["split"]["step"] == 4
    assert record["full"]["logs"] and all(np.isfinite(v) for v in record["full"]["logs"].values())
    full, split = np.load(record["full"]["checkpoint"]), np.load(record["split"]["checkpoint"])
    assert set(full.files) == set(split.files)
    values = [k for k in full.files if not k.endswith("paths")]  # paths differ by Keras' name suffixes
    for key in values:
        np.testing.assert_array_equal(full[key], split[key], err_msg=key)
    scales = [k for k in full.files if k.endswith("paths") and "optimizer" in k]
    assert len(scales) == 2
    for key in scales:  # each optimizer's loss scale is in the checkpoint
        index = [i for i, p in enumerate(full[key]) if str(p).endswith("/dynamic_scale")]
        assert len(index) == 1, full[key]
        scale = float(full[f"{key.rsplit('/', 1)[0]}/{index[0]}"])
        assert scale <= INITIAL_SCALE and scale > 0, scale
