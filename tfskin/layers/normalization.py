"""Normalization layers shared by the GANs."""

from keras import layers


def batch_norm(name=None, **kwargs):
    """BatchNorm whose statistics span the global batch under tf.distribute (synchronized across replicas),
    so a run split over N devices trains exactly like one device seeing the whole batch."""
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True, name=name, **kwargs)


def instance_norm(name=None):
    """Instance normalization as GroupNormalization with one group per channel, no affine (numerically equal)."""
    return layers.GroupNormalization(groups=-1, epsilon=1e-5, center=False, scale=False, name=name)
