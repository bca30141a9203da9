"""ACGAN: (noise, class) -> 128x128 lesion images of the 8 ISIC 2019 classes (Fossen-Romsaas et al. 2020)."""

from tfskin.config import ConfigError
from tfskin.models.acgan.config import ACGANConfig
from tfskin.models.acgan.model import ACGAN
from tfskin.models.acgan.presets import PRESETS
from tfskin.registry import ModelSpec, register_model


def _validate(run_config):
    model, data = run_config.model_config, run_config.data
    if tuple(model.image_size) != tuple(data.image_size) or model.channels != data.channels:
        raise ConfigError(
            f"acgan: model makes {model.image_size[0]}x{model.image_size[1]}x{model.channels} but data gives "
            f"{data.image_size[0]}x{data.image_size[1]}x{data.channels}"
        )


SPEC = register_model(ModelSpec(
    name="acgan",
    description="ACGAN, (noise, class) -> 128x128 RGB, auxiliary classifier over the 8 ISIC 2019 classes",
    config_class=ACGANConfig,
    build=lambda model_config: ACGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
    validate=_validate,
))

__all__ = ["ACGAN", "ACGANConfig", "SPEC"]
