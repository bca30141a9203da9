"""ACGAN presets: the 128x128 8-class layout of Fossen-Romsaas et al. 2020 and CPU presets."""

from tfskin.models.acgan.config import ACGANConfig
from tfskin.registry import Preset

PRESETS = {
    "paper128": Preset(
        name="paper128",
        description="128x128 RGB, the 8 ISIC 2019 classes, Odena et al.'s ImageNet-style layout (dense 768 -> "
                    "ConvTranspose 384-256-192-3, Conv 16..512 with dropout 0.5), BCE + auxiliary CE, Adam 2e-4 "
                    "(Fossen-Romsaas et al. 2020, experiment 1)",
        model_config=ACGANConfig(),
        data={"image_size": (128, 128), "channels": 3},
        train={"batch_size": 100, "steps": 50000},
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start: 64x64, 8 classes, narrow networks, generator EMA (half-life 2,000 images); "
                    "minutes on 2 cores",
        model_config=ACGANConfig(
            latent_dim=64, generator_filters=(256, 128, 64, 32),
            discriminator_filters=(16, 32, 64, 128), discriminator_strides=(2, 2, 2, 2), discriminator_dropout=0.25,
        ),
        data={"image_size": (64, 64), "channels": 3, "num_examples": 2000},
        train={"batch_size": 32, "steps": 1500, "log_every": 25, "sample_every": 250, "checkpoint_every": 250},
        ema={"halflife_images": 2000},  # measured: see the dcgan presets
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: 32x32, 8 classes, tiny networks",
        model_config=ACGANConfig(
            latent_dim=16, generator_filters=(32, 16, 8),
            discriminator_filters=(8, 16, 32), discriminator_strides=(2, 2, 2), discriminator_dropout=0.0,
        ),
        data={"image_size": (32, 32), "channels": 3, "num_examples": 128},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 8, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
}
