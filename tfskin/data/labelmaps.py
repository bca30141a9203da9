"""The 8-class semantic label map that conditions pix2pixHD (Bissoto et al. 2018, ISIC 2018 tasks 1 + 2).

======  ==================  =======================================================
id      name                pixels
======  ==================  =======================================================
0       padding             outside the image after the aspect-preserving resize
1       skin                inside the image, outside the lesion mask
2       lesion              lesion mask, no dermoscopic attribute
3       pigment_network     attribute masks, in ``classes.ATTRIBUTE_NAMES`` order
4       negative_network
5       streaks
6       milia_like_cyst
7       globules
======  ==================  =======================================================

Rules:

* The padding comes from the resize geometry (``valid`` = ``resize.valid_region``), never from pixel colours,
  so an image that needs no padding (e.g. exactly 2:1 into 1024x512) has no padding label at all.
* Overlapping attributes resolve by a fixed priority, independent of the order the masks are given or read
  in: the attribute with the highest id wins (globules > milia-like cysts > streaks > negative network >
  pigment network). The rarer, smaller structures are thus drawn over the widespread pigment network.
* An attribute pixel is labelled with its attribute even where it lies outside the lesion mask (ISIC's
  attribute masks are superpixel unions and can overhang the lesion border by a few pixels).
* Masks are binary by threshold: uint8 >= 128 (ISIC masks are 0/255; the official scorer also binarises
  near 128), floats > 0.5, bools as they are.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfskin.classes import ATTRIBUTE_NAMES, LABEL_NAMES, NUM_LABELS  # noqa: F401 (re-exported)

PADDING, SKIN, LESION = 0, 1, 2
ATTRIBUTE_LABELS = {name: 3 + i for i, name in enumerate(ATTRIBUTE_NAMES)}

# Display colours (RGB) for previews.
LABEL_COLOURS = np.array([
    (0, 0, 0),  # padding
    (236, 200, 170),  # skin
    (140, 80, 40),  # lesion
    (255, 140, 0),  # pigment network
    (0, 200, 220),  # negative network
    (230, 0, 200),  # streaks
    (255, 240, 60),  # milia-like cysts
    (40, 80, 255),  # globules
], np.uint8)


def binarize(mask) -> tf.Tensor:
    """Boolean mask: uint8 >= 128, float > 0.5, bool unchanged."""
    mask = tf.convert_to_tensor(mask)
    if mask.dtype == tf.bool:
        return mask
    if mask.dtype.is_floating:
        return mask > 0.5
    return mask >= tf.cast(128, mask.dtype)


def _with_channel(x: tf.Tensor) -> tf.Tensor:
    return x[..., tf.newaxis] if x.shape.rank == 2 else x


def semantic_label_map(mask, attributes=None, valid=None) -> tf.Tensor:
    """uint8 (H, W, 1) label map from a lesion mask (H, W[, 1]), optional attribute masks (H, W, 5) in
    ``ATTRIBUTE_NAMES`` order and an optional ``valid`` region (H, W[, 1], nonzero = image, 0 = padding)."""
    lesion = _with_channel(binarize(mask))
    labels = tf.where(lesion, tf.constant(LESION, tf.uint8), tf.constant(SKIN, tf.uint8))
    if attributes is not None:
        present = binarize(attributes)
        if present.shape[-1] != len(ATTRIBUTE_NAMES):
            raise ValueError(f"attributes must have {len(ATTRIBUTE_NAMES)} channels ({', '.join(ATTRIBUTE_NAMES)}), "
                             f"got shape {present.shape}")
        for k, name in enumerate(ATTRIBUTE_NAMES):  # ascending ids: the highest id is written last and wins
            labels = tf.where(present[..., k:k + 1], tf.constant(ATTRIBUTE_LABELS[name], tf.uint8), labels)
    if valid is not None:
        inside = _with_channel(tf.convert_to_tensor(valid)) != 0
        labels = tf.where(inside, labels, tf.constant(PADDING, tf.uint8))
    return labels


def colorize(label_map) -> np.ndarray:
    """RGB uint8 rendering of a label map (..., H, W[, 1]) with ``LABEL_COLOURS``."""
    labels = np.asarray(label_map)
    if labels.ndim >= 3 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_LABELS):
        raise ValueError(f"label ids must be in [0, {NUM_LABELS - 1}], got [{labels.min()}, {labels.max()}]")
    return LABEL_COLOURS[labels.astype(np.int64)]
