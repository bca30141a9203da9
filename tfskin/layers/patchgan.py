"""PatchGAN discriminators: the 70x70 PatchGAN of pix2pix/CycleGAN and pix2pixHD's multi-scale version.

``patchgan`` with ``layers=3`` is C64-C128-C256-C512 then a 1-channel conv, 4x4 kernels, stride 2 for the first
three and 1 for the last two, LeakyReLU 0.2, instance norm on all but the first (70x70 receptive field).
``padding`` is the zero padding of every conv: 1 in CycleGAN (256 -> 30x30 patches), 2 in pix2pixHD
(``ceil((4 - 1) / 2)``). With ``return_features`` the model returns the list of every block's output (the last
being the logits), which pix2pixHD's feature-matching loss compares.

``multiscale_patchgan`` runs ``num_d`` such discriminators on the input downsampled 1, 2, 4, ... times
(3x3 average pooling, stride 2, padding not counted) and returns one list of features per scale.
"""

import keras
from keras import layers

from tfskin.layers.normalization import instance_norm
from tfskin.layers.residual import conv_init


def patchgan(input_shape, *, filters: int = 64, num_layers: int = 3, padding: int = 1,
             return_features: bool = False, name: str = "discriminator") -> keras.Model:
    """(H, W, C) -> patch logits (H', W', 1) float32 [or the list of block outputs, logits last]."""
    inputs = keras.Input(tuple(input_shape), name="image")
    features = []
    x = inputs
    width = filters
    for i in range(num_layers + 1):
        stride = 2 if i < num_layers else 1
        if i > 0:
            width = min(filters * 2 ** i, filters * 8)
        x = layers.ZeroPadding2D(padding, name=f"block{i}_pad")(x)
        x = layers.Conv2D(width, 4, strides=stride, kernel_initializer=conv_init(), name=f"block{i}_conv")(x)
        if i > 0:
            x = instance_norm(name=f"block{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"block{i}_lrelu")(x)
        features.append(x)
    x = layers.ZeroPadding2D(padding, name="logits_pad")(x)
    logits = layers.Conv2D(1, 4, kernel_initializer=conv_init(), dtype="float32", name="logits")(x)
    features.append(logits)
    return keras.Model(inputs, features if return_features else logits, name=name)


def multiscale_patchgan(input_shape, *, num_d: int = 3, filters: int = 64, num_layers: int = 3,
                        padding: int = 2, name: str = "discriminator") -> keras.Model:
    """(H, W, C) -> list over scales (full resolution first) of lists of block features (logits last)."""
    if num_d < 1:
        raise ValueError(f"num_d must be >= 1, got {num_d}")
    inputs = keras.Input(tuple(input_shape), name="inputs")
    outputs = []
    x = inputs
    for scale in range(num_d):
        if scale:
            x = layers.AveragePooling2D(3, strides=2, padding="same", name=f"downsample{scale}")(x)
        shape = (x.shape[1], x.shape[2], input_shape[-1])
        net = patchgan(shape, filters=filters, num_layers=num_layers, padding=padding, return_features=True,
                       name=f"{name}_scale{scale}")
        outputs.append(net(x))
    return keras.Model(inputs, outputs, name=name)
