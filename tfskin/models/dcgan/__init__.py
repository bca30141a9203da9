"""DCGAN: 64x64 RGB (Lunagariya & Patel) and 192x256 RGB+mask (Pollastri et al. 2020)."""

from tfskin.models.dcgan.presets import PRESETS
from tfskin.registry import register_model

register_model("dcgan", "tfskin.models.dcgan.model:DCGAN", PRESETS, "DCGAN, noise -> 64x64 RGB or 192x256 RGB+mask")
