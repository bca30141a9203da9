"""The VGG19 perceptual loss of pix2pixHD: L1 between relu1_1 .. relu5_1 features, weights 1/32 .. 1.

The ImageNet weights are never downloaded here. ``imagenet`` reads Keras' own cache file (where
``keras.applications.VGG19(weights="imagenet", include_top=False)`` leaves it); a path reads that file.
"""

import os
from pathlib import Path

import keras
from keras import ops

from tfskin.config import ConfigError

WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
LAYER_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)
_BGR_MEAN = (103.939, 116.779, 123.68)


def keras_cache_path() -> Path:
    """Where Keras caches the VGG19 no-top ImageNet weights (``$KERAS_HOME/models`` or ``~/.keras/models``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models" / WEIGHTS_FILE


def resolve_weights(setting: str):
    """The weights file for a ``vgg_weights`` setting, or None when the loss is off.

    ``auto`` falls back to off (printing why) when the cache has no weights; ``imagenet`` and explicit paths fail
    with a ConfigError that says how to get the file or how to switch the loss off."""
    if setting in (None, "", "none"):
        return None
    path = keras_cache_path() if setting in ("imagenet", "auto") else Path(setting)
    if path.is_file():
        return path
    if setting == "auto":
        print(f"pix2pixhd: VGG19 ImageNet weights not found at {path}; training without the VGG perceptual loss")
        return None
    raise ConfigError(
        f"pix2pixhd: VGG19 weights not found at {path}. Get them once with internet access "
        f"(python -c \"import keras; keras.applications.VGG19(weights='imagenet', include_top=False)\"), "
        f"pass a local file with --vgg-weights PATH, or switch the perceptual loss off with --vgg-weights none")


def build_vgg_features(weights_path, image_size) -> keras.Model:
    """Frozen VGG19 (no top) returning the five relu*_1 feature maps; weights loaded from ``weights_path``."""
    base = keras.applications.VGG19(include_top=False, weights=None, input_shape=(*image_size, 3))
    try:
        base.load_weights(str(weights_path))
    except Exception as err:  # h5py / Keras raise several types for a wrong file
        raise ConfigError(f"pix2pixhd: cannot load VGG19 weights from {weights_path}: {err}") from None
    model = keras.Model(base.input, [base.get_layer(n).output for n in LAYERS], name="vgg19_features")
    model.trainable = False
    return model


def vgg_preprocess(images):
    """[-1, 1] RGB -> the caffe-style input VGG19 was trained on (BGR, ImageNet mean removed, 0..255)."""
    x = (ops.cast(images, "float32") + 1.0) * 127.5
    return ops.flip(x, axis=-1) - ops.convert_to_tensor(_BGR_MEAN, "float32")


def vgg_loss(vgg, real, fake):
    real_features = vgg(vgg_preprocess(real), training=False)
    fake_features = vgg(vgg_preprocess(fake), training=False)
    total = 0.0
    for weight, r, f in zip(LAYER_WEIGHTS, real_features, fake_features, strict=False):
        total = total + weight * ops.mean(ops.abs(ops.stop_gradient(ops.cast(r, "float32")) - ops.cast(f, "float32")))
    return total
