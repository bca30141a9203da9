"""Superpixel instance maps and the boundary map pix2pixHD feeds its generator.

Superpixels come from ``tfskin.data.superpixels`` (SLIC, or the ``*_superpixels.png`` files of a release).

* ``instance_map``: each superpixel gets the majority class of the semantic label map under it (ties go to the
  higher id) and the instance id ``class * stride + k``, ``k`` counting that class's superpixels in id order;
  ``stride`` is 1000 (the paper's 1000 / 2000 / 3000+k ... scheme) unless a class has more than 999
  superpixels, then the next power of ten. Padding (label 0) is instance 0.
* ``boundary_map``: a pixel is an edge if any 4-neighbour has a different instance id (both sides of a border
  are marked), as pix2pixHD computes it; only this partition reaches the network, not the id values.
"""

from __future__ import annotations

import tensorflow as tf

from tfskin.data.labelmaps import NUM_LABELS, PADDING
from tfskin.data.superpixels import PAPER_SLIC, SlicParams, cached_slic_superpixels, slic_superpixels
from tfskin.layers.boundaries import boundary_map  # noqa: F401 (re-exported: the maps' boundary partition)

PAPER_STRIDE = 1000


def _squeeze_channel(x: tf.Tensor) -> tf.Tensor:
    return x[..., 0] if x.shape.rank == 3 else x


def instance_map(superpixels, label_map) -> tf.Tensor:
    """int32 (H, W, 1) instance ids from superpixel ids (H, W[, 1]) and a semantic label map (H, W[, 1])."""
    segments = tf.cast(_squeeze_channel(tf.convert_to_tensor(superpixels)), tf.int32)
    labels = tf.cast(_squeeze_channel(tf.convert_to_tensor(label_map)), tf.int32)
    inside = labels != PADDING
    num = tf.reduce_max(tf.concat([tf.reshape(segments, [-1]), [0]], 0)) + 2
    outside_segment = num - 1  # padding pixels vote in a segment of their own
    flat_segments = tf.reshape(tf.where(inside, segments, outside_segment), [-1])
    votes = tf.math.unsorted_segment_sum(tf.one_hot(tf.reshape(labels, [-1]), NUM_LABELS, dtype=tf.int32),
                                         flat_segments, num)
    votes = tf.tensor_scatter_nd_update(votes, [[outside_segment]], tf.zeros([1, NUM_LABELS], tf.int32))
    present = tf.reduce_sum(votes, axis=1) > 0
    # Majority class; ties go to the higher id (argmax over the reversed classes picks the last maximum).
    classes = NUM_LABELS - 1 - tf.cast(tf.argmax(tf.reverse(votes, axis=[1]), axis=1), tf.int32)
    members = tf.one_hot(classes, NUM_LABELS, dtype=tf.int32) * tf.cast(present, tf.int32)[:, tf.newaxis]
    rank = tf.reduce_sum(tf.cumsum(members, axis=0, exclusive=True) * members, axis=1)
    largest = tf.reduce_max(tf.concat([tf.boolean_mask(rank, present), [0]], 0))
    strides = tf.constant([PAPER_STRIDE * 10 ** i for i in range(6)], tf.int32)
    stride = tf.gather(strides, tf.argmax(tf.cast(strides > largest, tf.int32)))  # first power of ten > largest
    ids = tf.where(present, classes * stride + rank, 0)
    out = tf.where(inside, tf.gather(ids, tf.where(inside, segments, outside_segment)), 0)
    return out[..., tf.newaxis]


def slic_superpixels_tf(image, valid=None, params: SlicParams = PAPER_SLIC) -> tf.Tensor:
    """``slic_superpixels`` inside a tf.data pipeline (runs in Python via ``tf.numpy_function``): int32 (H, W, 1)."""
    image = tf.convert_to_tensor(image)
    if valid is None:
        valid = tf.ones(tf.shape(image)[:2], tf.uint8)

    def run(img, region):
        return slic_superpixels(img, params, mask=region)

    out = tf.numpy_function(run, [image, tf.cast(_squeeze_channel(tf.convert_to_tensor(valid)), tf.uint8)], tf.int32)
    return tf.reshape(out, tf.concat([tf.shape(image)[:2], [1]], 0))


def cached_slic_superpixels_tf(image, valid, key, cache_dir, params: SlicParams = PAPER_SLIC) -> tf.Tensor:
    """``slic_superpixels_tf`` through ``cached_slic_superpixels`` (one file per ``key`` in ``cache_dir``)."""
    image = tf.convert_to_tensor(image)

    def run(img, region, name):
        return cached_slic_superpixels(cache_dir, name.decode("utf-8", "replace"), img, params, mask=region)

    out = tf.numpy_function(run, [image, tf.cast(_squeeze_channel(tf.convert_to_tensor(valid)), tf.uint8), key],
                            tf.int32)
    return tf.reshape(out, tf.concat([tf.shape(image)[:2], [1]], 0))
