"""Typed, frozen run configuration: data, training and model settings, presets, JSON round trip."""

import dataclasses
import json
import typing
from dataclasses import dataclass, field, fields

from tfskin.errors import ConfigError  # noqa: F401 (raised here; importers use this name)

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
# default: one device; mirrored, tpu: tf.distribute (TensorFlow backend); data-parallel: keras.distribution.DataParallel
# over every device JAX sees (Keras' JAX backend). Which backend each needs is checked by ``tfskin.runtime``.
STRATEGIES = ("default", "mirrored", "tpu", "data-parallel")
# What ``--precision auto`` picks is decided per run from the hardware (``tfskin.runtime.auto_precision``) and
# written to config.json as the resolved name plus ``precision_reason``; "auto" itself never reaches a model.
MAX_IMAGE_SIDE = 8192  # 4x pix2pixHD's largest; beyond this one image no longer fits a GPU's memory
MAX_COUNT = 2**62  # steps, batch sizes and intervals: well inside the int64 step counter




def _coerce(value, annotation):
    """Turn JSON values back into the annotated type (lists -> tuples, nested dataclasses)."""
    origin = typing.get_origin(annotation)
    if dataclasses.is_dataclass(annotation) and isinstance(value, dict):
        return annotation.from_dict(value)
    if origin is tuple and isinstance(value, (list, tuple)):
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in value)
        return tuple(value)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in typing.get_args(annotation):
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(value, arg)
            except (TypeError, ValueError):
                continue
    if isinstance(value, list):
        return tuple(value)
    return value


def flag(default, name: str, help: str, *, parse=None, choices=None, path: bool = False):
    """A model-config field that ``tfskin train`` exposes as ``name`` (e.g. ``--domain-a``).

    ``parse`` turns the flag's text into the field's value (default: the field's type), ``choices`` limits it,
    and ``path`` makes a file path absolute (config.json must still point at it from another folder). The
    command line builds its flags from these fields, so a model's flags live with its settings.
    """
    return field(default=default, metadata={"flag": name, "help": help, "parse": parse, "choices": choices,
                                            "path": path})


def cli_flags(config_class) -> dict:
    """``{field name: metadata}`` of the fields of ``config_class`` declared with :func:`flag`."""
    return {f.name: f.metadata for f in fields(config_class) if "flag" in f.metadata}


def check_halvable(model: str, image_size, halvings: int, why: str = ""):
    """Raise ``ConfigError`` unless both sides of ``image_size`` halve ``halvings`` times without remainder."""
    h, w = image_size
    factor = 2 ** halvings
    if h % factor or w % factor:
        raise ConfigError(f"{model}: image size {h}x{w} must be divisible by 2**{halvings} = {factor}"
                          + (f" ({why})" if why else ""))


def halved(size, halvings: int) -> tuple:
    """(h, w) halved ``halvings`` times: the coarsest map of a generator that doubles that often."""
    return (size[0] // 2 ** halvings, size[1] // 2 ** halvings)


def doubled(size, doublings: int) -> tuple:
    """(h, w) doubled ``doublings`` times: the resolution of a pyramid level or growth stage."""
    return (size[0] * 2 ** doublings, size[1] * 2 ** doublings)


class ConfigMixin:
    """from_dict / to_dict / replace for frozen dataclass configs, rejecting unknown keys by name."""

    @classmethod
    def from_dict(cls, values: dict):
        hints = typing.get_type_hints(cls)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"{cls.__name__}: unknown field(s) {', '.join(unknown)}; valid fields: {', '.join(sorted(known))}"
            )
        return cls(**{k: _coerce(v, hints[k]) for k, v in values.items()})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


class ModelConfig(ConfigMixin):
    """Base of the model configs: architecture and loss weights only. The image shape and the seed are the
    model's constructor arguments (from ``data`` and ``train``), the optimizer settings ``RunConfig.optimizer``.

    ``check_image_shape`` rejects image shapes the architecture cannot make (default: 3 or 4 channels)."""

    def check_image_shape(self, image_size, channels: int):
        """Raise ``ConfigError`` when this architecture cannot make (H, W) = ``image_size`` x ``channels``."""
        if channels not in (3, 4):
            raise ConfigError(f"{self.model_label}: channels must be 3 or 4, got {channels}")

    @property
    def model_label(self) -> str:
        """The name used in messages (e.g. ``dcgan``)."""
        return type(self).__name__.removesuffix("Config").lower()


