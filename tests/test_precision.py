"""Mixed precision: loss-scaled optimizers, float32 outputs and logits, finite training on CPU."""

import keras
import numpy as np
import pytest
from gan_harness import check_one_fit_step

from tfskin.training import build_model, resolve_config


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_trains_finitely_with_float32_outputs(precision):
    config = resolve_config("dcgan", "tiny_mask", train={"precision": precision})
    model = build_model(config)
    assert keras.config.dtype_policy().name == "float32", "the policy must not leak out of build_model"
    compute = "float16" if precision == "mixed_float16" else "bfloat16"
    assert model.generator.get_layer("up1").compute_dtype == compute
    assert model.generator.get_layer("up1").kernel.dtype == "float32"  # variables stay float32
    is_scaled = isinstance(model.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    assert is_scaled == (precision == "mixed_float16")
    assert isinstance(model.discriminator_optimizer, keras.optimizers.LossScaleOptimizer) == is_scaled

    rng = np.random.default_rng(0)
    batch = {"images": rng.uniform(-1, 1, (4, 32, 48, 4)).astype("float32"),
             "noise": rng.normal(size=(4, 16)).astype("float32")}
    # float16 loss scaling starts at 2**15 and halves on each overflowing step (which it skips), so give it a
    # few steps to find a scale that fits.
    logs = check_one_fit_step(model, batch, steps=1 if not is_scaled else 20)
    assert all(np.isfinite(v) for v in logs.values())
    assert model.generator(batch["noise"]).dtype == "float32"
    assert model.discriminator(batch["images"]).dtype == "float32"
    outputs = model(batch["noise"])
    assert outputs["image"].dtype == "float32" and outputs["mask"].dtype == "float32"
    if is_scaled:
        assert 1.0 < float(model.generator_optimizer.dynamic_scale.numpy()) < 2.0 ** 15
