"""``PhasedConv2DTranspose`` (``tfskin.layers.transposed``): Keras' ``Conv2DTranspose`` computed per output
phase on JAX's CPU backend; the generators of acgan, dcgan, cyclegan and pix2pixHD use it.

On TensorFlow it is Keras' layer itself (checked here, in this process). On JAX (a child process with
``KERAS_BACKEND=jax``, ``JAX_PLATFORMS=cpu``) its outputs and gradients must equal Keras' layer's to float32
rounding for every padding/stride/kernel/size combination tried, and the compiled gradients of the acgan,
dcgan and cyclegan quick generators must hold no reversed-window convolution (what XLA:CPU runs through its
slow generic emitter, the cause of acgan's 2.5 s steps on JAX). The TF-vs-JAX one-step test
(tests/test_jax_backend.py) covers each model's whole step.
"""

import importlib.util
import json
import textwrap

import keras
import numpy as np
import pytest
from backend_child import run_on_backend

from tfskin.layers.transposed import PhasedConv2DTranspose

_JAX_SCRIPT = textwrap.dedent("""
    import itertools, json

    import jax
    import jax.numpy as jnp
    import keras
    import numpy as np

    from tfskin.layers.transposed import PhasedConv2DTranspose
    from tfskin.training import build_model, resolve_config

    rng = np.random.default_rng(0)
    results = {"cases": [], "phased": []}
    sizes, kernels, strides = [(4, 4), (5, 7), (1, 1)], [(5, 5), (2, 3), (3, 6)], [(2, 2), (3, 2)]
    for i, (size, kernel, stride, padding) in enumerate(itertools.product(sizes, kernels, strides,
                                                                          ["same", "valid"])):
        if any(k < s for k, s in zip(kernel, stride)):
            continue
        bias = i % 2 == 1
        layer = PhasedConv2DTranspose(6, kernel, strides=stride, padding=padding, use_bias=bias,
                                      bias_initializer="random_normal")
        reference = keras.layers.Conv2DTranspose(6, kernel, strides=stride, padding=padding, use_bias=bias)
        x = jnp.asarray(rng.standard_normal((3, *size, 5)), jnp.float32)
        layer(x)
        reference(x)
        reference.set_weights(layer.get_weights())
        results["phased"].append(layer._phased())

        def loss(net, weights, x):
            out, _ = net.stateless_call(weights, [], x)
            return jnp.sum(out * jnp.linspace(-1.0, 1.0, out.size).reshape(out.shape)), out

        weights = [w.value for w in layer.trainable_variables]
        (_, out), grads = jax.value_and_grad(lambda w, x: loss(layer, w, x), argnums=(0, 1), has_aux=True)(
            weights, x)
        (_, ref), ref_grads = jax.value_and_grad(lambda w, x: loss(reference, w, x), argnums=(0, 1),
                                                 has_aux=True)(weights, x)
        flat, ref_flat = jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(ref_grads)
        results["cases"].append({
            "case": [size, kernel, stride, padding, bias], "shape": list(out.shape), "ref_shape": list(ref.shape),
            "out": float(jnp.abs(out - ref).max() / jnp.abs(ref).max()),
            "grads": [float(jnp.abs(a - b).max() / max(float(jnp.abs(b).max()), 1e-30))
                      for a, b in zip(flat, ref_flat)]})

    results["convolutions"], results["reversed"] = {}, {}
    for name in ("acgan", "dcgan", "cyclegan"):
        model = build_model(resolve_config(name, "quick", train={"precision": "float32"}))
        generator = model.generator_networks[0]
        inputs = [jnp.ones((2, *i.shape[1:])) for i in generator.inputs]

        def g_loss(weights, non_trainable):
            out, _ = generator.stateless_call(weights, non_trainable, inputs, training=True)
            return jnp.mean(out ** 2)

        hlo = jax.jit(jax.grad(g_loss)).lower([v.value for v in generator.trainable_variables],
                                              [v.value for v in generator.non_trainable_variables]).compile().as_text()
        convolutions = [line for line in hlo.splitlines() if " convolution(" in line]
        results["convolutions"][name] = len(convolutions)
        results["reversed"][name] = [line.strip()[:300] for line in convolutions if "reversal" in line]
    print(json.dumps(results))
""")


def test_phased_conv_transpose_is_keras_conv_transpose_on_tensorflow():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("this process's backend is not TensorFlow")
    layer = PhasedConv2DTranspose(4, 5, strides=2, padding="same", use_bias=True)
    reference = keras.layers.Conv2DTranspose(4, 5, strides=2, padding="same", use_bias=True)
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 3)).astype("float32")
    layer(x)
    reference(x)
    reference.set_weights(layer.get_weights())
    assert not layer._phased()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), keras.ops.convert_to_numpy(reference(x)))


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="JAX is not installed (pip install -e '.[jax]'); the JAX backend is not tested")
def test_phased_conv_transpose_on_jax_cpu_equals_keras_and_avoids_reversed_windows():
    done = run_on_backend("jax", "-c", _JAX_SCRIPT, timeout=900)
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["phased"] and all(results["phased"])  # the phased path ran in every case
    assert len(results["cases"]) == 30
    for case in results["cases"]:
        assert case["shape"] == case["ref_shape"], case
        # float32 rounding of sums of up to 6*6*5 terms in another order
        assert case["out"] < 1e-5 and all(g < 1e-5 for g in case["grads"]), case
    assert set(results["convolutions"]) == {"acgan", "dcgan", "cyclegan"}
    assert all(count > 0 for count in results["convolutions"].values())
    assert all(lines == [] for lines in results["reversed"].values()), results["reversed"]
