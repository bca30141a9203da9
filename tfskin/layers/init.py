"""Weight initialisers, one fresh instance per layer.

A Keras initializer draws its seed once, when it is made (from Python's ``random``, which
``keras.utils.set_random_seed`` seeds), and then returns the same values at every call. One instance shared by
several layers therefore gives same-shaped layers identical weights and every other layer a prefix of the same
random stream; one made at import time draws its seed before the run's seed is set, so every process starts from
other weights. Call these functions once per layer, at build time.
"""

import keras


def normal_init(stddev: float = 0.02):
    """N(0, stddev), the DCGAN / CycleGAN / pix2pixHD convolution initialiser (stddev 0.02 in those papers)."""
    return keras.initializers.RandomNormal(stddev=stddev)
