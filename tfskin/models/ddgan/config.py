"""DDGAN settings (MelanoGANs, Baur et al. 2018: the "deeply discriminated" GAN)."""

from dataclasses import dataclass

from tfskin.config import ConfigError, ConfigMixin, check_halvable, doubled, halved


@dataclass(frozen=True)
class DDGANConfig(ConfigMixin):
    """One generator, trained end to end, that produces an image at every scale of its upsampling path;
    the ``num_discriminators`` finest scales each have their own discriminator, and every one of them sends
    the generator gradients at its scale (summed with ``scale_weights``, finest last).

    ``generator_filters``: widths from the coarsest map (a dense projection of the noise) up, one 2x
    upsampling after each, so image_size = base * 2**(len - 1). Each scale's block sees the upsampled features
    and the upsampled image of the scale below (the image is "fed into the next generator" as described in the
    survey of Lunagariya & Patel, 6.1.1). Discriminators are DCGAN-style: stride-2 convolutions from
    ``discriminator_base_filters`` (doubling, at most 512) down to 4 pixels on the short side, then one logit.
    """

    image_size: tuple = (256, 256)
    channels: int = 3
    latent_dim: int = 100
    generator_filters: tuple = (512, 512, 256, 128, 64, 32, 16)
    num_discriminators: int = 5
    discriminator_base_filters: int = 32
    scale_weights: tuple = ()  # one weight per discriminated scale, coarsest first; empty = all 1
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    seed: int = 0

    def __post_init__(self):
        check_halvable("ddgan", self.image_size, len(self.generator_filters) - 1)
        if not 1 <= self.num_discriminators <= len(self.generator_filters):
            raise ConfigError(f"ddgan: num_discriminators must be 1..{len(self.generator_filters)}")
        if self.scale_weights and len(self.scale_weights) != self.num_discriminators:
            raise ConfigError("ddgan: scale_weights needs one weight per discriminator")
        if self.channels not in (3, 4):
            raise ConfigError(f"ddgan: channels must be 3 or 4, got {self.channels}")
        if min(self.resolution(self.first_discriminated)) < 4:
            raise ConfigError("ddgan: the coarsest discriminated scale must be at least 4 pixels")

    @property
    def num_scales(self) -> int:
        return len(self.generator_filters)

    @property
    def first_discriminated(self) -> int:
        return self.num_scales - self.num_discriminators

    @property
    def base_size(self) -> tuple:
        return halved(self.image_size, self.num_scales - 1)

    def resolution(self, scale: int) -> tuple:
        return doubled(self.base_size, scale)

    @property
    def weights(self) -> tuple:
        return tuple(self.scale_weights) or (1.0,) * self.num_discriminators
