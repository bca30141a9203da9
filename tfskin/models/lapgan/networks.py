"""LAPGAN networks, one generator/discriminator pair per pyramid level (keras.layers only)."""

import keras
from keras import layers


def _lrelu():
    return layers.LeakyReLU(0.2)


def build_level0(config, image_shape):
    """noise -> level-0 image (linear output); image -> logit. Two dense layers each. ``image_shape``: the
    pyramid's output shape."""
    h, w = config.base_size(image_shape[:2])
    c = image_shape[2]
    noise = keras.Input((config.latent_dim,), name="noise")
    x = _lrelu()(layers.Dense(config.dense_units, name="dense0")(noise))
    x = layers.Dense(h * w * c, dtype="float32", name="dense1")(x)
    image = layers.Reshape((h, w, c), dtype="float32")(x)
    generator = keras.Model(noise, image, name="generator0")

    inp = keras.Input((h, w, c), name="image")
    x = _lrelu()(layers.Dense(config.dense_units, name="dense0")(layers.Flatten()(inp)))
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    discriminator = keras.Model(inp, logit, name="discriminator0")
    return generator, discriminator


def build_level(config, level: int, image_shape):
    """[upsampled lower level, noise plane] -> residual (three convolutions, linear output);
    [residual, upsampled lower level] -> logit (two convolutions + one dense)."""
    c, f, k = image_shape[2], config.conv_filters, config.kernel_size
    low = keras.Input((None, None, c), name="low")
    noise = keras.Input((None, None, config.noise_channels), name="noise")
    x = layers.Concatenate()([low, noise])
    x = _lrelu()(layers.Conv2D(f, k, padding="same", name="conv0")(x))
    x = _lrelu()(layers.Conv2D(f, k, padding="same", name="conv1")(x))
    residual = layers.Conv2D(c, k, padding="same", dtype="float32", name="conv2")(x)
    generator = keras.Model([low, noise], residual, name=f"generator{level}")

    h, w = config.resolution(level, image_shape[:2])
    residual_in = keras.Input((h, w, c), name="residual")
    low_in = keras.Input((h, w, c), name="low")
    x = layers.Concatenate()([residual_in, low_in])
    x = _lrelu()(layers.Conv2D(f, k, padding="same", name="conv0")(x))
    x = _lrelu()(layers.Conv2D(f, k, strides=2, padding="same", name="conv1")(x))
    logit = layers.Dense(1, dtype="float32", name="logit")(layers.Flatten()(x))
    discriminator = keras.Model([residual_in, low_in], logit, name=f"discriminator{level}")
    return generator, discriminator
