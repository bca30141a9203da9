"""ACGAN as a tfskin GAN: (noise, class) -> image; the discriminator also classifies."""

import keras
from keras import ops

from tfskin import losses
from tfskin.gan.conditional import ClassConditionalGAN
from tfskin.models.acgan.config import ACGANConfig
from tfskin.models.acgan.networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="tfskin")
class ACGAN(ClassConditionalGAN):
    """ACGAN: the generator is conditioned on a class; the discriminator judges real/fake and classifies."""

    config_class = ACGANConfig
    loss_names = ("d_loss", "g_loss", "d_adv", "d_aux", "g_adv", "g_aux", "aux_acc_real", "aux_acc_fake")

    def __init__(self, config: ACGANConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = build_generator(config, self.image_shape)
        self.discriminator = build_discriminator(config, self.image_shape)

    def _d(self, x):
        return self.discriminator(x, training=True)

    @staticmethod
    def _source(out):
        return out[0]  # the real/fake logits (out[1]: the class logits)

    def generate(self, batch, training=False):
        noise = ops.convert_to_tensor(batch["noise"])
        return {"images": self.generator([noise, self.one_hot(batch["fake_labels"])], training=training)}

    @staticmethod
    def _accuracy(labels, logits):
        return ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=-1), ops.cast(labels, "int32")), "float32"))

    def discriminator_losses(self, batch, fakes):
        cfg = self.config
        real_source, real_classes = self.discriminate(self._d, batch["images"], batch, "real", real=True,
                                                      score=self._source)
        fake_source, fake_classes = self.discriminate(self._d, fakes["images"], batch, "fake", score=self._source)
        adv = losses.nonsaturating_discriminator_loss(real_source, fake_source)
        aux = (losses.auxiliary_classification_loss(batch["labels"], real_classes)
               + losses.auxiliary_classification_loss(batch["fake_labels"], fake_classes))
        return {
            "d_loss": cfg.adversarial_weight * adv + cfg.auxiliary_weight * aux,
            "d_adv": adv, "d_aux": aux,
            "aux_acc_real": self._accuracy(batch["labels"], real_classes),
            "aux_acc_fake": self._accuracy(batch["fake_labels"], fake_classes),
        }

    def generator_losses(self, batch, fakes):
        cfg = self.config
        fake_source, fake_classes = self.discriminate(self._d, fakes["images"], batch, "generator",
                                                      score=self._source)
        adv = losses.nonsaturating_generator_loss(fake_source)
        aux = losses.auxiliary_classification_loss(batch["fake_labels"], fake_classes)
        return {"g_loss": cfg.adversarial_weight * adv + cfg.auxiliary_weight * aux, "g_adv": adv, "g_aux": aux}

    def generate_images(self, noise, one_hot, training=False):
        return self.generator([noise, one_hot], training=training)

    def classify(self, images):
        """The auxiliary classifier's class probabilities for images in [-1, 1]."""
        _, logits = self.discriminator(images, training=False)
        return ops.softmax(logits, axis=-1)
