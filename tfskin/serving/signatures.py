"""Serving endpoints shared by the GAN families (tf.* is fine here: this is export code)."""

import tensorflow as tf


def _png_batch(images):
    """float [0, 1] (B, H, W, C) -> string (B,) of PNG bytes."""
    as_uint8 = tf.image.convert_image_dtype(tf.clip_by_value(images, 0.0, 1.0), tf.uint8, saturate=True)
    return tf.map_fn(tf.io.encode_png, as_uint8, fn_output_signature=tf.string)


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
    """``generate(noise)`` -> {image, mask?, image_png_bytes}; latent size from ``model.config.latent_dim``."""
    spec = tf.TensorSpec([None, model.config.latent_dim], tf.float32, name="noise")

    def generate(noise):
        outputs = model(noise, training=False)
        result = {key: tf.cast(value, tf.float32) for key, value in outputs.items()}
        # A "_bytes" suffix makes TF Serving's REST API base64-encode the strings.
        result["image_png_bytes"] = _png_batch(result["image"])
        return result

    return {name: (generate, [spec])}


def noise_label_to_image_signature(model, name="generate") -> dict:
    """``generate(noise, label)`` -> {image, mask?, image_png_bytes} for class-conditional generators;
    ``label`` is an int32 class index per example (ISIC 2019 order for the 8-class models)."""
    noise_spec = tf.TensorSpec([None, model.config.latent_dim], tf.float32, name="noise")
    label_spec = tf.TensorSpec([None], tf.int32, name="label")

    def generate(noise, label):
        outputs = model(noise, label, training=False)
        result = {key: tf.cast(value, tf.float32) for key, value in outputs.items()}
        result["image_png_bytes"] = _png_batch(result["image"])
        return result

    return {name: (generate, [noise_spec, label_spec])}
