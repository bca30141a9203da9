"""DDGAN settings (MelanoGANs, Baur et al. 2018: the "deeply discriminated" GAN)."""

from dataclasses import dataclass

from tfskin.config import ConfigError, ModelConfig, check_halvable, doubled, halved


@dataclass(frozen=True)
class DDGANConfig(ModelConfig):
    """One generator, trained end to end, that produces an image at every scale of its upsampling path;
    the ``num_discriminators`` finest scales each have their own discriminator, and every one of them sends
    the generator gradients at its scale (summed with ``scale_weights``, finest last).

    ``generator_filters``: widths from the coarsest map (a dense projection of the noise) up, one 2x
    upsampling after each, so image_size = base * 2**(len - 1). Each scale's block sees the upsampled features
    and the upsampled image of the scale below (the image is "fed into the next generator" as described in the
    survey of Lunagariya & Patel, 6.1.1). Discriminators are DCGAN-style: stride-2 convolutions from
    ``discriminator_base_filters`` (doubling, at most 512) down to 4 pixels on the short side, then one logit.
    """

    latent_dim: int = 100
    generator_filters: tuple = (512, 512, 256, 128, 64, 32, 16)
    num_discriminators: int = 5
    discriminator_base_filters: int = 32
    scale_weights: tuple = ()  # one weight per discriminated scale, coarsest first; empty = all 1

    def check_image_shape(self, image_size, channels: int):
        super().check_image_shape(image_size, channels)
        check_halvable("ddgan", image_size, len(self.generator_filters) - 1)
        if min(self.resolution(self.first_discriminated, image_size)) < 4:
            raise ConfigError("ddgan: the coarsest discriminated scale must be at least 4 pixels")

    def __post_init__(self):
        if not 1 <= self.num_discriminators <= len(self.generator_filters):
            raise ConfigError(f"ddgan: num_discriminators must be 1..{len(self.generator_filters)}")
        if self.scale_weights and len(self.scale_weights) != self.num_discriminators:
            raise ConfigError("ddgan: scale_weights needs one weight per discriminator")

    @property
    def num_scales(self) -> int:
        return len(self.generator_filters)

    @property
    def first_discriminated(self) -> int:
        return self.num_scales - self.num_discriminators

    def base_size(self, image_size) -> tuple:
        """The coarsest scale's size for ``image_size`` images."""
        return halved(image_size, self.num_scales - 1)

    def resolution(self, scale: int, image_size) -> tuple:
        """The size of ``scale`` (0 = coarsest) for ``image_size`` images."""
        return doubled(self.base_size(image_size), scale)

    @property
    def weights(self) -> tuple:
        return tuple(self.scale_weights) or (1.0,) * self.num_discriminators
