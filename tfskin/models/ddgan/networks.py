"""DDGAN generator (an image at every scale) and per-scale discriminators (keras.layers only)."""

import keras
from keras import layers

from tfskin.layers.init import normal_init
from tfskin.layers.normalization import batch_norm


def build_generator(config, image_shape) -> keras.Model:
    """noise -> [image at each scale, coarsest first; the finest is ``image_shape``], tanh, float32."""
    h0, w0 = config.base_size(image_shape[:2])
    f = config.generator_filters
    noise = keras.Input((config.latent_dim,), name="noise")
    x = layers.Dense(h0 * w0 * f[0], use_bias=False, kernel_initializer=normal_init(), name="project")(noise)
    x = layers.ReLU()(batch_norm(name="project_bn")(layers.Reshape((h0, w0, f[0]))(x)))
    to_image = lambda s, t: layers.Conv2D(image_shape[2], 3, padding="same", kernel_initializer=normal_init(),
                                          name=f"to_image{s}")(t)
    image = layers.Activation("tanh", dtype="float32", name="image0")(to_image(0, x))
    images = [image]
    for s, width in enumerate(f[1:], start=1):
        up = layers.UpSampling2D(2, name=f"up{s}")
        x = layers.Concatenate()([up(x), layers.UpSampling2D(2, interpolation="bilinear")(image)])
        for j in range(2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=normal_init(),
                              name=f"block{s}_conv{j}")(x)
            x = layers.ReLU()(batch_norm(name=f"block{s}_bn{j}")(x))
        image = layers.Activation("tanh", dtype="float32", name=f"image{s}")(to_image(s, x))
        images.append(image)
    return keras.Model(noise, images, name="generator")


def build_discriminator(config, scale: int, image_shape) -> keras.Model:
    """image at ``scale`` (of a generator making ``image_shape`` images) -> one logit (float32)."""
    h, w = config.resolution(scale, image_shape[:2])
    image = keras.Input((h, w, image_shape[2]), name="image")
    x, width, i = image, config.discriminator_base_filters, 0
    while min(x.shape[1], x.shape[2]) > 4:
        x = layers.Conv2D(width, 4, strides=2, padding="same", use_bias=(i == 0), kernel_initializer=normal_init(),
                          name=f"down{i}")(x)
        if i > 0:
            x = batch_norm(name=f"down{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
        width, i = min(width * 2, 512), i + 1
    logit = layers.Dense(1, dtype="float32", kernel_initializer=normal_init(), name="logit")(layers.Flatten()(x))
    return keras.Model(image, logit, name=f"discriminator{scale}")
