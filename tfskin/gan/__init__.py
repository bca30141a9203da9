"""The GAN core shared by every tfskin model: the base model and the family bases."""

from tfskin.gan.base import GAN
from tfskin.gan.conditional import ClassConditionalGAN
from tfskin.gan.image_to_image import ImageToImageGAN
from tfskin.gan.noise_to_image import NoiseToImageGAN
from tfskin.gan.staged import Phase, StagedGAN, StageSchedule

__all__ = ["GAN", "NoiseToImageGAN", "ClassConditionalGAN", "ImageToImageGAN", "StagedGAN", "Phase", "StageSchedule"]