@dataclass(frozen=True)
class DataConfig(ConfigMixin):
    """Which examples a GAN trains on and how they are prepared."""

    name: str = "phantoms"
    split: str = "train"
    image_size: tuple = (64, 64)  # (height, width)
    channels: int = 3  # 3 = RGB, 4 = RGB + lesion mask
    num_examples: typing.Optional[int] = None  # limit (phantoms: how many to generate)
    classes: typing.Optional[tuple] = None  # keep only these class names
    augment: bool = True  # random flips (and 90-degree rotations when square)
    shuffle_buffer: int = 4096
    seed: int = 0

    def __post_init__(self):
        if len(self.image_size) != 2 or min(self.image_size) < 4:
            raise ConfigError(f"data.image_size must be (height, width) >= 4, got {self.image_size}")
        if max(self.image_size) > MAX_IMAGE_SIDE:
            raise ConfigError(f"data.image_size sides must be <= {MAX_IMAGE_SIDE} pixels, got {self.image_size}")
        if self.channels not in (3, 4):
            raise ConfigError(f"data.channels must be 3 (RGB) or 4 (RGB+mask), got {self.channels}")

    @property
    def image_shape(self) -> tuple:
        """(height, width, channels) of the images the run's model makes."""
        return (*self.image_size, self.channels)


