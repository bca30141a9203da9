"""Residual blocks and the ResNet image-to-image generator shared by CycleGAN and pix2pixHD.

The generator is Johnson et al.'s layout as CycleGAN (Zhu et al. 2017, appendix 7.2) and pix2pixHD's global
generator (Wang et al. 2018) use it::

    c7s1-ngf, d(2 ngf), ..., d(2^n ngf), R(2^n ngf) x blocks, u(2^(n-1) ngf), ..., u(ngf), c7s1-out, tanh

``c7s1-k``: reflection pad 3, 7x7 conv, instance norm, ReLU; ``dk``: 3x3 stride-2 conv, instance norm, ReLU;
``Rk``: two reflection-padded 3x3 convs with instance norm (ReLU after the first) plus the identity;
``uk``: 3x3 stride-2 transposed conv, instance norm, ReLU. CycleGAN uses n = 2 downsamplings (9 blocks at
256x256, 6 at 128x128); pix2pixHD's global generator n = 4 and 9 blocks.
"""

import keras
from keras import layers

from tfskin.layers.init import normal_init
from tfskin.layers.normalization import instance_norm
from tfskin.layers.padding import ReflectionPadding2D
from tfskin.layers.transposed import PhasedConv2DTranspose

# Both papers initialise convolutions from N(0, 0.02); one fresh initialiser per layer (see tfskin.layers.init).
conv_init = normal_init


def residual_block(x, filters: int, name: str, dropout: float = 0.0):
    """Rk: x + IN(conv3(pad(ReLU(IN(conv3(pad(x))))))); reflection padding keeps the size."""
    y = ReflectionPadding2D(1, name=f"{name}_pad1")(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=conv_init(), name=f"{name}_conv1")(y)
    y = instance_norm(name=f"{name}_norm1")(y)
    y = layers.ReLU(name=f"{name}_relu")(y)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_dropout")(y)
    y = ReflectionPadding2D(1, name=f"{name}_pad2")(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=conv_init(), name=f"{name}_conv2")(y)
    y = instance_norm(name=f"{name}_norm2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def resnet_generator(input_shape, output_channels: int = 3, *, filters: int = 64, downsamplings: int = 2,
                     blocks: int = 9, name: str = "generator") -> keras.Model:
    """The ResNet generator above: ``input_shape`` (H, W, C) -> (H, W, output_channels) in [-1, 1] (float32).

    H and W must be divisible by 2**downsamplings.
    """
    h, w = input_shape[0], input_shape[1]
    factor = 2 ** downsamplings
    if (h is not None and h % factor) or (w is not None and w % factor):
        raise ValueError(f"{name}: input {h}x{w} must be divisible by 2**{downsamplings} = {factor}")
    inputs = keras.Input(tuple(input_shape), name="image" if input_shape[-1] == 3 else "inputs")
    x = ReflectionPadding2D(3, name="stem_pad")(inputs)
    x = layers.Conv2D(filters, 7, kernel_initializer=conv_init(), name="stem_conv")(x)
    x = instance_norm(name="stem_norm")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for i in range(downsamplings):
        width = filters * 2 ** (i + 1)
        x = layers.Conv2D(width, 3, strides=2, padding="same", kernel_initializer=conv_init(), name=f"down{i}")(x)
        x = instance_norm(name=f"down{i}_norm")(x)
        x = layers.ReLU(name=f"down{i}_relu")(x)
    width = filters * factor
    for i in range(blocks):
        x = residual_block(x, width, name=f"res{i}")
    for i in range(downsamplings):
        width = filters * 2 ** (downsamplings - i - 1)
        x = PhasedConv2DTranspose(width, 3, strides=2, padding="same", kernel_initializer=conv_init(),
                                  name=f"up{i}")(x)
        x = instance_norm(name=f"up{i}_norm")(x)
        x = layers.ReLU(name=f"up{i}_relu")(x)
    x = ReflectionPadding2D(3, name="head_pad")(x)
    x = layers.Conv2D(output_channels, 7, kernel_initializer=conv_init(), name="head_conv")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)
