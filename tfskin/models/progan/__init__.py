"""Progressive GANs: ``progan`` (conditional, fade-in, 4x4 -> 256x256; Bissoto et al. 2018 after Karras et al.
2018) and ``progan_frozen`` (16 -> 32 -> 64 with earlier phases frozen; Lunagariya & Patel 7.2)."""

from tfskin.models.progan.config import FrozenProGANConfig, ProGANConfig
from tfskin.models.progan.model import FrozenProGAN, ProGAN
from tfskin.models.progan.presets import FROZEN_PRESETS, PROGAN_PRESETS
from tfskin.registry import ModelSpec, register_model

SPEC = register_model(ModelSpec(
    name="progan",
    description="conditional progressive GAN (label at every block, fade-in, WGAN-GP + class term), 4x4 -> 256x256",
    config_class=ProGANConfig,
    build=lambda model_config: ProGAN(model_config),
    presets=PROGAN_PRESETS,
    default_preset="quick",
))

FROZEN_SPEC = register_model(ModelSpec(
    name="progan_frozen",
    description="phase-frozen progressive GAN, 16 -> 32 -> 64 with earlier phases frozen, BCE + Adam",
    config_class=FrozenProGANConfig,
    build=lambda model_config: FrozenProGAN(model_config),
    presets=FROZEN_PRESETS,
    default_preset="quick",
))

__all__ = ["ProGAN", "ProGANConfig", "FrozenProGAN", "FrozenProGANConfig", "SPEC", "FROZEN_SPEC"]
