"""The boundary map of an instance map (pix2pixHD's edge input): shared by the data pipeline that prepares training
maps and by the exported ``synthesize`` signature that computes it from a client's instance map, both TensorFlow
code (``tf.*``, not ``keras.ops``: it runs inside tf.data and SavedModel graphs)."""

import tensorflow as tf


def boundary_map(instances) -> tf.Tensor:
    """uint8 0/1 map, same shape as ``instances`` ((H, W) or (H, W, 1)): 1 where a 4-neighbour differs."""
    instances = tf.convert_to_tensor(instances)
    had_channel = instances.shape.rank == 3
    ids = instances[..., 0] if had_channel else instances
    across = tf.not_equal(ids[:, 1:], ids[:, :-1])
    down = tf.not_equal(ids[1:, :], ids[:-1, :])
    edge = tf.logical_or(tf.pad(across, [[0, 0], [1, 0]]), tf.pad(across, [[0, 0], [0, 1]]))
    edge = tf.logical_or(edge, tf.logical_or(tf.pad(down, [[1, 0], [0, 0]]), tf.pad(down, [[0, 1], [0, 0]])))
    edge = tf.cast(edge, tf.uint8)
    return edge[..., tf.newaxis] if had_channel else edge
