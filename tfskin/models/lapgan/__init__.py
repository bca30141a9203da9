"""LAPGAN: a Laplacian pyramid of GANs making 192x256 RGB + mask samples (Pollastri et al. 2020)."""

from tfskin.models.lapgan.presets import PRESETS
from tfskin.registry import register_model

register_model("lapgan", "tfskin.models.lapgan.model:LAPGAN", PRESETS,
               "LAPGAN, a pyramid of per-level GANs, noise -> 192x256 RGB + mask (levels jointly or one by one)")
