"""A step split over two replicas must equal the single-device step on the same global batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf

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


@pytest.mark.parametrize("preset", ["tiny", "tiny_mask"])
def test_mirrored_update_equals_single_device_update(preset):
    single = _train_two_steps(tf.distribute.get_strategy(), preset)
    mirrored = _train_two_steps(_two_cpu_strategy(), preset)
    moved = 0.0
    for a, b in zip(single.weights, mirrored.weights):
        np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b.numpy()), rtol=1e-4, atol=2e-5,
                                   err_msg=a.path)
    # the steps really moved the weights (so equality above is not trivially true)
    keras.utils.set_random_seed(3)
    fresh = get_model("dcgan").build(get_model("dcgan").preset(preset).model_config,
                                     get_model("dcgan").preset(preset).image_shape)
    for a, b in zip(single.generator.trainable_weights, fresh.generator.trainable_weights):
        moved = max(moved, float(np.max(np.abs(a.numpy() - b.numpy()))))
    assert moved > 1e-3
    assert int(mirrored.train_step_counter.numpy()) == 2
