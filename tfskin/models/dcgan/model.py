"""DCGAN as a tfskin GAN: noise -> image (+ mask channel)."""

import keras
from keras import ops

from tfskin import losses
from tfskin.gan.base import images_and_mask
from tfskin.gan.noise_to_image import NoiseToImageGAN
from tfskin.models.dcgan.config import DCGANConfig
from tfskin.models.dcgan.networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="tfskin")
class DCGAN(NoiseToImageGAN):
    """DCGAN; 3 channels = RGB, 4 channels = RGB + lesion mask (Pollastri et al. 2020)."""

    config_class = DCGANConfig
    loss_names = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, config: DCGANConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = build_generator(config, self.image_shape)
        self.discriminator = build_discriminator(config, self.image_shape)
        self._d_loss_fn, self._g_loss_fn = losses.adversarial_losses(config.loss)

    @classmethod
    def wasserstein_critic(cls, model_config) -> bool:
        return model_config.loss == "wasserstein"

    def _d(self, x):
        return self.discriminator(x, training=True)

    def generate(self, batch, training=False):
        return {"images": self.generator(batch["noise"], training=training)}

    def discriminator_losses(self, batch, fakes):
        real_logits = self.discriminate(self._d, batch["images"], batch, "real", real=True)
        fake_logits = self.discriminate(self._d, fakes["images"], batch, "fake")
        if self.config.loss == "nonsaturating":
            d_loss = self._d_loss_fn(real_logits, fake_logits, label_smoothing=self.config.label_smoothing)
        else:
            d_loss = self._d_loss_fn(real_logits, fake_logits)
        return {
            "d_loss": d_loss,
            "d_real": ops.mean(ops.sigmoid(real_logits)),
            "d_fake": ops.mean(ops.sigmoid(fake_logits)),
        }

    def generator_losses(self, batch, fakes):
        fake_logits = self.discriminate(self._d, fakes["images"], batch, "generator")
        return {"g_loss": self._g_loss_fn(fake_logits)}

    def call(self, noise, training=False):
        """Inference: noise (B, latent_dim) -> dict with ``image`` (B, H, W, 3) in [0, 1] [and ``mask``]."""
        return images_and_mask(self.generator(noise, training=training), self.channels)


