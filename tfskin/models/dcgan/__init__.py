"""DCGAN: 64x64 RGB (Lunagariya & Patel) and 192x256 RGB+mask (Pollastri et al. 2020)."""

from tfskin.models.dcgan.config import DCGANConfig
from tfskin.models.dcgan.model import DCGAN
from tfskin.models.dcgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model

SPEC = register_model(ModelSpec(
    name="dcgan",
    description="DCGAN, noise -> 64x64 RGB or 192x256 RGB+mask",
    config_class=DCGANConfig,
    build=lambda model_config: DCGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
))

__all__ = ["DCGAN", "DCGANConfig", "SPEC"]
