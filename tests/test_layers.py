"""Shared blocks: reflection padding, instance norm, residual generator, PatchGANs (paper shapes and sizes)."""

import keras
import numpy as np
import pytest

from tfskin.layers.normalization import instance_norm
from tfskin.layers.padding import ReflectionPadding2D
from tfskin.layers.patchgan import multiscale_patchgan, patchgan
from tfskin.layers.residual import resnet_generator


def test_reflection_padding_mirrors_without_repeating_the_edge():
    x = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)
    out = np.asarray(ReflectionPadding2D((2, 3))(x))
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (2, 2), (3, 3), (0, 0)), mode="reflect"))
    layer = ReflectionPadding2D(1)
    assert layer.compute_output_shape((None, 8, 8, 3)) == (None, 10, 10, 3)
    clone = ReflectionPadding2D.from_config(layer.get_config())
    assert clone.padding == (1, 1)


def test_instance_norm_normalises_each_image_and_channel():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (2, 6, 7, 4)).astype("float32")
    y = np.asarray(instance_norm()(x))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-4)


def test_cyclegan_resnet9_generator_and_70x70_patchgan_match_the_reference_sizes():
    """11,378,179 and 2,764,737 parameters: the sizes the CycleGAN reference code prints for ResNet-9 (ngf 64)
    and the 70x70 PatchGAN (ndf 64, 3 layers) with instance norm."""
    g = resnet_generator((256, 256, 3), 3, filters=64, downsamplings=2, blocks=9)
    assert g.count_params() == 11_378_179
    assert g.output_shape == (None, 256, 256, 3)
    d = patchgan((256, 256, 3), filters=64, num_layers=3, padding=1)
    assert d.count_params() == 2_764_737
    assert d.output_shape == (None, 30, 30, 1)


def test_patchgan_receptive_field_is_70_pixels():
    d = patchgan((256, 256, 3), filters=8, num_layers=3, padding=1)
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    field = 1
    for conv in reversed(convs):
        field = field * conv.strides[0] + conv.kernel_size[0] - conv.strides[0]
    assert field == 70


def test_pix2pixhd_global_generator_and_multiscale_discriminator_shapes():
    g = resnet_generator((64, 128, 9), 3, filters=4, downsamplings=4, blocks=2)
    assert g.output_shape == (None, 64, 128, 3)
    d = multiscale_patchgan((64, 128, 11), num_d=3, filters=4, num_layers=3, padding=2)
    outs = d(np.zeros((1, 64, 128, 11), "float32"))
    assert len(outs) == 3 and all(len(o) == 5 for o in outs)
    assert [tuple(o[-1].shape[1:3]) for o in outs] == [(11, 19), (7, 11), (5, 7)]
    with pytest.raises(ValueError, match="divisible"):
        resnet_generator((60, 64, 3), 3, downsamplings=4, blocks=1)


def test_flops_script_reproduces_the_published_cyclegan_generator_cost():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "flops.py"
    spec = importlib.util.spec_from_file_location("tfskin_flops", path)
    flops = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(flops)
    g = flops.model_macs(resnet_generator((256, 256, 3), 3, filters=64, downsamplings=2, blocks=9))
    assert round(g["zero_insert"] / 1e9, 1) == 56.8  # as published (transposed convs over output pixels)
    assert g["effective"] < g["zero_insert"]
    d = flops.model_macs(patchgan((256, 256, 3), filters=64, num_layers=3, padding=1))
    assert d["zero_insert"] == d["effective"] and 3.0e9 < d["zero_insert"] < 3.3e9
