"""DCGAN generator and discriminator (keras.layers only)."""

import keras
from keras import layers

from tfskin.layers.init import normal_init
from tfskin.layers.normalization import batch_norm
from tfskin.layers.transposed import PhasedConv2DTranspose


def _activation(name: str):
    return layers.LeakyReLU(0.2) if name == "leaky_relu" else layers.ReLU()


def build_generator(config, image_shape) -> keras.Model:
    """noise (latent_dim,) -> image ``image_shape`` (H, W, channels) in [-1, 1] (tanh, float32)."""
    h0, w0 = config.base_size(image_shape[:2])
    filters = config.generator_filters
    noise = keras.Input((config.latent_dim,), name="noise")
    if config.generator_input == "dense":
        x = layers.Dense(h0 * w0 * filters[0], use_bias=False, kernel_initializer=normal_init(), name="project")(noise)
        x = layers.Reshape((h0, w0, filters[0]))(x)
    else:
        x = layers.Reshape((1, 1, config.latent_dim))(noise)
        x = PhasedConv2DTranspose(filters[0], (h0, w0), padding="valid", use_bias=False,
                                  kernel_initializer=normal_init(), name="project")(x)
    x = batch_norm(name="project_bn")(x)
    x = _activation(config.generator_activation)(x)
    for i, width in enumerate(filters[1:], start=1):
        x = PhasedConv2DTranspose(width, config.kernel_size, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=normal_init(), name=f"up{i}")(x)
        x = batch_norm(name=f"up{i}_bn")(x)
        x = _activation(config.generator_activation)(x)
    x = PhasedConv2DTranspose(image_shape[2], config.kernel_size, strides=2, padding="same",
                               kernel_initializer=normal_init(), name="to_image")(x)
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(noise, image, name="generator")


def build_discriminator(config, image_shape) -> keras.Model:
    """image ``image_shape`` (H, W, channels) -> one real/fake logit (float32)."""
    image = keras.Input(tuple(image_shape), name="image")
    x = image
    for i, width in enumerate(config.discriminator_filters):
        x = layers.Conv2D(width, config.kernel_size, strides=2, padding="same", use_bias=(i == 0),
                          kernel_initializer=normal_init(), name=f"down{i}")(x)
        if i > 0:
            x = batch_norm(name=f"down{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    if config.discriminator_output == "dense":
        x = layers.Flatten()(x)
        logit = layers.Dense(1, dtype="float32", kernel_initializer=normal_init(), name="logit")(x)
    else:
        h0, w0 = x.shape[1], x.shape[2]
        x = layers.Conv2D(1, (h0, w0), padding="valid", dtype="float32", kernel_initializer=normal_init(),
                          name="logit")(x)
        logit = layers.Flatten(dtype="float32")(x)
    return keras.Model(image, logit, name="discriminator")
