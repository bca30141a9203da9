"""ACGAN: (noise, class) -> 128x128 lesion images of the 8 ISIC 2019 classes (Fossen-Romsaas et al. 2020)."""

from tfskin.models.acgan.config import ACGANConfig
from tfskin.models.acgan.model import ACGAN
from tfskin.models.acgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model

SPEC = register_model(ModelSpec(
    name="acgan",
    description="ACGAN, (noise, class) -> 128x128 RGB, auxiliary classifier over the 8 ISIC 2019 classes",
    config_class=ACGANConfig,
    build=lambda model_config: ACGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
))

__all__ = ["ACGAN", "ACGANConfig", "SPEC"]
