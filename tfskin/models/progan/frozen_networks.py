"""Phase-frozen progressive networks (Lunagariya & Patel, section 7.2): DCGAN layers grown phase by phase.

Generator: ConvTranspose projection to 4x4, then stride-2 ConvTranspose + BatchNorm + ReLU blocks; each phase
has its own stride-2 ConvTranspose to-image layer (tanh). Discriminator: each phase has its own 1x1 from-image
layer, then stride-2 Conv + BatchNorm + LeakyReLU blocks down to 4x4 and a 4x4 valid convolution to one logit.
Blocks of earlier phases run in inference mode (frozen) once a later phase starts.
"""

import keras
from keras import layers, ops

from tfskin.layers.init import normal_init
from tfskin.layers.normalization import batch_norm
from tfskin.layers.progressive import track_for_checkpoints


@keras.saving.register_keras_serializable(package="tfskin")
class FrozenGrowthGenerator(layers.Layer):
    def __init__(self, base_size, generator_filters, channels, latent_dim, num_stages, **kwargs):
        super().__init__(**kwargs)
        self.base_size, self.generator_filters = tuple(base_size), tuple(generator_filters)
        self.channels, self.latent_dim, self.num_stages = channels, latent_dim, num_stages
        self.first_blocks = len(generator_filters) - num_stages + 1
        self.convs, self.norms = [], []
        for i, width in enumerate(generator_filters):
            if i == 0:
                conv = layers.Conv2DTranspose(width, self.base_size, padding="valid", use_bias=False,
                                              kernel_initializer=normal_init(), name="project")
            else:
                conv = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False,
                                              kernel_initializer=normal_init(), name=f"up{i}")
            self.convs.append(conv)
            self.norms.append(batch_norm(name=f"{conv.name}_bn"))
        self.to_image = [layers.Conv2DTranspose(channels, 4, strides=2, padding="same",
                                                kernel_initializer=normal_init(), dtype="float32",
                                                name=f"to_image{s}") for s in range(num_stages)]
        track_for_checkpoints(self, self.convs + self.norms + self.to_image)

    def blocks_of(self, stage: int) -> list:
        """Indices of the blocks a phase adds (and trains)."""
        return list(range(self.first_blocks)) if stage == 0 else [self.first_blocks - 1 + stage]

    def call(self, noise, stage: int = 0, training=False):
        active = set(self.blocks_of(stage))
        x = ops.reshape(ops.cast(noise, self.compute_dtype), (-1, 1, 1, self.latent_dim))
        for i in range(self.first_blocks + stage):
            train_block = training and i in active
            x = ops.relu(self.norms[i](self.convs[i](x), training=train_block))
        return ops.tanh(self.to_image[stage](x))

    def build(self, *args, **kwargs):
        pass  # sub-layers build on first use; the model runs every stage once at construction

    def stage_layers(self, stage: int) -> list:
        blocks = self.blocks_of(stage)
        return [self.convs[i] for i in blocks] + [self.norms[i] for i in blocks] + [self.to_image[stage]]

    def get_config(self):
        return {**super().get_config(), "base_size": self.base_size, "generator_filters": self.generator_filters,
                "channels": self.channels, "latent_dim": self.latent_dim, "num_stages": self.num_stages}


@keras.saving.register_keras_serializable(package="tfskin")
class FrozenGrowthDiscriminator(layers.Layer):
    """Down blocks indexed by the feature width they produce, mirroring the generator: down[i] maps the
    resolution of generator block i+1 to that of block i (with generator_filters[i] channels)."""

    def __init__(self, base_size, generator_filters, num_stages, **kwargs):
        super().__init__(**kwargs)
        self.base_size, self.generator_filters = tuple(base_size), tuple(generator_filters)
        self.num_stages = num_stages
        n = len(generator_filters)
        self.first_blocks = n - num_stages + 1
        # down[i]: features at generator block (i+1)'s resolution -> block i's resolution; down[n-1] reads the
        # full-resolution image level
        self.downs, self.norms = [], []
        for i in range(n):
            self.downs.append(layers.Conv2D(generator_filters[i], 4, strides=2, padding="same", use_bias=False,
                                            kernel_initializer=normal_init(), name=f"down{i}"))
            self.norms.append(batch_norm(name=f"down{i}_bn"))
        widths = [generator_filters[self.first_blocks - 1 + s] // 2 if s == num_stages - 1 else
                  generator_filters[self.first_blocks + s] for s in range(num_stages)]
        self.from_image = [layers.Conv2D(widths[s], 1, kernel_initializer=normal_init(), name=f"from_image{s}")
                           for s in range(num_stages)]
        track_for_checkpoints(self, self.downs + self.norms + self.from_image)
        self.logit = layers.Conv2D(1, self.base_size, padding="valid", kernel_initializer=normal_init(),
                                   dtype="float32", name="logit")

    def blocks_of(self, stage: int) -> list:
        return list(range(self.first_blocks)) if stage == 0 else [self.first_blocks - 1 + stage]

    def call(self, image, stage: int = 0, training=False):
        active = set(self.blocks_of(stage))
        x = ops.leaky_relu(self.from_image[stage](ops.cast(image, self.compute_dtype)), 0.2)
        for i in range(self.first_blocks - 1 + stage, -1, -1):
            x = ops.leaky_relu(self.norms[i](self.downs[i](x), training=training and i in active), 0.2)
        return ops.reshape(self.logit(x), (-1, 1))

    def build(self, *args, **kwargs):
        pass  # sub-layers build on first use; the model runs every stage once at construction

    def stage_layers(self, stage: int) -> list:
        blocks = self.blocks_of(stage)
        out = [self.downs[i] for i in blocks] + [self.norms[i] for i in blocks] + [self.from_image[stage]]
        return out + ([self.logit] if stage == 0 else [])

    def get_config(self):
        return {**super().get_config(), "base_size": self.base_size, "generator_filters": self.generator_filters,
                "num_stages": self.num_stages}
