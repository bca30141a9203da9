"""Input channel stacks: RGB + lesion mask for the 4-channel GANs, and the colour spaces of the CDNN segmenter.

Pollastri et al. 2020 feed their CDNN RGB + HSV + CIELAB L* (7 channels, the baseline), RGB only (CDNN1) or
RGB + HSV + L*a*b* (9 channels, CDNN2). Here every channel is a float32 in about [0, 1]: RGB / 255, HSV as
``tf.image.rgb_to_hsv`` gives it, L* / 100, and (a* + 128) / 255, (b* + 128) / 255. CIELAB uses sRGB with the
D65 white point (2-degree observer), the same convention as ``skimage.color.rgb2lab``.
"""

from __future__ import annotations

import tensorflow as tf

CDNN_CHANNEL_SETS = {"rgb": 3, "rgb_hsv_l": 7, "rgb_hsv_lab": 9}

_D65_WHITE = (0.95047, 1.0, 1.08883)
_RGB_TO_XYZ = ((0.412453, 0.357580, 0.180423),
               (0.212671, 0.715160, 0.072169),
               (0.019334, 0.119193, 0.950227))


def _unit_rgb(image) -> tf.Tensor:
    """uint8 (or float in [0, 1]) RGB -> float32 in [0, 1]."""
    image = tf.convert_to_tensor(image)
    if image.shape[-1] != 3:
        raise ValueError(f"expected an RGB image with 3 channels, got shape {image.shape}")
    if image.dtype == tf.uint8:
        return tf.cast(image, tf.float32) / 255.0
    return tf.cast(image, tf.float32)


def rgb_mask_stack(image, mask) -> tf.Tensor:
    """uint8 (..., H, W, 4): RGB with the 0/255 lesion mask as fourth channel."""
    image = tf.convert_to_tensor(image)
    mask = tf.convert_to_tensor(mask)
    if mask.shape.rank == image.shape.rank - 1:
        mask = mask[..., tf.newaxis]
    if image.dtype != tf.uint8 or mask.dtype != tf.uint8:
        raise ValueError(f"rgb_mask_stack expects uint8 image and mask, got {image.dtype} and {mask.dtype}")
    return tf.concat([image, mask], axis=-1)


def hsv(image) -> tf.Tensor:
    """float32 (..., 3) HSV in [0, 1]."""
    return tf.image.rgb_to_hsv(_unit_rgb(image))


def cielab(image) -> tf.Tensor:
    """float32 (..., 3) CIELAB (L* in [0, 100], a*, b* about [-128, 127]) of sRGB input."""
    rgb = _unit_rgb(image)
    linear = tf.where(rgb <= 0.04045, rgb / 12.92, tf.pow((rgb + 0.055) / 1.055, 2.4))
    xyz = tf.einsum("ij,...j->...i", tf.constant(_RGB_TO_XYZ, tf.float32), linear)
    xyz = xyz / tf.constant(_D65_WHITE, tf.float32)
    delta = 6.0 / 29.0
    f = tf.where(xyz > delta ** 3, tf.pow(tf.maximum(xyz, delta ** 3), 1.0 / 3.0), xyz / (3 * delta ** 2) + 4.0 / 29.0)
    fx, fy, fz = tf.unstack(f, axis=-1)
    return tf.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lightness(image) -> tf.Tensor:
    """float32 (..., 1) CIELAB L* / 100."""
    return cielab(image)[..., :1] / 100.0


def cdnn_input(image, channels: str = "rgb_hsv_l") -> tf.Tensor:
    """float32 CDNN input: ``rgb`` (3), ``rgb_hsv_l`` (7, the baseline) or ``rgb_hsv_lab`` (9 channels)."""
    if channels not in CDNN_CHANNEL_SETS:
        raise ValueError(f"channels must be one of {', '.join(CDNN_CHANNEL_SETS)}, got {channels!r}")
    rgb = _unit_rgb(image)
    if channels == "rgb":
        return rgb
    parts = [rgb, hsv(rgb)]
    lab = cielab(rgb)
    if channels == "rgb_hsv_l":
        parts.append(lab[..., :1] / 100.0)
    else:
        parts += [lab[..., :1] / 100.0, (lab[..., 1:] + 128.0) / 255.0]
    return tf.concat(parts, axis=-1)
