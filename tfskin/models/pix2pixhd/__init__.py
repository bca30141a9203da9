"""pix2pixHD (Wang et al. 2018) for skin lesions (Bissoto et al. 2018): semantic label map [+ instance boundary
map] -> dermoscopic image, plus new label maps for new images (``tfskin.models.pix2pixhd.new_maps``)."""

from tfskin.models.pix2pixhd.config import Pix2PixHDConfig
from tfskin.models.pix2pixhd.model import Pix2PixHD
from tfskin.models.pix2pixhd.presets import PRESETS
from tfskin.registry import ModelSpec, register_model

PANEL_SAMPLES = 8


def _examples(config):
    from tfskin.models.pix2pixhd import data

    return data.examples_for(config)


def _make_batches(config, model, start_step):
    from tfskin.models.pix2pixhd import data

    return data.make_batches(config, model, start_step)


def _extra_callbacks(config, model, run_dir):
    from tfskin.gan.panels import PanelGrid
    from tfskin.models.pix2pixhd import data

    fixed = model.preview_inputs(data.examples_for(config), PANEL_SAMPLES, config.train.seed)
    return [PanelGrid(lambda: model.panels(fixed), run_dir, config.train.sample_every, "maps",
                      log_dir=run_dir / "logs" / "maps")]


SPEC = register_model(ModelSpec(
    name="pix2pixhd",
    description="pix2pixHD, semantic label map [+ instance boundary map] -> lesion image (1024x512 or small)",
    config_class=Pix2PixHDConfig,
    build=lambda model_config: Pix2PixHD(model_config),
    presets=PRESETS,
    default_preset="quick",
    make_batches=_make_batches,
    extra_callbacks=_extra_callbacks,
    examples=_examples,
))

__all__ = ["Pix2PixHD", "Pix2PixHDConfig", "SPEC"]
