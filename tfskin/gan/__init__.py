"""The GAN core shared by every tfskin model."""

from tfskin.gan.base import GAN

__all__ = ["GAN"]
