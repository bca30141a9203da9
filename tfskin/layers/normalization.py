"""Normalization layers shared by the GANs."""

import keras
from keras import layers


def batch_norm(name=None, **kwargs):
    """BatchNorm whose statistics span the global batch under tf.distribute (synchronized across replicas),
    so a run split over N devices trains exactly like one device seeing the whole batch. On JAX the step is one
    program over the global batch (``keras.distribution``), so its statistics span it without synchronizing."""
    synchronized = keras.backend.backend() == "tensorflow"
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=synchronized, name=name, **kwargs)


def instance_norm(name=None):
    """Instance normalization as GroupNormalization with one group per channel, no affine (numerically equal)."""
    return layers.GroupNormalization(groups=-1, epsilon=1e-5, center=False, scale=False, name=name)
