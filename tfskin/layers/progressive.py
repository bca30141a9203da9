"""Progressive-GAN building blocks (Karras et al. 2018): pixel norm, minibatch standard deviation, equalised
learning-rate convolution and dense layers, resolution helpers and label maps (keras.layers / keras.ops only).

Equalised learning rate: weights are drawn from N(0, 1) and multiplied at run time by He's constant
``gain / sqrt(fan_in)``, so Adam's per-parameter step sizes are the same for every layer.
"""

import math

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="tfskin")
class PixelNorm(layers.Layer):
    """Normalises each pixel's feature vector to unit average square: x / sqrt(mean_c(x^2) + eps)."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="tfskin")
class MinibatchStdDev(layers.Layer):
    """Appends one feature map: the standard deviation of each feature over a group of examples, averaged
    over features and pixels (Karras et al. 2018, section 3). ``group_size`` examples form a group; a batch
    that the group size does not divide uses the largest divisor not above it."""

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size
        self.epsilon = epsilon

    def call(self, x):
        shape = ops.shape(x)
        batch, h, w, c = shape[0], shape[1], shape[2], shape[3]
        static_batch = x.shape[0]
        group = self.group_size
        if static_batch is not None:
            group = max(d for d in range(1, min(group, static_batch) + 1) if static_batch % d == 0)
        else:
            group = ops.minimum(group, batch)
        y = ops.reshape(x, (group, -1, h, w, c))
        y = ops.cast(y, "float32")
        y = y - ops.mean(y, axis=0, keepdims=True)
        y = ops.sqrt(ops.mean(ops.square(y), axis=0) + self.epsilon)  # (B/G, H, W, C)
        y = ops.mean(y, axis=(1, 2, 3), keepdims=True)  # (B/G, 1, 1, 1)
        y = ops.cast(y, x.dtype)
        y = ops.tile(y, (group, h, w, 1))
        return ops.concatenate([x, y], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="tfskin")
class EqualizedConv2D(layers.Layer):
    """Conv2D (stride 1, 'same' padding) with run-time He scaling of N(0, 1) weights."""

    def __init__(self, filters: int, kernel_size: int = 3, gain: float = math.sqrt(2.0), use_bias: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.gain, self.use_bias = filters, kernel_size, gain, use_bias

    def build(self, input_shape):
        fan_in = self.kernel_size * self.kernel_size * input_shape[-1]
        self.scale = self.gain / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, input_shape[-1], self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias") if self.use_bias \
            else None

    def call(self, x):
        kernel = ops.cast(self.kernel, self.compute_dtype) * self.scale
        y = ops.conv(x, kernel, strides=1, padding="same")
        if self.bias is not None:
            y = y + ops.cast(self.bias, self.compute_dtype)
        return y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "gain": self.gain, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="tfskin")
class EqualizedDense(layers.Layer):
    """Dense layer with run-time He scaling of N(0, 1) weights."""

    def __init__(self, units: int, gain: float = math.sqrt(2.0), use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.gain, self.use_bias = units, gain, use_bias

    def build(self, input_shape):
        self.scale = self.gain / math.sqrt(input_shape[-1])
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias") if self.use_bias \
            else None

    def call(self, x):
        y = ops.matmul(x, ops.cast(self.kernel, self.compute_dtype) * self.scale)
        if self.bias is not None:
            y = y + ops.cast(self.bias, self.compute_dtype)
        return y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "gain": self.gain, "use_bias": self.use_bias}


# --- resolution helpers ------------------------------------------------------------------------------------

def upsample2x(x):
    """Nearest-neighbour 2x upsampling (B, H, W, C) -> (B, 2H, 2W, C)."""
    return ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)


def upsample(x, factor: int):
    """Nearest-neighbour upsampling by an integer factor."""
    if factor == 1:
        return x
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def downsample(x, factor: int):
    """Box-filter (average-pool) downsampling by an integer factor."""
    if factor == 1:
        return x
    return ops.average_pool(x, pool_size=factor, strides=factor, padding="valid")


def lerp(a, b, t):
    """a + (b - a) * t: the fade-in blend (t = alpha, 0 -> a, 1 -> b)."""
    t = ops.cast(t, a.dtype)
    return a + (b - a) * t


def label_maps(one_hot, height: int, width: int):
    """(B, K) one-hot labels -> (B, H, W, K) constant maps, for concatenation to feature maps."""
    maps = ops.reshape(one_hot, (-1, 1, 1, one_hot.shape[-1]))
    return ops.tile(maps, (1, height, width, 1))


def track_for_checkpoints(owner, layer_list):
    """Give every layer of a Python list its own attribute on ``owner``.

    Keras 3 tracks list attributes for its own saving (``.keras``), but ``tf.train.Checkpoint`` (the runner's
    checkpoints) only follows attributes: layers reachable only through a list are silently left out of the
    checkpoint and come back freshly initialised on restore. Layer names must be unique within ``owner``.
    """
    for layer in layer_list:
        setattr(owner, f"layer_{layer.name}", layer)
