"""pix2pixHD settings (Wang et al. 2018) as Bissoto et al. 2018 use it for skin lesions."""

from dataclasses import dataclass

from tfskin.classes import NUM_LABELS
from tfskin.config import ConfigError, ModelConfig, flag


@dataclass(frozen=True)
class Pix2PixHDConfig(ModelConfig):
    """Global generator + ``num_d`` multi-scale PatchGANs; LSGAN + discriminator feature matching (+ VGG19).

    Inputs are the one-hot 8-class semantic label map (``tfskin.data.labelmaps``) and, when ``use_instance``,
    the boundary map of the superpixel instance map (``tfskin.data.instances``), computed with SLIC using
    ``slic_segments`` superpixels where the dataset stores none (1000 in the paper; fewer at small sizes).

    ``vgg_weights``: ``none`` (no perceptual loss, the skin paper's objective), ``imagenet`` (VGG19 ImageNet
    weights from the Keras cache, ``~/.keras/models``; an error naming the file when absent), ``auto``
    (imagenet when cached, otherwise off with a message) or a path to a VGG19 (no top) weights file.
    """

    label_nc: int = NUM_LABELS
    use_instance: bool = True
    generator_filters: int = 64
    downsamplings: int = 4
    residual_blocks: int = 9
    discriminator_filters: int = 64
    discriminator_layers: int = 3
    num_d: int = flag(3, "--num-d", "number of discriminator scales", parse=int)
    lambda_feat: float = 10.0
    vgg_weights: str = flag("none", "--vgg-weights", "VGG19 perceptual loss weights: imagenet (Keras cache), a "
                                                     ".h5/.weights.h5 file, or none")
    lambda_vgg: float = 10.0
    slic_segments: int = 1000

    def check_image_shape(self, image_size, channels: int):
        h, w = image_size
        factor = 2 ** self.downsamplings
        if h % factor or w % factor:
            raise ConfigError(f"pix2pixhd: image size {h}x{w} must be divisible by 2**{self.downsamplings} = "
                              f"{factor}")
        if min(h, w) // 2 ** (self.num_d - 1) < 8:
            raise ConfigError(f"pix2pixhd: {h}x{w} is too small for {self.num_d} discriminator scales")
        if channels != 3:
            raise ConfigError(f"pix2pixhd: synthesizes RGB images (channels 3), got {channels}")

    def __post_init__(self):
        if self.num_d < 1:
            raise ConfigError(f"pix2pixhd: num_d must be >= 1, got {self.num_d}")
        if self.label_nc != NUM_LABELS:
            raise ConfigError(f"pix2pixhd: label maps have {NUM_LABELS} classes, got label_nc {self.label_nc}")
        if self.slic_segments < 2:
            raise ConfigError("pix2pixhd: slic_segments must be >= 2")

    @property
    def input_channels(self) -> int:
        return self.label_nc + (1 if self.use_instance else 0)
