"""CycleGAN networks: the ResNet generator and the 70x70 PatchGAN (shared blocks in ``tfskin.layers``)."""

from tfskin.layers.patchgan import patchgan
from tfskin.layers.residual import resnet_generator


def build_generator(config, image_shape, name: str):
    """``image_shape`` (H, W, 3) in [-1, 1] -> (H, W, 3) in [-1, 1]."""
    return resnet_generator(tuple(image_shape), image_shape[2],
                            filters=config.generator_filters, downsamplings=config.downsamplings,
                            blocks=config.blocks(image_shape[:2]), name=name)


def build_discriminator(config, image_shape, name: str):
    """(H, W, 3) -> (H/8 - 2, W/8 - 2, 1) patch logits (30x30 at 256x256)."""
    return patchgan(tuple(image_shape), filters=config.discriminator_filters,
                    num_layers=config.discriminator_layers, padding=1, name=name)
