"""Reflection padding (Keras 3 core: ``keras.ops.pad(mode="reflect")``; no tensorflow-addons)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfskin")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width of an NHWC tensor by mirroring (edge pixel not repeated, as PyTorch's
    ``nn.ReflectionPad2d``). ``padding`` is an int or ``(pad_h, pad_w)``; each side needs ``pad < size``."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        pad_h, pad_w = (padding, padding) if isinstance(padding, int) else tuple(padding)
        self.padding = (int(pad_h), int(pad_w))

    def call(self, x):
        pad_h, pad_w = self.padding
        return ops.pad(x, [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        pad_h, pad_w = self.padding
        return (b, None if h is None else h + 2 * pad_h, None if w is None else w + 2 * pad_w, c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
