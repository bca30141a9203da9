"""CycleGAN presets: the paper's 256x256 and 128x128 layouts and CPU presets on phantoms."""

from tfskin.models.cyclegan.config import CycleGANConfig
from tfskin.registry import Preset

PRESETS = {
    "paper256": Preset(
        name="paper256",
        description="Zhu et al. 2017 at 256x256: ResNet-9 generators (ngf 64), 70x70 PatchGANs, LSGAN, cycle 10, "
                    "identity 0.5, pool 50, Adam 2e-4/0.5, batch 1, constant then linear decay; nevus -> melanoma",
        model_config=CycleGANConfig(),
        data={"image_size": (256, 256), "channels": 3, "name": "isic2019"},
        train={"batch_size": 1, "steps": 200_000, "log_every": 100, "sample_every": 2000,
               "checkpoint_every": 2000},
        optimizer={"constant_fraction": 0.5},
    ),
    "paper128": Preset(
        name="paper128",
        description="Zhu et al. 2017 at 128x128: ResNet-6 generators, otherwise as paper256",
        model_config=CycleGANConfig(),
        data={"image_size": (128, 128), "channels": 3, "name": "isic2019"},
        train={"batch_size": 1, "steps": 200_000, "log_every": 100, "sample_every": 2000,
               "checkpoint_every": 2000},
        optimizer={"constant_fraction": 0.5},
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start on phantoms: NV -> MEL at 32x32, ngf 16, 3 residual blocks, batch 8, "
                    "pool 50; a few minutes on 2 cores",
        model_config=CycleGANConfig(
            generator_filters=16, residual_blocks=3, discriminator_filters=16,
            discriminator_layers=2,
        ),
        data={"image_size": (32, 32), "channels": 3, "num_examples": 2000},
        train={"batch_size": 8, "steps": 1200, "log_every": 25, "sample_every": 200, "checkpoint_every": 200},
        optimizer={"constant_fraction": 0.75},  # 900 constant + 300 decaying steps at the default --steps
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: 16x16, ngf 4, 1 residual block, pool 4",
        model_config=CycleGANConfig(
            generator_filters=4, residual_blocks=1, discriminator_filters=4,
            discriminator_layers=2, pool_size=4,
        ),
        data={"image_size": (16, 16), "channels": 3, "num_examples": 96},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 4, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
}
