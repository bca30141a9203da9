"""The image history pool: fill, swap with probability 1/2, determinism, and identical behaviour per replica;
the same on Keras' JAX backend (in a child process) under ``jax.jit``."""

import importlib.util
import json
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from backend_child import run_on_backend

from tfskin.gan.image_pool import ImagePool
from tfskin.runtime import make_strategy


def _images(start, n):
    """Images whose every pixel holds their id, so returned images can be traced back."""
    ids = np.arange(start, start + n, dtype="float32")
    return np.broadcast_to(ids[:, None, None, None], (n, 2, 2, 1)).copy()


def _ids(images):
    return np.asarray(images)[:, 0, 0, 0].astype(int).tolist()


def test_pool_fills_then_swaps_about_half_with_older_images():
    pool = ImagePool(6, (2, 2, 1))
    out = pool(_images(0, 4), tf.constant([0, 0], tf.int64))
    assert _ids(out) == [0, 1, 2, 3] and int(pool.count.numpy()) == 4
    out = pool(_images(4, 4), tf.constant([0, 1], tf.int64))  # 2 fill the pool, 2 may swap with 0..3
    ids = _ids(out)
    assert ids[:2] == [4, 5] and int(pool.count.numpy()) == 6
    assert all(i in (6, 7) or i < 4 for i in ids[2:])
    swapped, total, seen = 0, 0, set()
    for step in range(2, 60):
        batch = _images(100 * step, 4)
        out = _ids(pool(batch, tf.constant([0, step], tf.int64)))
        for new, got in zip(_ids(batch), out, strict=False):
            total += 1
            if got != new:
                swapped += 1
                assert got < 100 * step and got not in seen  # an older fake, handed out once
                seen.add(got)
        stored = _ids(pool.images.numpy())
        assert len(set(stored)) == 6  # no duplicates in the pool
    assert 0.35 < swapped / total < 0.65


def test_pool_is_a_pure_function_of_state_and_seed():
    a, b = ImagePool(5, (2, 2, 1)), ImagePool(5, (2, 2, 1))
    for step in range(6):
        seed = tf.constant([3, step], tf.int64)
        np.testing.assert_array_equal(a(_images(10 * step, 3), seed), b(_images(10 * step, 3), seed))
    other = ImagePool(5, (2, 2, 1))
    outs = [_ids(other(_images(10 * s, 3), tf.constant([4, s], tf.int64))) for s in range(6)]
    assert outs != [_ids(a.images.numpy())] * 6  # sanity: a different seed gives a different history
    assert _ids(a.images.numpy()) != _ids(other.images.numpy())


def test_pool_size_zero_passes_images_through():
    pool = ImagePool(0, (2, 2, 1))
    x = _images(0, 3)
    np.testing.assert_array_equal(pool(x, tf.constant([0, 0], tf.int64)), x)


def test_pool_under_mirrored_strategy_matches_one_device():
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    strategy = make_strategy("mirrored")
    single = ImagePool(4, (2, 2, 1))
    with strategy.scope():
        mirrored = ImagePool(4, (2, 2, 1))

    @tf.function
    def query(batch, seed):
        return strategy.run(lambda x: mirrored(x, seed), args=(batch,))

    for step in range(5):
        batch = _images(10 * step, 4)
        seed = tf.constant([0, step], tf.int64)
        expected = single(batch, seed)
        dist = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(batch))
        per_replica = query(next(iter(dist)), seed)
        got = np.concatenate([np.asarray(t) for t in strategy.experimental_local_results(per_replica)])
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(mirrored.images.numpy(), single.images.numpy())
        assert int(mirrored.count.numpy()) == int(single.count.numpy())


_JAX_SCRIPT = textwrap.dedent("""
    import json, sys

    import jax
    import keras
    import numpy as np

    from tfskin.gan.image_pool import ImagePool

    assert keras.backend.backend() == "jax"

    def images(start, n):
        ids = np.arange(start, start + n, dtype="float32")
        return np.broadcast_to(ids[:, None, None, None], (n, 2, 2, 1)).copy()

    def ids(x):
        return np.asarray(x)[:, 0, 0, 0].astype(int).tolist()

    def batches():  # (images, seed) of the TF test: 4 images per step, seed [0, step]
        return [(images(100 * step if step > 1 else 4 * step, 4), np.array([0, step], "uint32"))
                for step in range(60)]

    pool = ImagePool(6, (2, 2, 1))
    query = jax.jit(lambda state, x, seed: pool.stateless_call([], state, x, seed))

    def run(seed0=0):
        state, calls = [jax.numpy.zeros_like(v.value) for v in pool.non_trainable_variables], []
        for x, seed in batches():
            out, state = query(state, x, np.array([seed0, seed[1]], "uint32"))
            calls.append({"batch": ids(x), "out": ids(out), "stored": ids(state[0]), "count": int(state[1])})
        return calls

    first = run()
    eager = ImagePool(6, (2, 2, 1))  # the layer called as usual (stateful, not compiled)
    eager_calls = [ids(eager(x, seed)) for x, seed in batches()]
    result = {"calls": first, "again": run() == first, "eager": eager_calls == [c["out"] for c in first],
              "other_seed": run(seed0=1)}
    print(json.dumps(result))
""")


@pytest.mark.jax
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install -e '.[jax]')")
def test_pool_on_jax_fills_swaps_half_and_is_a_pure_function_under_jit():
    """The pool on Keras' JAX backend, compiled with ``jax.jit`` (``stateless_call``): it fills, swaps about
    half of the later images for older ones handed out once, keeps no duplicates, and is a pure function of
    (state, seed): a second run from the same state and seeds repeats every choice, and the compiled calls
    equal the layer's ordinary (stateful) calls. Its draws come from ``jax.random``, so the choices differ from
    the TensorFlow backend's for the same seed (what the TF tests above pin); a different seed changes them."""
    result = run_on_backend("jax", "-c", _JAX_SCRIPT, timeout=300)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    calls = out["calls"]
    assert calls[0]["out"] == [0, 1, 2, 3] and calls[0]["count"] == 4
    assert calls[1]["out"][:2] == [4, 5] and calls[1]["count"] == 6
    assert all(i in (6, 7) or i < 4 for i in calls[1]["out"][2:])
    swapped, total, seen = 0, 0, set()
    for step, call in enumerate(calls[2:], start=2):
        for new, got in zip(call["batch"], call["out"], strict=True):
            total += 1
            if got != new:
                swapped += 1
                assert got < 100 * step and got not in seen  # an older fake, handed out once
                seen.add(got)
        assert len(set(call["stored"])) == 6 and call["count"] == 6  # no duplicates in the pool
    assert 0.35 < swapped / total < 0.65
    assert out["again"] and out["eager"]
    assert [c["out"] for c in out["other_seed"]] != [c["out"] for c in calls]
