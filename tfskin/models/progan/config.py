"""Progressive GAN settings: the conditional fade-in variant (Bissoto et al. 2018 / Karras et al. 2018) and the
phase-frozen variant (Lunagariya & Patel, section 7.2)."""

import math
from dataclasses import dataclass, replace

from tfskin.config import ConfigError, ModelConfig, check_halvable, doubled, halved


def _check_power_of_two_growth(name, image_size, stages):
    check_halvable(name, image_size, stages - 1, "one doubling per stage")


@dataclass(frozen=True)
class ProGANConfig(ModelConfig):
    """Conditional progressive GAN.

    ``feature_maps`` gives the width of each resolution's block from the base (4x4 for 256x256) up; one stage
    per entry, so the base resolution is image_size / 2**(len(feature_maps) - 1). Each stage after the first
    fades in over ``transition_images`` images shown (alpha rising linearly 0 -> 1), then trains at alpha 1
    for ``stabilise_images``; the first stage only stabilises. The class label (one-hot) is concatenated to
    the input of every block of both networks except the output layers, and the critic also predicts the class
    (auxiliary term, weight ``class_weight``). WGAN-GP (``gp_weight``) with drift ``drift_weight``.
    ``label_mode`` "class" uses the dataset's class index; "melanoma" maps it to 0 = other, 1 = MEL (the
    benign / melanoma conditioning of Bissoto et al.).

    ``fake_label_prior``: the classes the fakes are made for in training. "real" (the default, as Karras et
    al.'s reference trains its conditional critic): the labels of the real batch they are compared with, so
    real and fake carry the same classes. "uniform" and "isic2019" draw them from that prior instead; where it
    differs from the data's, the critic, which sees the label, scores the label alone (the gradient penalty
    constrains only the image): its Wasserstein estimate then grows to what the drift term allows
    (sum_y (p_real - p_fake)^2 / (2 drift p_real), about 1,850 for uniform labels against ISIC 2019's classes)
    and swamps the image signal. Sampling (``sample``, exports) takes its classes from the caller either way.
    """

    num_classes: int = 2
    class_names: tuple = ("benign", "melanoma")
    label_mode: str = "melanoma"  # "class" or "melanoma"
    latent_dim: int = 512
    feature_maps: tuple = (512, 512, 512, 512, 256, 128, 64)
    transition_images: int = 60_000
    stabilise_images: int = 60_000
    minibatch_std_group: int = 4
    gp_weight: float = 10.0
    drift_weight: float = 0.001
    class_weight: float = 1.0
    fake_label_prior: str = "real"  # "real", "uniform" or "isic2019" (label_mode "class" only)

    def check_image_shape(self, image_size, channels: int):
        super().check_image_shape(image_size, channels)
        _check_power_of_two_growth("progan", image_size, self.num_stages)

    def __post_init__(self):
        if self.label_mode not in ("class", "melanoma"):
            raise ConfigError(f"progan: label_mode must be class or melanoma, got {self.label_mode!r}")
        if self.label_mode == "melanoma" and self.num_classes != 2:
            raise ConfigError("progan: label_mode melanoma needs num_classes 2")
        if len(self.class_names) != self.num_classes:
            raise ConfigError(f"progan: {len(self.class_names)} class names for {self.num_classes} classes")
        if self.transition_images < 0 or self.stabilise_images < 1:
            raise ConfigError("progan: transition_images must be >= 0 and stabilise_images >= 1")
        if self.fake_label_prior not in ("real", "uniform", "isic2019"):
            raise ConfigError("progan: fake_label_prior must be real, uniform or isic2019")

    @property
    def num_stages(self) -> int:
        return len(self.feature_maps)

    def base_size(self, image_size) -> tuple:
        """The first stage's size for ``image_size`` images."""
        return halved(image_size, self.num_stages - 1)

    def resolution(self, stage: int, image_size) -> tuple:
        """Stage ``stage``'s size for ``image_size`` images."""
        return doubled(self.base_size(image_size), stage)

    def fitted_to(self, image_size, steps: int, batch_size: int, base: int = 4) -> "ProGANConfig":
        """This config grown from ``base`` x ``base`` (the shorter side) to ``image_size`` within ``steps`` steps of
        ``batch_size``: the last blocks of ``feature_maps``, one per stage, and every fade-in and stabilisation
        lasting steps x batch / (2 x stages) images, so the last stage is fully faded in after (2 x stages - 2)
        / (2 x stages) of the run and trains at alpha 1 for the rest. A preset's phase lengths are set for its own
        size and step count; a shorter run at them ends at a low resolution (900 steps of ``quick`` at 32x32 end
        while 8x8 fades in)."""
        side = min(image_size)
        stages = int(math.log2(side // base)) + 1 if side >= base and side % base == 0 else 0
        if stages < 1 or base * 2 ** (stages - 1) != side:
            raise ConfigError(f"progan: cannot grow from {base}x{base} to {image_size[0]}x{image_size[1]} by "
                              f"doubling")
        if stages > len(self.feature_maps):
            raise ConfigError(f"progan: {stages} stages ({base} -> {side}) need {stages} feature_maps entries, the "
                              f"config has {len(self.feature_maps)}")
        phase = max(1, steps * batch_size // (2 * stages))
        return replace(self, feature_maps=tuple(self.feature_maps[-stages:]), transition_images=phase,
                       stabilise_images=phase)


@dataclass(frozen=True)
class FrozenProGANConfig(ModelConfig):
    """Phase-frozen progressive GAN (Lunagariya & Patel 7.2): DCGAN-style layers, trained phase by phase at
    ``stage_sizes`` resolutions; entering a phase freezes every layer of the earlier phases (BatchNorm in
    inference mode, weights no longer updated) and adds a block, a new to-image layer and a new from-image
    layer. BCE + Adam; no fade-in.

    ``generator_filters`` are the feature widths from the 4x4 projection up to image_size/2 (the last to-image
    layer is a stride-2 ConvTranspose); the discriminator mirrors them.
    """

    latent_dim: int = 100
    generator_filters: tuple = (512, 256, 128, 64)
    num_stages: int = 3
    images_per_stage: int = 500 * 2000  # images shown per phase (report: 500 epochs of ISIC 2017 overall)
    label_smoothing: float = 0.0

    def check_image_shape(self, image_size, channels: int):
        if channels not in (3, 4):
            raise ConfigError(f"progan_frozen: channels must be 3 or 4, got {channels}")
        _check_power_of_two_growth("progan_frozen", image_size, self.num_stages)
        h, w = image_size
        factor = 2 ** len(self.generator_filters)
        if h % factor or w % factor:
            raise ConfigError(
                f"progan_frozen: image size {h}x{w} must be divisible by 2**{len(self.generator_filters)}")

    def __post_init__(self):
        if self.num_stages > len(self.generator_filters) - 1:
            raise ConfigError("progan_frozen: the first phase needs at least two generator blocks")
        if self.images_per_stage < 1:
            raise ConfigError("progan_frozen: images_per_stage must be >= 1")

    def base_size(self, image_size) -> tuple:
        """The generator's 4x4-style projection size for ``image_size`` images."""
        return halved(image_size, len(self.generator_filters))

    def resolution(self, stage: int, image_size) -> tuple:
        """Phase ``stage``'s size for ``image_size`` images."""
        return halved(image_size, self.num_stages - 1 - stage)

    @property
    def first_stage_blocks(self) -> int:
        """Generator blocks (projection included) of the first phase."""
        return len(self.generator_filters) - self.num_stages + 1


def stage_steps(images: int, batch_size: int) -> int:
    return max(1, math.ceil(images / batch_size))
