"""pix2pixHD networks: the global generator and the multi-scale discriminator (shared blocks in
``tfskin.layers``)."""

from tfskin.layers.patchgan import multiscale_patchgan
from tfskin.layers.residual import resnet_generator


def build_generator(config, image_size):
    """one-hot labels [+ boundary] (H, W, 8[+1]) -> image (H, W, 3) in [-1, 1]; ngf 64, 4 downsamplings and 9
    residual blocks in the paper."""
    return resnet_generator((*image_size, config.input_channels), 3, filters=config.generator_filters,
                            downsamplings=config.downsamplings, blocks=config.residual_blocks, name="generator")


def build_discriminator(config, image_size):
    """conditioning + image (H, W, 8[+1]+3) -> per scale, the list of block features (patch logits last)."""
    return multiscale_patchgan((*image_size, config.input_channels + 3), num_d=config.num_d,
                               filters=config.discriminator_filters, num_layers=config.discriminator_layers,
                               padding=2, name="discriminator")
