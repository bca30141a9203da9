"""DCGAN presets: the two paper layouts and a CPU quick-start."""

from tfskin.models.dcgan.config import DCGANConfig
from tfskin.registry import Preset

# The EMA generator beat the raw one on KID in every paired run of scripts/bench_augment.py (200 and 1,000
# phantoms, 3 seeds each); ADA did not help these short runs (docs/training.md).
QUICK_EMA = {"halflife_images": 2000}

PRESETS = {
    "paper64": Preset(
        name="paper64",
        description="64x64 RGB, ConvTranspose 512-256-128-64-3 / Conv 64-128-256-512, BCE, Adam (Lunagariya & "
                    "Patel, section 7.1.1)",
        model_config=DCGANConfig(),
        data={"image_size": (64, 64), "channels": 3},
        train={"batch_size": 64, "steps": 20000},
    ),
    "paper192x256_mask": Preset(
        name="paper192x256_mask",
        description="192x256 RGB+mask (4 channels), 5x5 kernels, stride 2, 100-d noise, dense projection and "
                    "dense discriminator output (Pollastri et al. 2020, section 3.1)",
        model_config=DCGANConfig(
            kernel_size=5, generator_input="dense",
            generator_activation="leaky_relu", discriminator_output="dense",
        ),
        data={"image_size": (192, 256), "channels": 4},
        train={"batch_size": 64, "steps": 30000},
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start: 64x64 RGB, quarter-width networks, generator EMA (half-life 2,000 images); "
                    "a few minutes on 2 cores",
        model_config=DCGANConfig(
            generator_filters=(128, 64, 32, 16),
            discriminator_filters=(16, 32, 64, 128),
        ),
        data={"image_size": (64, 64), "channels": 3, "num_examples": 2000},
        train={"batch_size": 32, "steps": 2000, "log_every": 25, "sample_every": 250, "checkpoint_every": 250},
        ema=QUICK_EMA,
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: 32x32, tiny networks",
        model_config=DCGANConfig(
            latent_dim=16, generator_filters=(32, 16, 8),
            discriminator_filters=(8, 16, 32),
        ),
        data={"image_size": (32, 32), "channels": 3, "num_examples": 128},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 8, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
    "tiny_mask": Preset(
        name="tiny_mask",
        description="Tests and smoke runs: 32x48 RGB+mask, tiny networks, dense projection",
        model_config=DCGANConfig(
            latent_dim=16, kernel_size=5, generator_filters=(32, 16, 8),
            discriminator_filters=(8, 16, 32), generator_input="dense", discriminator_output="dense",
            generator_activation="leaky_relu",
        ),
        data={"image_size": (32, 48), "channels": 4, "num_examples": 128},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 8, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
}
