"""DDGAN: a logged loss per scale, every discriminated scale trains the generator, learning on phantoms."""

import numpy as np
import pytest
from gan_harness import eager_step_logs, preset_model

from tfskin.config import ConfigError
from tfskin.models.ddgan.config import DDGANConfig
from tfskin.models.ddgan.model import DDGAN
from tfskin.training import build_model, resolve_config


def _batch(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    config = model.config
    h, w = model.image_size
    return {"images": rng.uniform(-1, 1, (n, h, w, model.channels)).astype("float32"),
            "noise": rng.normal(size=(n, config.latent_dim)).astype("float32")}


def test_one_step_logs_a_loss_per_discriminated_scale():
    model = build_model(resolve_config("ddgan", "tiny"))
    logs = eager_step_logs(model, _batch(model))
    assert {"d_loss_8x8", "d_loss_16x16", "d_loss_32x32", "g_loss_8x8", "g_loss_32x32"} <= set(logs)
    assert model(_batch(model)["noise"])["image"].shape == (4, 32, 32, 3)


def test_each_scale_sends_gradients_to_the_generator():
    import tensorflow as tf

    model = preset_model(DDGAN, "ddgan", "tiny")
    batch = _batch(model)
    for name in ("g_loss_8x8", "g_loss_32x32"):
        with tf.GradientTape() as tape:
            loss = model.generator_losses(batch, model.generate(batch, training=True))[name]
        grads = tape.gradient(loss, model.generator.trainable_variables)
        by_name = {v.path: g for v, g in zip(model.generator.trainable_variables, grads, strict=True)}
        assert by_name["project/kernel"] is not None  # every scale reaches the shared trunk
        if name == "g_loss_8x8":  # the coarse scale does not reach the finer blocks
            assert by_name["block3_conv0/kernel"] is None


def test_paper_preset_shapes():
    model = preset_model(DDGAN, "ddgan", "paper256")
    assert [tuple(o[1:3]) for o in model.generator.output_shape] == [(4 * 2 ** s,) * 2 for s in range(7)]
    assert [d.input_shape[1] for d in model.discriminators] == [16, 32, 64, 128, 256]
    with pytest.raises(ConfigError, match="scale_weights"):
        DDGANConfig(scale_weights=(1.0,))
