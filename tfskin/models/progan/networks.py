"""Progressive generator and critic (Karras et al. 2018) with the class one-hot concatenated to the input of
every block except the output layers (Bissoto et al. 2018). Both are containers of per-resolution blocks run up
to a Python ``stage`` with a fade-in ``alpha`` (keras.layers / keras.ops only)."""

import math

import keras
from keras import layers, ops

from tfskin.layers.progressive import (
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    PixelNorm,
    downsample,
    label_maps,
    lerp,
    track_for_checkpoints,
    upsample2x,
)


def _lrelu(x):
    return ops.leaky_relu(x, 0.2)


@keras.saving.register_keras_serializable(package="tfskin")
class ProgressiveGenerator(layers.Layer):
    """(noise, one-hot, stage, alpha) -> image at resolution(stage), linear output (about [-1, 1])."""

    def __init__(self, base_size, feature_maps, channels, latent_dim, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.base_size, self.feature_maps = tuple(base_size), tuple(feature_maps)
        self.channels, self.latent_dim, self.num_classes = channels, latent_dim, num_classes
        h0, w0 = self.base_size
        nf0 = feature_maps[0]
        self.norm = PixelNorm()
        # gain sqrt(2)/4 on the projection as in Karras et al.'s reference layout
        self.project = EqualizedDense(h0 * w0 * nf0, gain=math.sqrt(2.0) / 4, name="project")
        # block 0: one conv; block s >= 1: two convs (flat list; block s holds convs[2s-1 : 2s+1])
        self.convs = [EqualizedConv2D(nf0, 3, name="b0_conv")]
        for s, nf in enumerate(feature_maps[1:], start=1):
            self.convs += [EqualizedConv2D(nf, 3, name=f"b{s}_conv0"), EqualizedConv2D(nf, 3, name=f"b{s}_conv1")]
        self.to_rgb = [EqualizedConv2D(channels, 1, gain=1.0, dtype="float32", name=f"to_rgb{s}")
                       for s in range(len(feature_maps))]
        track_for_checkpoints(self, self.convs + self.to_rgb)

    def _block(self, s, x, one_hot):
        if s == 0:
            h0, w0 = self.base_size
            z = ops.concatenate([x, ops.cast(one_hot, x.dtype)], axis=-1)
            x = self.project(self.norm(z))
            x = self.norm(_lrelu(ops.reshape(x, (-1, h0, w0, self.feature_maps[0]))))
            return self.norm(_lrelu(self.convs[0](x)))
        x = upsample2x(x)
        x = ops.concatenate([x, ops.cast(label_maps(one_hot, x.shape[1], x.shape[2]), x.dtype)], axis=-1)
        for conv in self.convs[2 * s - 1:2 * s + 1]:
            x = self.norm(_lrelu(conv(x)))
        return x

    def call(self, noise, one_hot, stage: int = 0, alpha=1.0, fade: bool = True):
        x = ops.cast(noise, self.compute_dtype)
        previous = None
        for s in range(stage + 1):
            previous = x
            x = self._block(s, x, one_hot)
        image = self.to_rgb[stage](x)
        if stage > 0 and fade:
            image = lerp(upsample2x(self.to_rgb[stage - 1](previous)), image, alpha)
        return image

    def build(self, *args, **kwargs):
        pass  # sub-layers build on first use; the model runs every stage once at construction

    def stage_layers(self, stage: int) -> list:
        """The layers a step at ``stage`` trains (every block so far, and the two to-RGB layers it blends)."""
        out = [self.project] + list(self.convs[:2 * stage + 1]) + [self.to_rgb[stage]]
        if stage > 0:
            out.append(self.to_rgb[stage - 1])
        return out

    def get_config(self):
        return {**super().get_config(), "base_size": self.base_size, "feature_maps": self.feature_maps,
                "channels": self.channels, "latent_dim": self.latent_dim, "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="tfskin")
class ProgressiveCritic(layers.Layer):
    """(image at resolution(stage), one-hot, stage, alpha) -> (score (B, 1), class logits (B, K)), float32."""

    def __init__(self, feature_maps, num_classes, minibatch_std_group=4, **kwargs):
        super().__init__(**kwargs)
        self.feature_maps, self.num_classes = tuple(feature_maps), num_classes
        self.minibatch_std_group = minibatch_std_group
        nf = self.feature_maps
        self.from_rgb = [EqualizedConv2D(nf[s], 1, name=f"from_rgb{s}") for s in range(len(nf))]
        # block s >= 1 holds convs[2s-2 : 2s]
        self.convs = []
        for s in range(1, len(nf)):
            self.convs += [EqualizedConv2D(nf[s], 3, name=f"b{s}_conv0"),
                           EqualizedConv2D(nf[s - 1], 3, name=f"b{s}_conv1")]
        track_for_checkpoints(self, self.from_rgb + self.convs)
        self.mbstd = MinibatchStdDev(minibatch_std_group)
        self.final_conv = EqualizedConv2D(nf[0], 3, name="b0_conv")
        self.final_dense = EqualizedDense(nf[0], name="b0_dense")
        self.output_dense = EqualizedDense(1 + num_classes, gain=1.0, dtype="float32", name="output")

    def _with_labels(self, x, one_hot):
        return ops.concatenate([x, ops.cast(label_maps(one_hot, x.shape[1], x.shape[2]), x.dtype)], axis=-1)

    def _block(self, s, x, one_hot):
        x = self._with_labels(x, one_hot)
        if s == 0:
            x = _lrelu(self.final_conv(self.mbstd(x)))
            x = _lrelu(self.final_dense(ops.reshape(x, (-1, x.shape[1] * x.shape[2] * x.shape[3]))))
            return self.output_dense(x)
        for conv in self.convs[2 * s - 2:2 * s]:
            x = _lrelu(conv(x))
        return downsample(x, 2)

    def call(self, image, one_hot, stage: int = 0, alpha=1.0):
        image = ops.cast(image, self.compute_dtype)
        x = self._block(stage, _lrelu(self.from_rgb[stage](image)), one_hot)
        if stage > 0:
            x = lerp(_lrelu(self.from_rgb[stage - 1](downsample(image, 2))), x, alpha)
            for s in range(stage - 1, -1, -1):
                x = self._block(s, x, one_hot)
        out = ops.cast(x, "float32")
        return out[:, :1], out[:, 1:]

    def build(self, *args, **kwargs):
        pass  # sub-layers build on first use; the model runs every stage once at construction

    def stage_layers(self, stage: int) -> list:
        out = [self.final_conv, self.final_dense, self.output_dense, self.from_rgb[stage]]
        out += list(self.convs[:2 * stage])
        if stage > 0:
            out.append(self.from_rgb[stage - 1])
        return out

    def get_config(self):
        return {**super().get_config(), "feature_maps": self.feature_maps, "num_classes": self.num_classes,
                "minibatch_std_group": self.minibatch_std_group}
