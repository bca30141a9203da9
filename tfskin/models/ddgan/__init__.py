"""DDGAN (MelanoGANs, Baur et al. 2018): one generator deeply supervised by discriminators at several scales."""

from tfskin.config import ConfigError
from tfskin.models.ddgan.config import DDGANConfig
from tfskin.models.ddgan.model import DDGAN
from tfskin.models.ddgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model


def _validate(run_config):
    model, data = run_config.model_config, run_config.data
    if tuple(model.image_size) != tuple(data.image_size) or model.channels != data.channels:
        raise ConfigError(
            f"ddgan: model makes {model.image_size[0]}x{model.image_size[1]}x{model.channels} but data gives "
            f"{data.image_size[0]}x{data.image_size[1]}x{data.channels}"
        )


SPEC = register_model(ModelSpec(
    name="ddgan",
    description="DDGAN (MelanoGANs), noise -> 256x256 RGB with a discriminator at each of the finest scales",
    config_class=DDGANConfig,
    build=lambda model_config: DDGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
    validate=_validate,
))

__all__ = ["DDGAN", "DDGANConfig", "SPEC"]
