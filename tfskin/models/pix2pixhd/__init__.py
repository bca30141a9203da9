"""pix2pixHD (Wang et al. 2018) for skin lesions (Bissoto et al. 2018): semantic label map [+ instance boundary
map] -> dermoscopic image, plus new label maps for new images (``tfskin.models.pix2pixhd.new_maps``)."""

from tfskin.models.pix2pixhd.presets import PRESETS
from tfskin.registry import register_model

register_model("pix2pixhd", "tfskin.models.pix2pixhd.model:Pix2PixHD", PRESETS,
               "pix2pixHD, semantic label map [+ instance boundary map] -> lesion image (1024x512 or small)",
               commands="tfskin.models.pix2pixhd.cli")
