"""DDGAN as a tfskin GAN: one generator, a discriminator at each of its finest scales."""

import keras
from keras import ops

from tfskin import losses
from tfskin.gan.base import images_and_mask
from tfskin.gan.noise_to_image import NoiseToImageGAN
from tfskin.layers.progressive import downsample, track_for_checkpoints
from tfskin.models.ddgan.config import DDGANConfig
from tfskin.models.ddgan.networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="tfskin")
class DDGAN(NoiseToImageGAN):
    """Deeply discriminated GAN: the generator's intermediate images are each judged at their own scale."""

    config_class = DDGANConfig

    def __init__(self, config: DDGANConfig, image_shape, seed: int = 0, **kwargs):
        scales = range(config.first_discriminated, config.num_scales)
        size = lambda s: "x".join(map(str, config.resolution(s, tuple(image_shape)[:2])))
        self.loss_names = ("d_loss", "g_loss") + tuple(f"{p}_loss_{size(s)}" for s in scales for p in ("d", "g"))
        super().__init__(config, image_shape, seed, **kwargs)
        self.generator = build_generator(config, self.image_shape)
        self.discriminators = [build_discriminator(config, s, self.image_shape) for s in scales]
        track_for_checkpoints(self, self.discriminators)
        self.discriminator_sites = tuple(f"scale{s}_{part}" for s in scales for part in ("real", "fake", "generator"))

    def _judge(self, i, s, images, batch, part, real=False):
        return self.discriminate(lambda x: self.discriminators[i](x, training=True), images, batch,
                                 f"scale{s}_{part}", real=real)

    @property
    def discriminator_networks(self):
        return list(self.discriminators)

    def _scales(self):
        cfg = self.config
        return [(i, s, cfg.weights[i], "x".join(map(str, cfg.resolution(s, self.image_size))))
                for i, s in enumerate(range(cfg.first_discriminated, cfg.num_scales))]

    def generate(self, batch, training=False):
        images = self.generator(ops.convert_to_tensor(batch["noise"]), training=training)
        return {f"scale{s}": images[s] for _, s, _, _ in self._scales()}

    def discriminator_losses(self, batch, fakes):
        real = ops.cast(ops.convert_to_tensor(batch["images"]), "float32")
        out, total = {}, 0.0
        for i, s, weight, name in self._scales():
            real_s = downsample(real, 2 ** (self.config.num_scales - 1 - s))
            loss = losses.nonsaturating_discriminator_loss(self._judge(i, s, real_s, batch, "real", real=True),
                                                           self._judge(i, s, fakes[f"scale{s}"], batch, "fake"))
            out[f"d_loss_{name}"] = loss
            total = total + weight * loss
        out["d_loss"] = total
        return out

    def generator_losses(self, batch, fakes):
        out, total = {}, 0.0
        for i, s, weight, name in self._scales():
            loss = losses.nonsaturating_generator_loss(self._judge(i, s, fakes[f"scale{s}"], batch, "generator"))
            out[f"g_loss_{name}"] = loss
            total = total + weight * loss
        out["g_loss"] = total
        return out

    def call(self, noise, training=False):
        """noise (B, latent_dim) -> {image (B, H, W, 3) in [0, 1] at the finest scale, mask?}."""
        finest = self.generator(ops.convert_to_tensor(noise), training=training)[-1]
        return images_and_mask(finest, self.channels)


