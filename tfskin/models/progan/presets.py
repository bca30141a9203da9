"""Presets of both progressive GANs: the papers' sizes and CPU presets."""

from tfskin.classes import CLASS_NAMES
from tfskin.models.progan.config import FrozenProGANConfig, ProGANConfig
from tfskin.registry import Preset

# Karras et al.'s Adam, as Bissoto et al. train it: 1e-3 for both players, beta_1 0, beta_2 0.99.
_PROGAN_ADAM = {"generator_learning_rate": 1e-3, "discriminator_learning_rate": 1e-3, "beta_1": 0.0, "beta_2": 0.99}

PROGAN_PRESETS = {
    "paper256": Preset(
        name="paper256",
        description="Bissoto et al. 2018: benign/melanoma one-hot concatenated at every block, 4x4 -> 256x256, "
                    "each new resolution faded in over 30 epochs then stabilised 30 epochs (ISIC 2017's 2000 "
                    "training images: 60k images each), WGAN-GP (lambda 10, drift 0.001) + auxiliary class "
                    "term, minibatch stddev, pixel norm, equalised LR, Adam(1e-3, 0, 0.99)",
        model_config=ProGANConfig(),
        data={"image_size": (256, 256), "channels": 3},
        train={"batch_size": 16, "steps": 48750, "sample_every": 1000, "checkpoint_every": 1000},
        optimizer=_PROGAN_ADAM,
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start: 8 ISIC classes, 4x4 -> 64x64, narrow blocks, 4k images per fade-in and "
                    "per stabilisation",
        model_config=ProGANConfig(
            num_classes=8, class_names=CLASS_NAMES, label_mode="class", latent_dim=128,
            feature_maps=(128, 128, 64, 32, 16), transition_images=4000, stabilise_images=4000,
        ),
        data={"image_size": (64, 64), "channels": 3, "num_examples": 2000},
        train={"batch_size": 16, "steps": 2250, "log_every": 25, "sample_every": 250, "checkpoint_every": 250},
        optimizer=_PROGAN_ADAM,
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: benign/melanoma, 4x4 -> 16x16, 4 steps per phase at batch 8",
        model_config=ProGANConfig(
            latent_dim=16, feature_maps=(16, 8, 8), transition_images=32, stabilise_images=32,
            minibatch_std_group=2,
        ),
        data={"image_size": (16, 16), "channels": 3, "num_examples": 128},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 8, "steps": 20, "log_every": 2, "sample_every": 10, "checkpoint_every": 2},
        optimizer=_PROGAN_ADAM,
    ),
}

FROZEN_PRESETS = {
    "paper64": Preset(
        name="paper64",
        description="Lunagariya & Patel 7.2: ConvTranspose 512-256-128-64 / Conv 64-128-256-512, phases at "
                    "16x16, 32x32, 64x64, earlier phases frozen, BCE + Adam, batch 64 (500 epochs of 2000 images "
                    "split evenly over the three phases)",
        model_config=FrozenProGANConfig(images_per_stage=333_334),
        data={"image_size": (64, 64), "channels": 3},
        train={"batch_size": 64, "steps": 15627, "sample_every": 500, "checkpoint_every": 500},
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start: quarter widths, 16 -> 32 -> 64, 20k images per phase",
        model_config=FrozenProGANConfig(generator_filters=(128, 64, 32, 16), images_per_stage=20000),
        data={"image_size": (64, 64), "channels": 3, "num_examples": 2000},
        train={"batch_size": 32, "steps": 1875, "log_every": 25, "sample_every": 250, "checkpoint_every": 250},
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: 16x16 -> 32x32, tiny widths, 4 steps per phase at batch 8",
        model_config=FrozenProGANConfig(latent_dim=16, generator_filters=(32, 16, 8),
                                        num_stages=2, images_per_stage=32),
        data={"image_size": (32, 32), "channels": 3, "num_examples": 128},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 8, "steps": 8, "log_every": 2, "sample_every": 4, "checkpoint_every": 2},
    ),
}
