"""Progressive GANs: ``progan`` (conditional, fade-in, 4x4 -> 256x256; Bissoto et al. 2018 after Karras et al.
2018) and ``progan_frozen`` (16 -> 32 -> 64 with earlier phases frozen; Lunagariya & Patel 7.2)."""

from tfskin.models.progan.presets import FROZEN_PRESETS, PROGAN_PRESETS
from tfskin.registry import register_model

register_model("progan", "tfskin.models.progan.model:ProGAN", PROGAN_PRESETS, "conditional progressive GAN (label at "
               "every block, fade-in, WGAN-GP + class term), 4x4 -> 256x256")
register_model("progan_frozen", "tfskin.models.progan.model:FrozenProGAN", FROZEN_PRESETS, "phase-frozen progressive "
               "GAN, 16 -> 32 -> 64 with earlier phases frozen, BCE + Adam")
