"""A trained tfskin classifier on disk: where it is and how it scores images, for code below the evaluation
layer (the CycleGAN Path-Rank-Filter). ``tfskin.evaluation.classifier`` trains and saves these.

A saved classifier is a folder with ``model.keras`` and ``classifier.json`` (config and class names). The folder
``tfskin evaluate classify --out DIR`` wrote holds it as ``DIR/classifier``; either folder, or the
``model.keras`` file, may be given.
"""

import json
from pathlib import Path

import keras
import numpy as np

from tfskin.errors import MissingFileError

MODEL_FILE = "model.keras"
META_FILE = "classifier.json"


def classifier_dir(path) -> Path:
    """The folder holding ``model.keras`` + ``classifier.json`` for ``path`` (that folder, its ``classifier``
    subfolder, or its ``model.keras``); ``None`` when ``path`` is none of these."""
    path = Path(path)
    for candidate in (path.parent if path.suffix == ".keras" else path, path / "classifier"):
        if (candidate / META_FILE).is_file() and (candidate / MODEL_FILE).is_file():
            return candidate
    return None


def read_classifier_files(path):
    """(Keras model, metadata dict) of the saved classifier at ``path`` (see ``classifier_dir``)."""
    directory = classifier_dir(path)
    if directory is None:
        raise MissingFileError(f"{path} is not a saved tfskin classifier ({MODEL_FILE} + {META_FILE}, or the folder "
                            f"`tfskin evaluate classify --out` wrote)")
    meta = json.loads((directory / META_FILE).read_text())
    return keras.models.load_model(directory / MODEL_FILE, compile=False), meta


def resize_images(images, size, *, is_mask: bool = False) -> np.ndarray:
    """uint8 (N, H, W, C) -> (N, h, w, C) with bilinear (images) or nearest (masks) resampling."""
    images = np.asarray(images)
    size = tuple(int(s) for s in size)
    if images.shape[1:3] == size or len(images) == 0:
        return images
    method = "nearest" if is_mask else "bilinear"
    out = keras.ops.convert_to_numpy(keras.ops.image.resize(images.astype(np.float32), size, interpolation=method,
                                                            antialias=not is_mask))
    return np.clip(out + 0.5 * (not is_mask), 0, 255).astype(np.uint8)


def classifier_inputs(images, image_size) -> np.ndarray:
    """Images (uint8, or floats in [0, 1]) -> the float 0..255 inputs of a classifier of ``image_size``."""
    x = np.asarray(images)
    if x.dtype != np.uint8:
        x = (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return resize_images(x, image_size).astype(np.float32)


def predict_probabilities(model, images, image_size, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (N, K) of a saved classifier's model, without test-time augmentation."""
    x = classifier_inputs(images, image_size)
    parts = [keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=False))
             for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, int(model.output_shape[-1])))
