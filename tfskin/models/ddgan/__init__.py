"""DDGAN (MelanoGANs, Baur et al. 2018): one generator deeply supervised by discriminators at several scales."""

from tfskin.models.ddgan.presets import PRESETS
from tfskin.registry import register_model

register_model("ddgan", "tfskin.models.ddgan.model:DDGAN", PRESETS,
               "DDGAN (MelanoGANs), noise -> 256x256 RGB with a discriminator at each of the finest scales")
