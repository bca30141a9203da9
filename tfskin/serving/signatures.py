"""Serving endpoints shared by the GAN families (tf.* is fine here: this is export code).

Every noise-to-image export gets two signatures: ``generate`` (float images, masks and PNG bytes) and
``generate_png`` (PNG bytes only). TF Serving's REST API cannot filter outputs, and a float image costs ~50x
its PNG in JSON, so remote clients (``tfskin.serving.client``) use ``generate_png`` when it is there.
"""

import tensorflow as tf

PNG_SUFFIX = "_png"


def to_uint8(images):
    """float [0, 1] -> uint8 with the rounding of ``tfskin.imaging.to_uint8`` (clip, x * 255 + 0.5, floor),
    so served PNGs and local images agree pixel for pixel."""
    scaled = tf.clip_by_value(tf.cast(images, tf.float32), 0.0, 1.0) * 255.0 + 0.5
    return tf.cast(tf.floor(scaled), tf.uint8)


def _png_batch(images):
    """float [0, 1] (B, H, W, C) -> string (B,) of PNG bytes (rounded like ``tfskin.imaging.to_uint8``)."""
    return tf.map_fn(tf.io.encode_png, to_uint8(images), fn_output_signature=tf.string)


def _mask_png_batch(masks):
    """float mask (B, H, W, 1) -> PNG bytes of the 0/255 mask (threshold 0.5, as the evaluation sources do)."""
    binary = tf.cast(tf.cast(masks, tf.float32) > 0.5, tf.uint8) * 255
    return tf.map_fn(tf.io.encode_png, binary, fn_output_signature=tf.string)


def png_outputs(result: dict) -> dict:
    """{image, mask?} -> {image_png_bytes, mask_png_bytes?} (the ``_bytes`` suffix makes REST base64 them)."""
    out = {"image_png_bytes": _png_batch(result["image"])}
    if "mask" in result:
        out["mask_png_bytes"] = _mask_png_batch(result["mask"])
    return out


def noise_derived_planes(noise, shapes) -> list:
    """Noise planes (B, H, W, C) for each shape, drawn statelessly from each example's own noise vector (its
    bits seed the draw): one latent vector always gives the same planes, whatever else is in the batch. Used
    by generators that take fresh noise at several scales (LAPGAN) behind a ``generate(noise)`` signature."""
    noise = tf.cast(noise, tf.float32)  # under mixed precision Keras hands call() float16 inputs
    bits = tf.bitcast(noise, tf.int32)
    seeds = tf.stack([tf.reduce_sum(bits[:, 0::2], axis=1), tf.reduce_sum(bits[:, 1::2], axis=1)], axis=1)
    planes = []
    for i, shape in enumerate(shapes):
        level_seeds = tf.stack([seeds[:, 0], seeds[:, 1] + (i + 1) * 7919], axis=1)  # one stream per plane
        planes.append(tf.map_fn(lambda s, shape=tuple(shape): tf.random.stateless_normal(shape, seed=s),
                                level_seeds, fn_output_signature=tf.float32))
    return planes


def noise_to_image_signature(model, name="generate") -> dict:
    """``generate(noise)`` -> {image, mask?, image_png_bytes} and ``generate_png(noise)`` -> {image_png_bytes,
    mask_png_bytes?}; latent size from ``model.config.latent_dim``."""
    spec = tf.TensorSpec([None, model.config.latent_dim], tf.float32, name="noise")

    def images(noise):
        outputs = model(noise, training=False)
        return {key: tf.cast(value, tf.float32) for key, value in outputs.items()}

    def generate(noise):
        result = images(noise)
        # A "_bytes" suffix makes TF Serving's REST API base64-encode the strings.
        result["image_png_bytes"] = _png_batch(result["image"])
        return result

    def generate_png(noise):
        return png_outputs(images(noise))

    return {name: (generate, [spec]), name + PNG_SUFFIX: (generate_png, [spec])}


def noise_label_to_image_signature(model, name="generate") -> dict:
    """``generate(noise, label)`` -> {image, mask?, image_png_bytes} (and ``generate_png``, PNG bytes only) for
    class-conditional generators; ``label`` is an int32 class index per example (ISIC 2019 order for the
    8-class models)."""
    noise_spec = tf.TensorSpec([None, model.config.latent_dim], tf.float32, name="noise")
    label_spec = tf.TensorSpec([None], tf.int32, name="label")

    def images(noise, label):
        outputs = model(noise, label, training=False)
        return {key: tf.cast(value, tf.float32) for key, value in outputs.items()}

    def generate(noise, label):
        result = images(noise, label)
        result["image_png_bytes"] = _png_batch(result["image"])
        return result

    def generate_png(noise, label):
        return png_outputs(images(noise, label))

    return {name: (generate, [noise_spec, label_spec]), name + PNG_SUFFIX: (generate_png, [noise_spec, label_spec])}


def pad_to_multiple(images, multiple: int):
    """Reflect-pad (B, H, W, C) on the bottom/right to multiples of ``multiple``; returns (padded, H, W).
    Reflection needs the padding to be smaller than the image side; inputs smaller than ``multiple`` are
    first symmetric-padded (which repeats the edge row once) so any size >= 1 works."""
    shape = tf.shape(images)
    h, w = shape[1], shape[2]
    pad_h = (multiple - h % multiple) % multiple
    pad_w = (multiple - w % multiple) % multiple
    mode = tf.logical_and(pad_h < h, pad_w < w)
    paddings = [[0, 0], [0, pad_h], [0, pad_w], [0, 0]]
    padded = tf.cond(mode, lambda: tf.pad(images, paddings, mode="REFLECT"),
                     lambda: _symmetric_pad_repeatedly(images, pad_h, pad_w))
    return padded, h, w


def _symmetric_pad_repeatedly(images, pad_h, pad_w):
    """Edge case of ``pad_to_multiple`` for tiny inputs: SYMMETRIC padding in steps no larger than the side."""
    def body(x, left_h, left_w):
        s = tf.shape(x)
        step_h = tf.minimum(left_h, s[1])
        step_w = tf.minimum(left_w, s[2])
        return tf.pad(x, [[0, 0], [0, step_h], [0, step_w], [0, 0]], mode="SYMMETRIC"), left_h - step_h, left_w - step_w

    x, _, _ = tf.while_loop(lambda x, a, b: tf.logical_or(a > 0, b > 0), body, [images, pad_h, pad_w],
                            shape_invariants=[tf.TensorShape([None, None, None, images.shape[-1]]),
                                              tf.TensorShape([]), tf.TensorShape([])])
    return x
