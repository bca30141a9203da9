"""DCGAN: the paper layouts and shape checks (the fit step, round trips and export: test_model_contract.py)."""

import numpy as np
import pytest
from gan_harness import preset_model

from tfskin.config import ConfigError
from tfskin.models.dcgan.config import DCGANConfig
from tfskin.models.dcgan.model import DCGAN
from tfskin.training import resolve_config


def test_paper64_matches_the_reports_layer_table():
    """Parameter counts of Lunagariya & Patel section 7.1.1 (bias-free convolutions, BatchNorm gamma/beta)."""
    model = preset_model(DCGAN, "dcgan", "paper64")
    g = {layer.name: layer.count_params() for layer in model.generator.layers}
    assert g["project"] == 819_200
    assert [g["up1"], g["up2"], g["up3"]] == [2_097_152, 524_288, 131_072]
    assert g["to_image"] == 3_072 + 3  # the report's table omits the output bias
    assert [g["project_bn"], g["up1_bn"]] == [1024 + 1024, 512 + 512]  # + moving statistics
    d = {layer.name: layer.count_params() for layer in model.discriminator.layers}
    assert [d["down1"], d["down2"], d["down3"]] == [131_072, 524_288, 2_097_152]
    assert model.generator.output_shape == (None, 64, 64, 3)
    assert model.discriminator.output_shape == (None, 1)


def test_paper_192x256_mask_variant_shapes():
    model = preset_model(DCGAN, "dcgan", "paper192x256_mask")
    assert model.generator.input_shape == (None, 100)
    assert model.generator.output_shape == (None, 192, 256, 4)
    assert model.discriminator.get_layer("down0").kernel_size == (5, 5)
    assert model.discriminator.get_layer("down0").strides == (2, 2)
    outputs = model(np.zeros((2, 100), "float32"))
    assert outputs["image"].shape == (2, 192, 256, 3) and outputs["mask"].shape == (2, 192, 256, 1)


def test_non_square_and_impossible_shapes():
    config = DCGANConfig(generator_filters=(16, 8, 4), discriminator_filters=(4, 8, 16))
    assert DCGAN(config, image_shape=(48, 80, 3)).generator.output_shape == (None, 48, 80, 3)
    with pytest.raises(ConfigError, match="divisible"):
        DCGAN(DCGANConfig(), image_shape=(50, 64, 3))
    with pytest.raises(ConfigError, match="channels"):
        DCGAN(DCGANConfig(), image_shape=(64, 64, 2))
    with pytest.raises(ConfigError, match="divisible"):
        resolve_config("dcgan", "tiny", data={"image_size": (50, 64)})
