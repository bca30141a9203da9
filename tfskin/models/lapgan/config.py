"""LAPGAN settings (Pollastri et al. 2020, section 3.2 and appendix; Denton et al. 2015)."""

from dataclasses import dataclass

from tfskin.config import ConfigError, ModelConfig, doubled, flag, halved


def parse_levels(text: str) -> tuple:
    """``--levels``: "all" (every level) or comma-separated level indices, e.g. "0" or "1,2"."""
    if text.strip().lower() == "all":
        return ()
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"--levels takes 'all' or level numbers like 0,1,2, got {text!r}") from None


@dataclass(frozen=True)
class LAPGANConfig(ModelConfig):
    """A Laplacian pyramid of ``num_levels`` independently trained GANs.

    Level 0 maps a ``latent_dim`` vector to a base_size image (+ mask) with two dense layers in G and D. Level
    k >= 1 works at base_size * 2**k: its generator sees the blurred (bilinear) 2x upsampling of the level
    below plus a fresh noise plane and outputs the residual (three convolutions); its discriminator sees the
    residual with the upsampled image (two convolutions + one dense). LeakyReLU everywhere; no activation on
    the generators' last layer. With ``reuse_last_level`` the last GAN runs once more to double the size again
    (192x256 from 96x128 in the paper), so image_size = base_size * 2**num_levels.

    ``train_levels`` lists the levels this run trains (empty: all); ``level_schedule`` "joint" trains them
    together every step, "sequential" one after the other for ``level_images`` images each.
    """

    latent_dim: int = 100
    num_levels: int = 5
    reuse_last_level: bool = True
    dense_units: int = 1200
    conv_filters: int = 128
    kernel_size: int = 5
    noise_channels: int = 1
    train_levels: tuple = flag((), "--levels", "pyramid levels this run trains, 'all' or e.g. 0 or 1,2",
                               parse=parse_levels)
    level_schedule: str = flag("joint", "--level-schedule", "train the levels together every step, or one after the "
                                                            "other (resume lands in the level the step counter is in)",
                               choices=("joint", "sequential"))
    level_images: int = 640_000  # images per level when sequential

    def check_image_shape(self, image_size, channels: int):
        super().check_image_shape(image_size, channels)
        factor = 2 ** self.top_level
        h, w = image_size
        if h % factor or w % factor:
            raise ConfigError(f"lapgan: image size {h}x{w} must be divisible by 2**{self.top_level} "
                              f"({self.num_levels} levels{' + the reused last one' if self.reuse_last_level else ''})")

    def __post_init__(self):
        if self.num_levels < 2:
            raise ConfigError("lapgan: num_levels must be >= 2")
        bad = [k for k in self.train_levels if not 0 <= int(k) < self.num_levels]
        if bad:
            raise ConfigError(f"lapgan: train_levels {bad} not among levels 0..{self.num_levels - 1}")
        if self.level_schedule not in ("joint", "sequential"):
            raise ConfigError(f"lapgan: level_schedule must be joint or sequential, got {self.level_schedule!r}")
        if self.level_images < 1:
            raise ConfigError("lapgan: level_images must be >= 1")

    @property
    def top_level(self) -> int:
        """Doublings from the base to the output size."""
        return self.num_levels if self.reuse_last_level else self.num_levels - 1

    def base_size(self, image_size) -> tuple:
        """Level 0's size for ``image_size`` images."""
        return halved(image_size, self.top_level)

    def resolution(self, level: int, image_size) -> tuple:
        """Level ``level``'s size for ``image_size`` images."""
        return doubled(self.base_size(image_size), level)

    @property
    def levels_trained(self) -> tuple:
        return tuple(sorted({int(k) for k in self.train_levels})) if self.train_levels else tuple(
            range(self.num_levels))
