"""CycleGAN (Zhu et al. 2017) for unpaired lesion-class translation, e.g. nevus -> melanoma (NIK 2020 case
study), with the Path-Rank-Filter on domain B and generator samples as domain A."""

from tfskin.models.cyclegan.presets import PRESETS
from tfskin.registry import register_model

register_model("cyclegan", "tfskin.models.cyclegan.model:CycleGAN", PRESETS,
               "CycleGAN, unpaired class-to-class translation (nevus -> melanoma), Path-Rank-Filter")
