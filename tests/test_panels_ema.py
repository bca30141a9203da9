"""The extra panel grids of the image-to-image models (CycleGAN's cycles, pix2pixHD's map | synthesis | real) are
drawn by the EMA generator when the run keeps one, like the sample grid, and leave the trained weights in place."""

import numpy as np
import pytest

from tfskin.gan.image_to_image import PANEL_SAMPLES
from tfskin.gan.panels import PanelGrid
from tfskin.inputs import build_inputs
from tfskin.training import build_model, resolve_config


def _flat(groups):
    return [np.asarray(panel) for group in groups for panel in group]


@pytest.mark.parametrize("name", ["cyclegan", pytest.param("pix2pixhd", marks=pytest.mark.slow)])
def test_panel_grids_show_the_ema_generator(tmp_path, name):
    config = resolve_config(name, "tiny", train={"export_at_end": False}, ema={"halflife_images": 10.0})
    model = build_model(config)
    rng = np.random.default_rng(0)
    for variable in model.generator_variables:  # the trained weights move away from their EMA copies
        variable.assign(variable.numpy() + rng.normal(0, 0.05, variable.shape).astype(variable.dtype))
    inputs = build_inputs(model.input_kind, config, model.training_latent_spec())
    (grid,) = [c for c in model.training_callbacks(config, tmp_path, inputs) if isinstance(c, PanelGrid)]
    trained = [v.numpy().copy() for v, _ in model._ema_pairs]

    shown = _flat(grid.render())

    for (variable, _), value in zip(model._ema_pairs, trained):
        np.testing.assert_array_equal(variable.numpy(), value)  # the trained weights are back
    fixed = inputs.preview(PANEL_SAMPLES)
    raw = _flat(model.panels(fixed))
    for variable, shadow in model._ema_pairs:
        variable.assign(shadow.numpy())
    ema = _flat(model.panels(fixed))
    assert any(not np.allclose(a, b, atol=1e-4) for a, b in zip(ema, raw))
    for got, want in zip(shown, ema, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
