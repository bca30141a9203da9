"""Model registry: ``@register_model("dcgan")`` and lookup by name with helpful errors."""

import dataclasses
import importlib
from typing import Callable

_MODELS: dict = {}

# Modules that register models when imported; listed explicitly (no reflection over the package).
_MODEL_MODULES = (
    "tfskin.models.dcgan",
    "tfskin.models.acgan",
    "tfskin.models.cyclegan",
    "tfskin.models.progan",
    "tfskin.models.lapgan",
    "tfskin.models.ddgan",
    "tfskin.models.pix2pixhd",
)


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named starting point: model settings plus the data and training settings they were meant for."""

    name: str
    description: str
    model_config: object
    data: dict = dataclasses.field(default_factory=dict)  # DataConfig overrides
    train: dict = dataclasses.field(default_factory=dict)  # TrainConfig overrides


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """How to build one GAN family: its config class, constructor, presets and default preset."""

    name: str
    description: str
    config_class: type
    build: Callable  # (model_config, data_config) -> GAN
    presets: dict
    default_preset: str
    validate: Callable = None  # (RunConfig) -> None, raises ConfigError; default: check_image_shape
    # Optional hooks for models whose data or schedule is not the plain "images + latents" stream:
    make_batches: Callable = None  # (RunConfig, model, start_step) -> tf.data.Dataset; default: gan_batches
    extra_callbacks: Callable = None  # (RunConfig, model, run_dir) -> list of keras callbacks (e.g. phase switches)
    # (RunConfig) -> tf.data.Dataset of the real examples behind the fixed preview inputs and the colour
    # reference (their "image"s); default: training_examples (image-to-image models pair inputs with targets)
    examples: Callable = None

    def preset(self, name: str) -> Preset:
        try:
            return self.presets[name]
        except KeyError:
            raise KeyError(
                f"model {self.name!r} has no preset {name!r}; valid presets: {', '.join(sorted(self.presets))}"
            ) from None


def check_image_shape(run_config):
    """The images a model makes must have the data's size and channel count (3 unless the model config says)."""
    from tfskin.config import ConfigError

    model, data = run_config.model_config, run_config.data
    channels = getattr(model, "channels", 3)
    if tuple(model.image_size) != tuple(data.image_size) or channels != data.channels:
        raise ConfigError(
            f"{run_config.model}: model makes {model.image_size[0]}x{model.image_size[1]}x{channels} but data gives "
            f"{data.image_size[0]}x{data.image_size[1]}x{data.channels}"
        )


def register_model(spec: ModelSpec) -> ModelSpec:
    if spec.name in _MODELS:
        raise ValueError(f"model {spec.name!r} is registered twice")
    if spec.default_preset not in spec.presets:
        raise ValueError(f"model {spec.name!r}: default preset {spec.default_preset!r} is not among its presets")
    _MODELS[spec.name] = spec
    return spec


def _load_all():
    for module in _MODEL_MODULES:
        importlib.import_module(module)


def model_names() -> list:
    _load_all()
    return sorted(_MODELS)


def get_model(name: str) -> ModelSpec:
    _load_all()
    try:
        return _MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; valid models: {', '.join(sorted(_MODELS))}") from None
