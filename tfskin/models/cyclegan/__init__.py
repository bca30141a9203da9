"""CycleGAN (Zhu et al. 2017) for unpaired lesion-class translation, e.g. nevus -> melanoma (NIK 2020 case
study), with the Path-Rank-Filter on domain B and generator samples as domain A."""

from tfskin.config import ConfigError
from tfskin.models.cyclegan.config import CycleGANConfig
from tfskin.models.cyclegan.model import CycleGAN
from tfskin.models.cyclegan.presets import PRESETS
from tfskin.registry import ModelSpec, check_image_shape, register_model

PANEL_SAMPLES = 8


def _validate(run_config):
    check_image_shape(run_config)
    if run_config.data.classes:
        raise ConfigError("cyclegan: choose the domains with --domain-a/--domain-b, not --classes")


def _extra_callbacks(config, model, run_dir):
    from tfskin.gan.panels import PanelGrid
    from tfskin.models.cyclegan import data
    from tfskin.training import FIXED_SAMPLES

    data.write_domain_report(config, run_dir)
    fixed = model.preview_inputs(data.preview_examples(config), FIXED_SAMPLES, config.train.seed)
    fixed = {k: v[:PANEL_SAMPLES] for k, v in fixed.items()}

    def render():
        p = model.cycle_panels(fixed)
        return [[p["real_a"], p["fake_b"], p["rec_a"]], [p["real_b"], p["fake_a"], p["rec_b"]]]

    return [PanelGrid(render, run_dir, config.train.sample_every, "cycle", log_dir=run_dir / "logs" / "cycle")]


def _make_batches(config, model, start_step):
    from tfskin.models.cyclegan import data

    return data.make_batches(config, model, start_step)


def _examples(config):
    from tfskin.models.cyclegan import data

    return data.preview_examples(config)


SPEC = register_model(ModelSpec(
    name="cyclegan",
    description="CycleGAN, unpaired class-to-class translation (nevus -> melanoma), Path-Rank-Filter",
    config_class=CycleGANConfig,
    build=lambda model_config: CycleGAN(model_config),
    presets=PRESETS,
    default_preset="quick",
    validate=_validate,
    make_batches=_make_batches,
    extra_callbacks=_extra_callbacks,
    examples=_examples,
))

__all__ = ["CycleGAN", "CycleGANConfig", "SPEC"]
