"""``PhasedConv2DTranspose``: Keras' ``Conv2DTranspose`` (same weights, same function), computed per output
phase on Keras' JAX backend running on a CPU, where XLA's own lowering of the transposed convolution's
gradient is slow (see the class docstring)."""

import math

import keras
from keras import layers, ops


def _transpose_padding(size: int, kernel: int, stride: int, padding: str) -> tuple:
    """(low, high) padding of the stride-dilated input that Keras' ``conv_transpose`` uses (dilation 1, no
    output padding), as in Keras' JAX backend."""
    if padding == "valid":
        return kernel - 1, kernel - 1 + max(kernel, stride) - kernel
    total = stride + kernel - 2
    low = min(total // 2 + total % 2, kernel - 1)
    return low, total - low


def _phase_windows(size: int, kernel: int, stride: int, padding: str):
    """Per output phase r (output index ``stride * i + r``): the first kernel tap it reads, and the input
    window (padding or crop at each end) whose stride-1 ``valid`` convolution gives that phase's outputs; and
    the output length. Assumes kernel >= stride, so every phase reads at least one tap."""
    low, high = _transpose_padding(size, kernel, stride, padding)
    length = (size - 1) * stride + 1 + low + high - kernel + 1
    per_phase = math.ceil(length / stride)
    phases = []
    for r in range(stride):
        first = next(t for t in range(kernel) if (r + t - low) % stride == 0)
        taps = len(range(first, kernel, stride))
        start = (r + first - low) // stride  # input index read by output i of this phase, first tap: i + start
        end = per_phase - 1 + start + taps - 1  # last input index any output of this phase reads
        phases.append((first, max(-start, 0), max(start, 0), max(end - (size - 1), 0), end))
    return phases, length, per_phase


@keras.saving.register_keras_serializable(package="tfskin")
class PhasedConv2DTranspose(layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose`` (same weights, same function) that, on Keras' JAX backend running on
    a CPU, computes the transposed convolution as ``strides**2`` stride-1 convolutions, one per output phase,
    interleaved: the sum over the kernel taps each output reads, without the dilated input's zeros.

    Why: XLA's CPU compiler swaps the operands of the convolution that gives a stride-2 transposed
    convolution's kernel gradient (the output-sized cotangent is the larger "kernel"), and of the forward
    pass too where the kernel is larger than the input (acgan's first 5x5 layer on a 4x4 map); the swapped
    convolution has a reversed window, which XLA:CPU runs through its generic loop emitter instead of Eigen.
    Measured on the 2-core CPU (acgan quick, batch 32): the 4x4x256 -> 8x8x128 layer's forward pass 500 ms
    -> 12 ms, each layer's gradient 100-900 ms -> 45-75 ms. Elsewhere (TensorFlow, JAX on GPUs or TPUs) it
    is Keras' own layer. Only the summation order differs (float32 rounding, ~1e-6 relative)."""

    def _phased(self) -> bool:
        if keras.backend.backend() != "jax" or self.data_format != "channels_last" or self.output_padding:
            return False
        if tuple(self.dilation_rate) != (1, 1) or any(k < s for k, s in zip(self.kernel_size, self.strides)):
            return False
        import jax

        return jax.default_backend() == "cpu"

    def call(self, inputs):
        if not self._phased():
            return super().call(inputs)
        outputs = self._phased_conv_transpose(inputs)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def _phased_conv_transpose(self, inputs):
        (sh, sw), padding = self.strides, self.padding
        rows, height, per_row = _phase_windows(inputs.shape[1], self.kernel_size[0], sh, padding)
        cols, width, per_col = _phase_windows(inputs.shape[2], self.kernel_size[1], sw, padding)
        # The correlation kernel over the dilated input: spatially flipped, (kh, kw, in, out).
        kernel = ops.transpose(ops.flip(self.kernel, axis=(0, 1)), (0, 1, 3, 2))
        phase_rows = []
        for first_h, pad_top, crop_top, pad_bottom, last_h in rows:
            phase_cols = []
            for first_w, pad_left, crop_left, pad_right, last_w in cols:
                window = ops.pad(inputs, ((0, 0), (pad_top, pad_bottom), (pad_left, pad_right), (0, 0)))
                window = window[:, crop_top:pad_top + last_h + 1, crop_left:pad_left + last_w + 1]
                phase_cols.append(ops.conv(window, kernel[first_h::sh, first_w::sw], padding="valid"))
            phase_rows.append(ops.stack(phase_cols, axis=3))  # (B, per_row, per_col, sw, C)
        outputs = ops.stack(phase_rows, axis=2)  # (B, per_row, sh, per_col, sw, C)
        outputs = ops.reshape(outputs, (-1, per_row * sh, per_col * sw, self.filters))
        return outputs[:, :height, :width]