@dataclass(frozen=True)
class TrainConfig(ConfigMixin):
    """How long and on what hardware a run trains, and how often it reports."""

    steps: int = 1000
    batch_size: int = 64
    precision: str = "auto"  # resolved per run: see PRECISIONS
    precision_reason: str = ""  # why the resolved precision was chosen (filled in when "auto" is resolved)
    strategy: str = "default"
    jit_compile: bool = False
    seed: int = 0
    log_every: int = 25
    sample_every: int = 250
    checkpoint_every: int = 250
    keep_checkpoints: int = 3
    export_at_end: bool = True

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ConfigError(f"train.precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"train.strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}")
        for name in ("steps", "batch_size", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1, got {getattr(self, name)}")
            if getattr(self, name) > MAX_COUNT:
                raise ConfigError(f"train.{name} must be <= {MAX_COUNT:,} (the step counter is a 64-bit integer), "
                                  f"got {getattr(self, name)}")


@dataclass(frozen=True)
class OptimizerConfig(ConfigMixin):
    """Adam for both players and the learning-rate schedule: ``constant_fraction`` of ``train.steps`` at the
    initial rates, then a linear decay to 0 at ``train.steps`` (1.0: constant; CycleGAN's and pix2pixHD's papers:
    0.5, as many decay steps as constant ones). A fraction, so ``--steps`` moves the decay with the run."""

    generator_learning_rate: float = 2e-4
    discriminator_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    constant_fraction: float = 1.0

    def __post_init__(self):
        for name in ("generator_learning_rate", "discriminator_learning_rate"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"optimizer.{name} must be in (0, 1), got {getattr(self, name)}")
        for name in ("beta_1", "beta_2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"optimizer.{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0.0 <= self.constant_fraction <= 1.0:
            raise ConfigError(f"optimizer.constant_fraction must be in [0, 1], got {self.constant_fraction}")

    def schedule_steps(self, total_steps: int) -> tuple:
        """(constant steps, decay steps) of a run of ``total_steps``; they add up to ``total_steps``."""
        constant = round(self.constant_fraction * total_steps)
        return constant, total_steps - constant


#: Augmentation kinds of ``AugmentConfig.kind`` (the same names as ``tfskin.gan.augment.KINDS``; repeated here so
#: the config is checked without importing TensorFlow).
AUGMENT_KINDS = ("none", "ada", "diffaugment")


@dataclass(frozen=True)
class AugmentConfig(ConfigMixin):
    """Augmentation of everything the discriminator sees (``GAN.discriminate``).

    ``kind``: ``none`` (today's step, bit for bit), ``ada`` (adaptive discriminator augmentation: the probability
    p starts at 0 and follows r_t = E[sign(D(real))] towards ``target``, adjusted every ``interval`` steps by at
    batch * interval / ``speed_images`` and capped at ``max_p``) or ``diffaugment`` (every transform, always).
    ``disabled``: names of transforms to leave out (e.g. ``hue`` where colour defines a class)."""

    kind: str = "none"
    target: float = 0.6
    interval: int = 4
    speed_images: int = 500_000
    max_p: float = 0.75  # below the p (about 0.8) where the paper finds ADA's pipeline starts to leak
    disabled: tuple = ()

    def __post_init__(self):
        if self.kind not in AUGMENT_KINDS:
            raise ConfigError(f"augment.kind {self.kind!r} is not one of {', '.join(AUGMENT_KINDS)}")
        if not 0.0 < self.target < 1.0:
            raise ConfigError(f"augment.target must be in (0, 1), got {self.target}")
        if not 0.0 <= self.max_p <= 1.0:
            raise ConfigError(f"augment.max_p must be in [0, 1], got {self.max_p}")
        for name in ("interval", "speed_images"):
            if not 1 <= getattr(self, name) <= MAX_COUNT:
                raise ConfigError(f"augment.{name} must be in [1, {MAX_COUNT:,}], got {getattr(self, name)}")
        if not all(isinstance(name, str) for name in self.disabled):
            raise ConfigError(f"augment.disabled must be transform names, got {self.disabled!r}")

    @property
    def enabled(self) -> bool:
        return self.kind != "none"


@dataclass(frozen=True)
class EMAConfig(ConfigMixin):
    """An exponential moving average of the generator's weights (sampled, evaluated and exported by default).

    ``halflife_images``: images over which an old weight's share halves (0: off); after each generator step
    ema <- beta * ema + (1 - beta) * weight with beta = 0.5 ** (batch / halflife). ``rampup`` (StyleGAN2; None:
    off): the half-life is min(halflife_images, images_seen * rampup), so early weights are forgotten fast."""

    halflife_images: float = 0.0
    rampup: typing.Optional[float] = None

    def __post_init__(self):
        if not 0.0 <= self.halflife_images <= MAX_COUNT:
            raise ConfigError(f"ema.halflife_images must be >= 0 (0: off), got {self.halflife_images}")
        if self.rampup is not None and not self.rampup > 0.0:
            raise ConfigError(f"ema.rampup must be > 0 or None (off), got {self.rampup}")

    @property
    def enabled(self) -> bool:
        return self.halflife_images > 0


@dataclass(frozen=True)
class R1Config(ConfigMixin):
    """R1 regularisation of the discriminator: gamma / 2 * E[||grad_x D(x_real)||^2], lazily every ``interval``
    steps and then multiplied by ``interval`` (``gamma`` 0: off). Not for Wasserstein critics."""

    gamma: float = 0.0
    interval: int = 16

    def __post_init__(self):
        if not self.gamma >= 0.0:
            raise ConfigError(f"r1.gamma must be >= 0 (0: off), got {self.gamma}")
        if not 1 <= self.interval <= MAX_COUNT:
            raise ConfigError(f"r1.interval must be in [1, {MAX_COUNT:,}], got {self.interval}")

    @property
    def enabled(self) -> bool:
        return self.gamma > 0


#: The sections of ``RunConfig`` that shape the training step (not the networks): name -> class.
STEP_SECTIONS = {"augment": AugmentConfig, "ema": EMAConfig, "r1": R1Config}


#: The layout of config.json this release writes: 2 = one section per concern (model architecture and loss
#: weights, data, train, optimizer), each value stated once. Layout 1 (no ``layout`` key) is read by
#: :func:`upgrade_layout_1`.
LAYOUT = 2


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs: written to ``<run_dir>/config.json`` and read back by resume/sample/export."""

    model: str
    preset: str
    model_config: typing.Any
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    ema: EMAConfig = field(default_factory=EMAConfig)
    r1: R1Config = field(default_factory=R1Config)

    def to_dict(self) -> dict:
        return {
            "layout": LAYOUT,
            "model": self.model,
            "preset": self.preset,
            "model_config": self.model_config.to_dict(),
            "data": self.data.to_dict(),
            "train": self.train.to_dict(),
            "optimizer": self.optimizer.to_dict(),
            **{name: getattr(self, name).to_dict() for name in STEP_SECTIONS},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict, model_config_class: type) -> "RunConfig":
        """Read back ``to_dict()`` of this or an earlier layout; ``model_config_class`` is the model's config
        class (from the registry)."""
        layout = values.get("layout", 1)
        if layout == 1:
            values = upgrade_layout_1(values)
        elif layout != LAYOUT:
            raise ConfigError(f"config layout {layout} is newer than this tfskin reads ({LAYOUT}); upgrade tfskin")
        return cls(
            model=values["model"],
            preset=values.get("preset", "custom"),
            model_config=model_config_class.from_dict(values["model_config"]),
            data=DataConfig.from_dict(values.get("data", {})),
            train=TrainConfig.from_dict(values.get("train", {})),
            optimizer=OptimizerConfig.from_dict(values.get("optimizer", {})),
            # config.json of runs from before these sections: their defaults are the step those runs trained with
            **{name: section.from_dict(values.get(name, {})) for name, section in STEP_SECTIONS.items()},
        )

    def replace(self, **changes) -> "RunConfig":
        return dataclasses.replace(self, **changes)


# Layout 1 kept these in ``model_config``: copies of data.image_size / data.channels / train.seed, and the
# optimizer settings (the schedule as absolute steps).
_LAYOUT_1_COPIES = ("image_size", "channels", "seed")
_LAYOUT_1_OPTIMIZER = ("learning_rate", "discriminator_learning_rate", "beta_1", "beta_2", "constant_steps",
                       "decay_steps")


def upgrade_layout_1(values: dict) -> dict:
    """A layout-1 config.json (tfskin before the ``optimizer`` section) as layout 2: the copies of the image
    shape and seed leave the model config, the optimizer settings move to ``optimizer`` (the schedule as the
    fraction of ``train.steps`` it kept the rate constant: that run's own schedule when it decayed over the rest
    of the run, as every preset's did at its own ``--steps``)."""
    model = dict(values["model_config"])
    for name in _LAYOUT_1_COPIES:
        model.pop(name, None)
    old = {name: model.pop(name) for name in _LAYOUT_1_OPTIMIZER if name in model}
    defaults = OptimizerConfig()
    rate = old.get("learning_rate", defaults.generator_learning_rate)
    steps = values.get("train", {}).get("steps", TrainConfig.steps)
    constant, decay = old.get("constant_steps", 0), old.get("decay_steps", 0)
    optimizer = {
        "generator_learning_rate": rate,
        "discriminator_learning_rate": old.get("discriminator_learning_rate") or rate,
        "beta_1": old.get("beta_1", defaults.beta_1),
        "beta_2": old.get("beta_2", defaults.beta_2),
        "constant_fraction": min(1.0, constant / steps) if decay else 1.0,
    }
    return {**values, "layout": LAYOUT, "model_config": model, "optimizer": optimizer}


def parse_image_size(text: str) -> tuple:
    """'64' -> (64, 64); '192x256' -> (192, 256) (height x width)."""
    try:
        parts = [int(p) for p in str(text).lower().split("x")]
    except ValueError:
        raise ConfigError(f"image size {text!r} is not N or HxW (e.g. 64 or 192x256)") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 4:
        raise ConfigError(f"image size {text!r} is not N or HxW with sides >= 4")
    return tuple(parts)


def count_type(minimum: int = 1):
    """An argparse ``type`` for counts and sizes: an integer >= ``minimum``. A wrong value is argparse's one-line
    error (exit 2), answered before TensorFlow is imported."""
    import argparse

    def count(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    count.__name__ = "count"
    return count


def image_size_type(text: str) -> tuple:
    """An argparse ``type`` for N or HxW (see :func:`parse_image_size`)."""
    import argparse

    try:
        return parse_image_size(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
