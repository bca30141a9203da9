"""A step split over two replicas must equal the single-device step on the same global batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from numerics import float_arrays, max_abs_diff, rounding_tolerance

from tfskin.registry import get_model
from tfskin.runtime import make_strategy


def _two_cpu_strategy():
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    strategy = make_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2
    return strategy


def _train_two_steps(strategy, preset):
    chosen = get_model("dcgan").preset(preset)
    config = chosen.model_config
    keras.utils.set_random_seed(3)
    with strategy.scope():
        model = get_model("dcgan").build(config, chosen.image_shape)
        # Plain SGD: unlike Adam, its update scales with the gradient, so a loss that was not divided by the
        # replica count (gradients summed over replicas) would double the step and fail this test.
        model.compile(keras.optimizers.SGD(0.1, momentum=0.5), keras.optimizers.SGD(0.1, momentum=0.5))
        model.build_for_training()
    rng = np.random.default_rng(0)
    batches = [{"images": rng.uniform(-1, 1, (8, *chosen.image_shape)).astype("float32"),
                "noise": rng.normal(size=(8, config.latent_dim)).astype("float32")} for _ in range(2)]
    ds = tf.data.Dataset.from_tensor_slices(
        {k: np.stack([b[k] for b in batches]) for k in batches[0]}).unbatch().batch(8)
    model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    return model


@pytest.mark.numerics
@pytest.mark.parametrize("preset", ["tiny", "tiny_mask"])
def test_mirrored_update_equals_single_device_update(preset):
    """Tolerance: 64 float32 ulps of the largest weight per step (numerics.rounding_tolerance). Measured after the
    two steps (AVX-512 with avx512_bf16, TF 2.21): 0.9e-6 / 1.3e-6 (tiny / tiny_mask) with oneDNN on, 1.6e-6 / 1.5e-6
    with it off, i.e. at most 13 ulps of the largest weight (about 1.0). DCGAN's batch norm is synchronized across
    replicas, so both runs normalise over the same 8 images."""
    keras.utils.set_random_seed(3)
    fresh = get_model("dcgan").build(get_model("dcgan").preset(preset).model_config,
                                     get_model("dcgan").preset(preset).image_shape)
    single = _train_two_steps(tf.distribute.get_strategy(), preset)
    mirrored = _train_two_steps(_two_cpu_strategy(), preset)
    after = float_arrays(single.weights)
    tolerance = rounding_tolerance(after, steps=2)
    difference = max_abs_diff(after, float_arrays(mirrored.weights))
    update = max_abs_diff(float_arrays(single.generator.trainable_weights),
                          float_arrays(fresh.generator.trainable_weights))
    # the steps really moved the weights, far more than the tolerance (so a bug could not pass as rounding)
    assert tolerance < 0.01 * update, (tolerance, update)
    assert difference <= tolerance, (difference, tolerance)
    assert int(mirrored.train_step_counter.numpy()) == 2
