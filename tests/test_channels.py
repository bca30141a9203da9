"""Channel stacks (RGB+mask, HSV, CIELAB) and conditioning on phantoms."""

import numpy as np
import pytest
import tensorflow as tf
from skimage.color import rgb2hsv, rgb2lab

from tfskin.data.channels import cdnn_input, cielab, hsv, lightness, rgb_mask_stack
from tfskin.data.conditioning import CONDITIONING_FEATURES, add_conditioning
from tfskin.data.labelmaps import NUM_LABELS, PADDING


def _image(seed=0, shape=(9, 11, 3)):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def test_colour_spaces_match_scikit_image():
    image = _image()
    np.testing.assert_allclose(hsv(image).numpy(), rgb2hsv(image), atol=1e-5)
    np.testing.assert_allclose(cielab(image).numpy(), rgb2lab(image), atol=2e-3)
    np.testing.assert_allclose(lightness(image).numpy()[..., 0], rgb2lab(image)[..., 0] / 100, atol=2e-5)


def test_cdnn_channel_sets():
    image = _image()
    assert cdnn_input(image, "rgb").shape[-1] == 3
    seven = cdnn_input(image, "rgb_hsv_l").numpy()
    nine = cdnn_input(image, "rgb_hsv_lab").numpy()
    assert seven.shape[-1] == 7 and nine.shape[-1] == 9
    np.testing.assert_allclose(seven, nine[..., :7])
    assert nine.min() >= -1e-6 and nine.max() <= 1 + 1e-6
    with pytest.raises(ValueError, match="channels"):
        cdnn_input(image, "rgb_hsv")


def test_rgb_mask_stack():
    image = _image()
    mask = np.zeros((9, 11), np.uint8)
    mask[2:5, 3:7] = 255
    stack = rgb_mask_stack(image, mask).numpy()
    assert stack.shape == (9, 11, 4)
    np.testing.assert_array_equal(stack[..., 3], mask)
    np.testing.assert_array_equal(stack[..., :3], image)


def test_conditioning_on_phantoms():
    from tfskin.data.phantoms import generate_phantoms

    p = generate_phantoms(1, 48, 64, seed=3)
    example = {"image": tf.constant(p["image"][0]), "mask": tf.constant(p["mask"][0][..., None]),
               "attributes": tf.constant(p["attributes"][0])}
    out = add_conditioning(example, CONDITIONING_FEATURES)
    labels = out["label_map"].numpy()[..., 0]
    assert labels.shape == (48, 64) and not (labels == PADDING).any() and labels.max() < NUM_LABELS
    assert ((labels >= 2) == ((p["mask"][0] >= 128) | (p["attributes"][0] >= 128).any(-1))).all()
    inst = out["instance_map"].numpy()[..., 0]
    stride = 10 ** (len(str(inst.max())) - 1)  # 1000, or more when a class has over 999 superpixels
    assert inst.min() >= stride >= 1000 and (inst // stride == labels).mean() > 0.5
    assert set(np.unique(out["boundary"].numpy())) <= {0, 1}
    assert out["rgb_mask"].shape == (48, 64, 4) and out["cdnn_rgb_hsv_l"].shape == (48, 64, 7)
    with pytest.raises(ValueError, match="unknown conditioning"):
        add_conditioning(example, ("depth",))
