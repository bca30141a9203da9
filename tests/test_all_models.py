"""Every registered model trains through the real runner under mixed precision and under MirroredStrategy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfskin.registry import get_model, model_names
from tfskin.training import load_trained_model, resolve_config, train

MODELS = model_names()


def test_every_model_has_a_tiny_preset():
    assert {"dcgan", "acgan", "cyclegan", "pix2pixhd", "progan", "progan_frozen", "lapgan", "ddgan"} <= set(MODELS)
    for name in MODELS:
        assert "tiny" in get_model(name).presets, name


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_mixed_float16_run_is_finite_and_loss_scaled(name, tmp_path):
    config = resolve_config(name, "tiny", train={"steps": 3, "precision": "mixed_float16", "export_at_end": False,
                                                 "log_every": 1, "sample_every": 3, "checkpoint_every": 3})
    result = train(config, tmp_path / "run")
    assert result.step == 3
    assert result.final_logs and all(np.isfinite(v) for v in result.final_logs.values()), result.final_logs
    _, model = load_trained_model(tmp_path / "run")
    assert keras.config.dtype_policy().name == "float32"
    policies = {net.dtype_policy.name for net in model.generator_networks + model.discriminator_networks}
    assert policies == {"mixed_float16"}, policies


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_mirrored_run_on_two_devices(name, tmp_path):
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    preset = get_model(name).preset("tiny")
    batch = max(2, preset.train.get("batch_size", 2) // 2 * 2)  # even: splits over the two replicas
    config = resolve_config(name, "tiny", train={"steps": 2, "strategy": "mirrored", "batch_size": batch,
                                                 "export_at_end": False, "log_every": 1, "sample_every": 2,
                                                 "checkpoint_every": 2})
    result = train(config, tmp_path / "run")
    assert result.step == 2
    assert all(np.isfinite(v) for v in result.final_logs.values()), result.final_logs
