"""Superpixels: SLIC parameters, the ISIC RGB superpixel encoding, SLIC inside tf.data."""

import numpy as np
import pytest

from tfskin.data.instances import slic_superpixels_tf
from tfskin.data.superpixels import (
    ISIC_SLIC,
    PAPER_SLIC,
    decode_superpixel_rgb,
    encode_superpixel_rgb,
    slic_superpixels,
)


def test_isic_rgb_encoding_round_trip():
    index = np.array([[0, 1, 255], [256, 990, 65536 + 3]], np.int32)
    rgb = encode_superpixel_rgb(index)
    np.testing.assert_array_equal(rgb[1, 1], [990 % 256, 990 // 256, 0])
    np.testing.assert_array_equal(rgb[1, 2], [3, 0, 1])
    np.testing.assert_array_equal(decode_superpixel_rgb(rgb), index)
    with pytest.raises(ValueError):
        decode_superpixel_rgb(np.zeros((2, 2), np.uint8))


def test_slic_defaults_are_the_papers():
    assert (PAPER_SLIC.n_segments, PAPER_SLIC.compactness, PAPER_SLIC.sigma, PAPER_SLIC.slic_zero) == (1000, 1.0, 2.0,
                                                                                                      True)
    assert ISIC_SLIC.compactness == 0.01 and ISIC_SLIC.max_num_iter == 10 and ISIC_SLIC.min_size_factor == 0.5


def test_slic_superpixels_partition_and_mask():
    rng = np.random.default_rng(0)
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, 30:] = 200
    image = np.clip(image + rng.integers(0, 10, image.shape), 0, 255).astype(np.uint8)
    params = PAPER_SLIC.__class__(n_segments=12)
    labels = slic_superpixels(image, params)
    assert labels.dtype == np.int32 and labels.shape == (40, 60) and labels.min() == 0
    assert not set(np.unique(labels[:, :29])) & set(np.unique(labels[:, 31:]))  # follows the colour edge
    mask = np.zeros((40, 60), np.uint8)
    mask[:, 10:50] = 1
    masked = slic_superpixels(image, params, mask=mask)
    assert (masked[:, :10] == 0).all() and (masked[:, 10:50] > 0).all()
    tf_labels = slic_superpixels_tf(image, mask[..., None], params).numpy()
    np.testing.assert_array_equal(tf_labels[..., 0], masked)
