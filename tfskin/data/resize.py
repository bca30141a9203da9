"""Aspect-preserving resize and pad to a fixed (height, width), identical for images, masks and label maps.

The geometry is exact integer arithmetic shared by the Python and TensorFlow paths, so the padding region is
always known from the sizes alone (never guessed from pixel colours)::

    scale   = min(target_h / h, target_w / w)       (capped at 1 when upscale=False)
    new_h/w = round-half-up(h * scale), round-half-up(w * scale), the limiting side exactly the target
    top     = (target_h - new_h) // 2,  left = (target_w - new_w) // 2

Images are resampled bilinearly with antialiasing; masks and label/instance maps with nearest neighbour.
"""

from __future__ import annotations

import tensorflow as tf

from tfskin.data.geometry import PadGeometry, check_target, fit_within, fitted_size, pad_geometry  # noqa: F401

METHODS = ("bilinear", "nearest")


def _tf_geometry(height, width, target_h: int, target_w: int, upscale: bool):
    """TensorFlow twin of ``pad_geometry`` (same integer formula): (new_h, new_w, top, left) int32 tensors."""
    h = tf.cast(height, tf.int64)
    w = tf.cast(width, tf.int64)
    th = tf.constant(target_h, tf.int64)
    tw = tf.constant(target_w, tf.int64)
    height_limited = th * w <= tw * h
    nh = tf.where(height_limited, th, (2 * h * tw + w) // (2 * w))
    nw = tf.where(height_limited, (2 * w * th + h) // (2 * h), tw)
    if not upscale:
        fits = tf.logical_and(h <= th, w <= tw)
        nh = tf.where(fits, h, nh)
        nw = tf.where(fits, w, nw)
    nh = tf.clip_by_value(nh, 1, th)
    nw = tf.clip_by_value(nw, 1, tw)
    top = (th - nh) // 2
    left = (tw - nw) // 2
    return tuple(tf.cast(v, tf.int32) for v in (nh, nw, top, left))


def resize_with_pad(image, target, *, method: str = "bilinear", upscale: bool = True, fill=0) -> tf.Tensor:
    """Resize an (H, W, C) image, mask or map to fit ``target`` (height, width) and pad the rest with ``fill``.

    ``method`` is ``"bilinear"`` (antialiased; for photographs) or ``"nearest"`` (for masks, label and instance
    maps: no new values are invented). The output keeps the input dtype and has the static shape
    ``(target_h, target_w, C)``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    th, tw = check_target(target)
    image = tf.convert_to_tensor(image)
    if image.shape.rank != 3:
        raise ValueError(f"resize_with_pad expects an (H, W, C) array, got shape {image.shape}")
    shape = tf.shape(image)
    nh, nw, top, left = _tf_geometry(shape[0], shape[1], th, tw, upscale)
    if method == "nearest":
        resized = tf.image.resize(image, tf.stack([nh, nw]), method="nearest")
    else:
        resized = tf.image.resize(tf.cast(image, tf.float32), tf.stack([nh, nw]), method="bilinear", antialias=True)
        resized = _cast_like(resized, image.dtype)
    paddings = tf.stack([tf.stack([top, th - nh - top]), tf.stack([left, tw - nw - left]), tf.zeros([2], tf.int32)])
    out = tf.pad(resized, paddings, constant_values=tf.cast(fill, image.dtype))
    return tf.ensure_shape(out, [th, tw, image.shape[-1]])


def valid_region(height, width, target, *, upscale: bool = True) -> tf.Tensor:
    """uint8 (target_h, target_w, 1): 1 where ``resize_with_pad`` puts image pixels, 0 on the padding."""
    th, tw = check_target(target)
    nh, nw, top, left = _tf_geometry(height, width, th, tw, upscale)
    ones = tf.ones(tf.stack([nh, nw, 1]), tf.uint8)
    paddings = tf.stack([tf.stack([top, th - nh - top]), tf.stack([left, tw - nw - left]), tf.zeros([2], tf.int32)])
    return tf.ensure_shape(tf.pad(ones, paddings), [th, tw, 1])


def _cast_like(values: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    if dtype.is_integer:
        values = tf.clip_by_value(tf.round(values), dtype.min, dtype.max)
    return tf.cast(values, dtype)
