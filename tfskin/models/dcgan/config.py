"""DCGAN settings."""

from dataclasses import dataclass

from tfskin.config import ConfigError, ModelConfig, check_halvable, halved


@dataclass(frozen=True)
class DCGANConfig(ModelConfig):
    """DCGAN (Radford et al. 2016) with the two layouts tfskin reproduces.

    ``generator_filters`` are the widths of the feature maps from the coarsest up, one upsampling each, so the
    coarsest map is image_size / 2**len(generator_filters). ``discriminator_filters`` mirror it downwards.
    """

    latent_dim: int = 100
    kernel_size: int = 4
    generator_filters: tuple = (512, 256, 128, 64)
    discriminator_filters: tuple = (64, 128, 256, 512)
    generator_input: str = "conv_transpose"  # "conv_transpose" (from a 1x1 map) or "dense" (project + reshape)
    generator_activation: str = "relu"  # "relu" or "leaky_relu"
    discriminator_output: str = "conv"  # "conv" (a valid conv over the last map) or "dense"
    loss: str = "nonsaturating"
    label_smoothing: float = 0.0

    def check_image_shape(self, image_size, channels: int):
        super().check_image_shape(image_size, channels)
        check_halvable("dcgan", image_size, len(self.generator_filters), "one upsampling per generator filter")

    def __post_init__(self):
        if self.generator_input not in ("conv_transpose", "dense"):
            raise ConfigError(f"dcgan: generator_input must be conv_transpose or dense, got {self.generator_input!r}")
        if self.generator_activation not in ("relu", "leaky_relu"):
            raise ConfigError("dcgan: generator_activation must be relu or leaky_relu")
        if self.discriminator_output not in ("conv", "dense"):
            raise ConfigError("dcgan: discriminator_output must be conv or dense")
        if self.latent_dim < 1:
            raise ConfigError("dcgan: latent_dim must be >= 1")

    def base_size(self, image_size) -> tuple:
        """The coarsest map of the generator for ``image_size`` images."""
        return halved(image_size, len(self.generator_filters))
