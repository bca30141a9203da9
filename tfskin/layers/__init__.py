"""Building blocks shared by several GANs (keras.layers / keras.ops only)."""
