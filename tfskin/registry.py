"""Model registry: one ``register_model(...)`` line per model, lookup by name with helpful errors.

Registration is light: a model's package registers its name, its presets and where its class lives, without
importing TensorFlow, so ``tfskin models`` and ``tfskin --help`` answer at once. The class is imported the first
time it is needed (``spec.model_class``). The config class is read from the presets (every preset of a model
holds the same config class), and checked against the model class's ``config_class`` when that is imported.
"""

import dataclasses
import importlib
from typing import Union

from tfskin.config import STEP_SECTIONS, DataConfig, OptimizerConfig
from tfskin.errors import ConfigError

_MODELS: dict = {}

#: The model ``tfskin train`` trains when no ``--model`` is given.
DEFAULT_MODEL = "dcgan"

# Packages that register models when imported; listed explicitly (no reflection over the package tree).
MODEL_PACKAGES = (
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
    """A named starting point: model settings plus the data, training and optimizer settings they were meant for.

    The image size and channel count are stated once, in ``data``, and the model is built with them (as the
    networks take the data set's resolution); ``image_shape`` is that shape."""

    name: str
    description: str
    model_config: object
    data: dict = dataclasses.field(default_factory=dict)  # DataConfig overrides
    train: dict = dataclasses.field(default_factory=dict)  # TrainConfig overrides
    optimizer: dict = dataclasses.field(default_factory=dict)  # OptimizerConfig overrides
    augment: dict = dataclasses.field(default_factory=dict)  # AugmentConfig overrides
    ema: dict = dataclasses.field(default_factory=dict)  # EMAConfig overrides
    r1: dict = dataclasses.field(default_factory=dict)  # R1Config overrides

    def __post_init__(self):
        data = DataConfig(**self.data)
        self.model_config.check_image_shape(data.image_size, data.channels)
        OptimizerConfig(**self.optimizer)  # fail at registration on a misspelt or invalid setting
        for name, section in STEP_SECTIONS.items():
            section(**getattr(self, name))

    @property
    def image_shape(self) -> tuple:
        """(height, width, channels) of this preset's images."""
        return DataConfig(**self.data).image_shape


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A registered model: its name, description, presets and (lazily) its ``GAN`` subclass."""

    name: str
    description: str
    model: Union[str, type]  # the class, or "package.module:ClassName" imported on first use
    presets: dict
    default_preset: str = "quick"
    commands: str = None  # a module with ``register(subparsers)`` adding this model's own subcommands

    @property
    def config_class(self) -> type:
        return type(self.presets[self.default_preset].model_config)

    @property
    def model_class(self) -> type:
        if isinstance(self.model, type):
            return self.model
        module_name, _, class_name = self.model.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        if getattr(cls, "config_class", None) is not self.config_class:
            raise TypeError(f"model {self.name!r}: {cls.__name__}.config_class is not {self.config_class.__name__}")
        return cls

    def build(self, model_config, image_shape, seed: int = 0):
        """A new (untrained) model for ``model_config`` making ``image_shape`` (H, W, C) images; ``seed`` seeds
        its sampling (and any randomness its training step draws itself)."""
        return self.model_class(model_config, image_shape=image_shape, seed=seed)

    def preset(self, name: str) -> Preset:
        try:
            return self.presets[name]
        except KeyError:
            raise ConfigError(
                f"model {self.name!r} has no preset {name!r}; valid presets: {', '.join(sorted(self.presets))}"
            ) from None


def register_model(name: str, model: Union[str, type], presets: dict, description: str,
                   default_preset: str = "quick", commands: str = None) -> ModelSpec:
    """Register a model: ``register_model("dcgan", "tfskin.models.dcgan.model:DCGAN", PRESETS, "DCGAN, ...")``."""
    if name in _MODELS:
        raise ValueError(f"model {name!r} is registered twice")
    if default_preset not in presets:
        raise ValueError(f"model {name!r}: default preset {default_preset!r} is not among its presets")
    config_classes = {type(p.model_config) for p in presets.values()}
    if len(config_classes) != 1:
        raise ValueError(f"model {name!r}: presets mix config classes {sorted(c.__name__ for c in config_classes)}")
    spec = ModelSpec(name=name, description=description, model=model, presets=dict(presets),
                     default_preset=default_preset, commands=commands)
    _MODELS[name] = spec
    return spec


def unregister_model(name: str):
    """Remove a model (tests that register an example model clean up with this)."""
    _MODELS.pop(name, None)


def _load_all():
    for package in MODEL_PACKAGES:
        importlib.import_module(package)


def model_names() -> list:
    _load_all()
    return sorted(_MODELS)


def get_model(name: str) -> ModelSpec:
    _load_all()
    try:
        return _MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; valid models: {', '.join(sorted(_MODELS))}") from None
