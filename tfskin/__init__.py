"""tfskin: GANs for dermoscopic skin-lesion synthesis, evaluation and serving (TensorFlow / Keras 3)."""

__version__ = "0.1.0"
