"""LAPGAN presets: Pollastri et al.'s 192x256 RGB+mask pyramid and CPU presets."""

from tfskin.models.lapgan.config import LAPGANConfig
from tfskin.registry import Preset

PRESETS = {
    "paper192x256_mask": Preset(
        name="paper192x256_mask",
        description="Pollastri et al. 2020: 5 GANs, 6x8 -> 12x16 -> 24x32 -> 48x64 -> 96x128, the last reused for "
                    "192x256; RGB + mask (4 channels), 100-d noise, dense level 0, 3-conv residual generators, "
                    "2-conv + dense discriminators, LeakyReLU, linear generator outputs; levels trained jointly",
        model_config=LAPGANConfig(),
        data={"image_size": (192, 256), "channels": 4},
        train={"batch_size": 64, "steps": 30000},
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start: 4 levels 3x4 -> 24x32, last reused for 48x64 RGB+mask, narrow layers",
        model_config=LAPGANConfig(num_levels=4, dense_units=256, conv_filters=32,
                                  latent_dim=64),
        data={"image_size": (48, 64), "channels": 4, "num_examples": 2000},
        train={"batch_size": 32, "steps": 1500, "log_every": 25, "sample_every": 250, "checkpoint_every": 250},
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: 3 levels 3x4 -> 12x16, last reused for 24x32 RGB+mask",
        model_config=LAPGANConfig(num_levels=3, dense_units=64, conv_filters=16,
                                  latent_dim=16, kernel_size=3, level_images=32),
        data={"image_size": (24, 32), "channels": 4, "num_examples": 128},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 8, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
}
