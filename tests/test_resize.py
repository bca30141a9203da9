"""Aspect-preserving resize + pad: geometry, TF/Python agreement, nearest labels, padding fill."""

import numpy as np
import pytest
import tensorflow as tf

from tfskin.data.resize import fit_within, pad_geometry, resize_with_pad, valid_region


@pytest.mark.parametrize("size, target, expected", [
    ((450, 600), (512, 1024), (512, 683, 0, 170)),  # 4:3 into 2:1: pad left/right
    ((512, 1024), (512, 1024), (512, 1024, 0, 0)),  # exactly 2:1: no padding
    ((1000, 2000), (512, 1024), (512, 1024, 0, 0)),
    ((300, 1200), (512, 1024), (256, 1024, 128, 0)),  # wider than 2:1: pad top/bottom
    ((3, 4), (192, 256), (192, 256, 0, 0)),
    ((767, 1022), (256, 256), (192, 256, 32, 0)),
    ((10, 1000), (256, 256), (3, 256, 126, 0)),  # rounds half up (2.56 -> 3)
])
def test_pad_geometry(size, target, expected):
    g = pad_geometry(*size, target)
    assert (g.height, g.width, g.top, g.left) == expected
    assert g.top + g.height + g.bottom == target[0] and g.left + g.width + g.right == target[1]


def test_no_upscale_keeps_small_images():
    g = pad_geometry(100, 120, (512, 1024), upscale=False)
    assert (g.height, g.width, g.top, g.left) == (100, 120, 206, 452)
    assert fit_within(4000, 6000, 1024) == (683, 1024)
    assert fit_within(400, 600, 1024) == (400, 600)
    assert fit_within(400, 600, 0) == (400, 600)


def test_tf_geometry_matches_python_on_many_sizes():
    rng = np.random.default_rng(0)
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(1, 700, size=2))
        target = tuple(int(v) for v in rng.integers(1, 300, size=2))
        for upscale in (True, False):
            g = pad_geometry(h, w, target, upscale=upscale)
            valid = valid_region(h, w, target, upscale=upscale).numpy()[..., 0]
            rows, cols = np.nonzero(valid)
            assert (rows.min(), cols.min()) == (g.top, g.left)
            assert (rows.max() + 1 - g.top, cols.max() + 1 - g.left) == (g.height, g.width)
            assert valid.sum() == g.height * g.width


def test_resize_with_pad_nearest_keeps_label_values_and_pads_with_fill():
    labels = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    out = resize_with_pad(labels, (6, 16), method="nearest", fill=99).numpy()[..., 0]
    assert out.shape == (6, 16)
    # 3x4 -> 6x8 (scale 2), centred: 4 columns of padding either side.
    assert (out[:, :4] == 99).all() and (out[:, 12:] == 99).all()
    np.testing.assert_array_equal(out[:, 4:12], np.kron(labels[..., 0], np.ones((2, 2), np.uint8)))


def test_resize_with_pad_bilinear_keeps_dtype_and_constant_colour():
    image = np.full((30, 40, 3), (200, 120, 60), np.uint8)
    out = resize_with_pad(image, (64, 64))
    assert out.dtype == tf.uint8 and out.shape == (64, 64, 3)
    g = pad_geometry(30, 40, (64, 64))
    inner = out.numpy()[g.top:g.top + g.height, g.left:g.left + g.width]
    assert (inner == (200, 120, 60)).all()
    assert (out.numpy()[:g.top] == 0).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        resize_with_pad(np.zeros((4, 4, 1), np.uint8), (8, 8), method="bicubic")
    with pytest.raises(ValueError, match="target"):
        pad_geometry(4, 4, (0, 8))
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        resize_with_pad(np.zeros((4, 4), np.uint8), (8, 8))
