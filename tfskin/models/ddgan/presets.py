"""DDGAN presets."""

from tfskin.models.ddgan.config import DDGANConfig
from tfskin.registry import Preset

PRESETS = {
    "paper256": Preset(
        name="paper256",
        description="MelanoGANs-scale DDGAN: noise -> 4x4 -> 256x256 RGB, discriminators at 16, 32, 64, 128 and "
                    "256 (layer widths are ours: the paper's are not confirmed)",
        model_config=DDGANConfig(),
        data={"image_size": (256, 256), "channels": 3},
        train={"batch_size": 32, "steps": 30000},
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start: 4x4 -> 64x64 RGB, discriminators at 16, 32, 64",
        model_config=DDGANConfig(generator_filters=(128, 64, 32, 16, 8), num_discriminators=3,
                                 discriminator_base_filters=16),
        data={"image_size": (64, 64), "channels": 3, "num_examples": 2000},
        train={"batch_size": 32, "steps": 1500, "log_every": 25, "sample_every": 250, "checkpoint_every": 250},
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: 4x4 -> 32x32 RGB, discriminators at 8, 16, 32",
        model_config=DDGANConfig(latent_dim=16, generator_filters=(32, 16, 8, 8),
                                 num_discriminators=3, discriminator_base_filters=8),
        data={"image_size": (32, 32), "channels": 3, "num_examples": 128},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 8, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
}
