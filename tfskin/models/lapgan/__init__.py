"""LAPGAN: a Laplacian pyramid of GANs making 192x256 RGB + mask samples (Pollastri et al. 2020)."""

from tfskin.config import ConfigError
from tfskin.models.lapgan.config import LAPGANConfig
from tfskin.models.lapgan.model import LAPGAN
from tfskin.models.lapgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model


def _validate(run_config):
    model, data = run_config.model_config, run_config.data
    if tuple(model.image_size) != tuple(data.image_size) or model.channels != data.channels:
        raise ConfigError(
            f"lapgan: model makes {model.image_size[0]}x{model.image_size[1]}x{model.channels} but data gives "
            f"{data.image_size[0]}x{data.image_size[1]}x{data.channels}"
        )


SPEC = register_model(ModelSpec(
    name="lapgan",
    description="LAPGAN, a pyramid of per-level GANs, noise -> 192x256 RGB + mask (levels jointly or one by one)",
    config_class=LAPGANConfig,
    build=lambda model_config: LAPGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
    validate=_validate,
))

__all__ = ["LAPGAN", "LAPGANConfig", "SPEC"]
