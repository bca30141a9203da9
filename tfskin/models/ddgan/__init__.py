"""DDGAN (MelanoGANs, Baur et al. 2018): one generator deeply supervised by discriminators at several scales."""

from tfskin.models.ddgan.config import DDGANConfig
from tfskin.models.ddgan.model import DDGAN
from tfskin.models.ddgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model

SPEC = register_model(ModelSpec(
    name="ddgan",
    description="DDGAN (MelanoGANs), noise -> 256x256 RGB with a discriminator at each of the finest scales",
    config_class=DDGANConfig,
    build=lambda model_config: DDGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
))

__all__ = ["DDGAN", "DDGANConfig", "SPEC"]
