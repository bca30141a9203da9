"""ACGAN settings."""

from dataclasses import dataclass

from tfskin.classes import CLASS_NAMES
from tfskin.config import ConfigError, ModelConfig, check_halvable, halved


@dataclass(frozen=True)
class ACGANConfig(ModelConfig):
    """Auxiliary-classifier GAN (Odena et al. 2017) as used by Fossen-Romsaas et al. 2020, experiment 1.

    The generator sees the noise concatenated with the class one-hot (Odena et al.); the discriminator has two
    heads, real/fake and a ``num_classes``-way auxiliary classifier. ``generator_filters`` are the widths from
    the coarsest map up (the first is the dense projection), one 2x upsampling after each, and a last one to
    the image, so the coarsest map is image_size / 2**len(generator_filters).
    """

    num_classes: int = 8
    class_names: tuple = CLASS_NAMES
    latent_dim: int = 100
    generator_filters: tuple = (768, 384, 256, 192)
    generator_kernel_size: int = 5
    discriminator_filters: tuple = (16, 32, 64, 128, 256, 512)
    discriminator_strides: tuple = (2, 1, 2, 1, 2, 1)
    discriminator_dropout: float = 0.5
    adversarial_weight: float = 1.0  # weight of the real/fake (BCE) term in both players' losses
    auxiliary_weight: float = 1.0  # weight of the class (cross-entropy) term in both players' losses
    fake_label_prior: str = "uniform"  # class distribution of generated samples: "uniform" or "isic2019"

    def check_image_shape(self, image_size, channels: int):
        super().check_image_shape(image_size, channels)
        check_halvable("acgan", image_size, len(self.generator_filters))

    def __post_init__(self):
        if self.num_classes < 2:
            raise ConfigError("acgan: num_classes must be >= 2")
        if len(self.class_names) != self.num_classes:
            raise ConfigError(f"acgan: {len(self.class_names)} class names for {self.num_classes} classes")
        if len(self.discriminator_strides) != len(self.discriminator_filters):
            raise ConfigError("acgan: discriminator_strides and discriminator_filters differ in length")
        if self.fake_label_prior not in ("uniform", "isic2019"):
            raise ConfigError(f"acgan: fake_label_prior must be uniform or isic2019, got {self.fake_label_prior!r}")
        if not 0.0 <= self.discriminator_dropout < 1.0:
            raise ConfigError("acgan: discriminator_dropout must be in [0, 1)")
        if self.adversarial_weight < 0 or self.auxiliary_weight < 0:
            raise ConfigError("acgan: loss weights must be >= 0")

    def base_size(self, image_size) -> tuple:
        """The coarsest map of the generator for ``image_size`` images."""
        return halved(image_size, len(self.generator_filters))
