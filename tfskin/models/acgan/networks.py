"""ACGAN generator (noise + class one-hot -> image) and two-headed discriminator (keras.layers only)."""

import keras
from keras import layers

from tfskin.layers.init import normal_init
from tfskin.layers.normalization import batch_norm
from tfskin.layers.transposed import PhasedConv2DTranspose


def build_generator(config, image_shape) -> keras.Model:
    """[noise (latent_dim,), one-hot (num_classes,)] -> image ``image_shape`` in [-1, 1] (tanh, float32)."""
    h0, w0 = config.base_size(image_shape[:2])
    filters = config.generator_filters
    noise = keras.Input((config.latent_dim,), name="noise")
    one_hot = keras.Input((config.num_classes,), name="one_hot")
    x = layers.Concatenate()([noise, one_hot])
    x = layers.Dense(h0 * w0 * filters[0], use_bias=False, kernel_initializer=normal_init(), name="project")(x)
    x = layers.Reshape((h0, w0, filters[0]))(x)
    x = batch_norm(name="project_bn")(x)
    x = layers.ReLU()(x)
    for i, width in enumerate(filters[1:], start=1):
        x = PhasedConv2DTranspose(width, config.generator_kernel_size, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=normal_init(), name=f"up{i}")(x)
        x = batch_norm(name=f"up{i}_bn")(x)
        x = layers.ReLU()(x)
    x = PhasedConv2DTranspose(image_shape[2], config.generator_kernel_size, strides=2, padding="same",
                               kernel_initializer=normal_init(), name="to_image")(x)
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model([noise, one_hot], image, name="generator")


def build_discriminator(config, image_shape) -> keras.Model:
    """image -> [real/fake logit (1,), class logits (num_classes,)], both float32."""
    image = keras.Input(tuple(image_shape), name="image")
    x = image
    for i, (width, stride) in enumerate(zip(config.discriminator_filters, config.discriminator_strides, strict=True)):
        x = layers.Conv2D(width, 3, strides=stride, padding="same", use_bias=(i == 0), kernel_initializer=normal_init(),
                          name=f"down{i}")(x)
        if i > 0:
            x = batch_norm(name=f"down{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
        if config.discriminator_dropout:
            x = layers.Dropout(config.discriminator_dropout, name=f"dropout{i}")(x)
    x = layers.Flatten()(x)
    source = layers.Dense(1, dtype="float32", kernel_initializer=normal_init(), name="source")(x)
    classes = layers.Dense(config.num_classes, dtype="float32", kernel_initializer=normal_init(), name="classes")(x)
    return keras.Model(image, [source, classes], name="discriminator")
