"""DCGAN: 64x64 RGB (Lunagariya & Patel) and 192x256 RGB+mask (Pollastri et al. 2020)."""

from tfskin.config import ConfigError
from tfskin.models.dcgan.config import DCGANConfig
from tfskin.models.dcgan.model import DCGAN
from tfskin.models.dcgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model


def _validate(run_config):
    model, data = run_config.model_config, run_config.data
    if tuple(model.image_size) != tuple(data.image_size) or model.channels != data.channels:
        raise ConfigError(
            f"dcgan: model makes {model.image_size[0]}x{model.image_size[1]}x{model.channels} but data gives "
            f"{data.image_size[0]}x{data.image_size[1]}x{data.channels}"
        )


SPEC = register_model(ModelSpec(
    name="dcgan",
    description="DCGAN, noise -> 64x64 RGB or 192x256 RGB+mask",
    config_class=DCGANConfig,
    build=lambda model_config: DCGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
    validate=_validate,
))

__all__ = ["DCGAN", "DCGANConfig", "SPEC"]
