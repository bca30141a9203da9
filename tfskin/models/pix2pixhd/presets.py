"""pix2pixHD presets: the paper's 1024x512 (semantic+instance and semantic-only) and CPU presets on phantoms."""

from tfskin.models.pix2pixhd.config import Pix2PixHDConfig
from tfskin.registry import Preset

_PAPER_STEPS = 100 * 2346  # 100 epochs of the 2,346 ISIC 2018 task 1+2 training images at batch 1
_PAPER_TRAIN = {"batch_size": 1, "steps": 2 * _PAPER_STEPS, "log_every": 100, "sample_every": 2000,
                "checkpoint_every": 2000}
_PAPER_DATA = {"name": "isic2018_task1_2", "image_size": (512, 1024), "channels": 3}
_PAPER_OPTIMIZER = {"constant_fraction": 0.5}  # 100 epochs constant, then 100 decaying linearly to 0
_SMALL = dict(generator_filters=16, residual_blocks=3, discriminator_filters=16, num_d=2, slic_segments=64)

PRESETS = {
    "paper1024x512_instance": Preset(
        name="paper1024x512_instance",
        description="Bissoto et al. 2018: 1024x512, global generator (ngf 64, 4 downsamplings, 9 blocks), 3 "
                    "PatchGAN scales, LSGAN + feature matching (10), semantic + instance (boundary) maps",
        model_config=Pix2PixHDConfig(use_instance=True, num_d=3),
        data=_PAPER_DATA, train=_PAPER_TRAIN, optimizer=_PAPER_OPTIMIZER,
    ),
    "paper1024x512_semantic": Preset(
        name="paper1024x512_semantic",
        description="as paper1024x512_instance with the semantic label map only",
        model_config=Pix2PixHDConfig(use_instance=False, num_d=3),
        data=_PAPER_DATA, train=_PAPER_TRAIN, optimizer=_PAPER_OPTIMIZER,
    ),
    "quick": Preset(
        name="quick",
        description="CPU quick-start on phantoms: 64x64, semantic + instance maps, ngf 16, 3 blocks, 2 scales",
        model_config=Pix2PixHDConfig(use_instance=True, **_SMALL),
        data={"image_size": (64, 64), "channels": 3, "num_examples": 1000},
        train={"batch_size": 8, "steps": 800, "log_every": 25, "sample_every": 200, "checkpoint_every": 200},
    ),
    "quick_semantic": Preset(
        name="quick_semantic",
        description="as quick with the semantic label map only",
        model_config=Pix2PixHDConfig(use_instance=False, **_SMALL),
        data={"image_size": (64, 64), "channels": 3, "num_examples": 1000},
        train={"batch_size": 8, "steps": 800, "log_every": 25, "sample_every": 200, "checkpoint_every": 200},
    ),
    "tiny": Preset(
        name="tiny",
        description="Tests and smoke runs: 32x32, semantic + instance, ngf 4, 1 block, 2 scales",
        model_config=Pix2PixHDConfig(generator_filters=4, residual_blocks=1,
                                     discriminator_filters=4, num_d=2, slic_segments=16),
        data={"image_size": (32, 32), "channels": 3, "num_examples": 32},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 4, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
    "tiny_semantic": Preset(
        name="tiny_semantic",
        description="Tests and smoke runs: as tiny with the semantic label map only",
        model_config=Pix2PixHDConfig(use_instance=False, generator_filters=4,
                                     residual_blocks=1, discriminator_filters=4, num_d=2, slic_segments=16),
        data={"image_size": (32, 32), "channels": 3, "num_examples": 32},
        train={"precision": "float32",  # pinned: tests compare float32 numbers; other presets: auto
               "batch_size": 4, "steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2},
    ),
}
