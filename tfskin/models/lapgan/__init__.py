"""LAPGAN: a Laplacian pyramid of GANs making 192x256 RGB + mask samples (Pollastri et al. 2020)."""

from tfskin.models.lapgan.config import LAPGANConfig
from tfskin.models.lapgan.model import LAPGAN
from tfskin.models.lapgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model

SPEC = register_model(ModelSpec(
    name="lapgan",
    description="LAPGAN, a pyramid of per-level GANs, noise -> 192x256 RGB + mask (levels jointly or one by one)",
    config_class=LAPGANConfig,
    build=lambda model_config: LAPGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
))

__all__ = ["LAPGAN", "LAPGANConfig", "SPEC"]
