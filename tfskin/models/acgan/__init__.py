"""ACGAN: (noise, class) -> 128x128 lesion images of the 8 ISIC 2019 classes (Fossen-Romsaas et al. 2020)."""

from tfskin.models.acgan.presets import PRESETS
from tfskin.registry import register_model

register_model("acgan", "tfskin.models.acgan.model:ACGAN", PRESETS,
               "ACGAN, (noise, class) -> 128x128 RGB, auxiliary classifier over the 8 ISIC 2019 classes")
