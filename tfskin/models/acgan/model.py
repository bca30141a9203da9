"""ACGAN as a tfskin GAN: (noise, class) -> image; the discriminator also classifies."""

import keras
import numpy as np
from keras import ops

from tfskin import losses
from tfskin.data.classes import default_class_prior
from tfskin.gan.base import GAN, images_and_mask
from tfskin.models.acgan.config import ACGANConfig
from tfskin.models.acgan.networks import build_discriminator, build_generator


def split_conditional_inputs(noise, label):
    """Accept ``model(noise, label)`` and ``model({"noise": ..., "label": ...})`` alike."""
    if isinstance(noise, dict):
        noise, label = noise["noise"], noise.get("label", label)
    if label is None:
        raise ValueError("a class-conditional generator needs a label per example")
    return noise, label


def per_class_preview(latent_dim: int, num_classes: int, num: int, seed: int) -> dict:
    """Fixed preview inputs whose labels cycle through the classes: in an 8-column grid each column is one
    class when ``num_classes`` divides 8 (the per-class sample grid)."""
    rng = np.random.default_rng([seed, 1])
    return {"noise": rng.standard_normal((num, latent_dim)).astype("float32"),
            "label": (np.arange(num) % num_classes).astype("int32")}


def class_index_of(class_names, value) -> int:
    """A class given by index or by name (case-insensitive) -> index; errors list the valid names."""
    if isinstance(value, (int, np.integer)):
        if not 0 <= int(value) < len(class_names):
            raise ValueError(f"class index {value} out of range 0..{len(class_names) - 1}")
        return int(value)
    names = [c.upper() for c in class_names]
    try:
        return names.index(str(value).upper())
    except ValueError:
        raise ValueError(f"unknown class {value!r}; valid classes: {', '.join(class_names)}") from None


def conditional_sample(model, num, seed=None, label=None) -> dict:
    """``num`` samples of a class-conditional model; ``label`` (index or class name) fixes the class, else the
    classes cycle. Returns numpy arrays in [0, 1] plus the int labels used."""
    seed = model.seed_generator if seed is None else seed
    noise = keras.random.normal((num, model.config.latent_dim), seed=seed)
    if label is None:
        labels = np.arange(num) % model.config.num_classes
    else:
        labels = np.full((num,), class_index_of(model.config.class_names, label))
    labels = labels.astype("int32")
    outputs = {k: ops.convert_to_numpy(v) for k, v in model(noise, labels).items()}
    outputs["label"] = labels
    return outputs


@keras.saving.register_keras_serializable(package="tfskin")
class ACGAN(GAN):
    """ACGAN: the generator is conditioned on a class; the discriminator judges real/fake and classifies."""

    config_class = ACGANConfig
    loss_names = ("d_loss", "g_loss", "d_adv", "d_aux", "g_adv", "g_aux", "aux_acc_real", "aux_acc_fake")

    def __init__(self, config: ACGANConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = build_generator(config)
        self.discriminator = build_discriminator(config)

    def latent_spec(self):
        prior = None if self.config.fake_label_prior == "uniform" else default_class_prior()
        return {"noise": ((self.config.latent_dim,), "normal"),
                "fake_labels": ((), ("categorical", self.config.num_classes, prior))}

    def example_batch(self, batch_size=2):
        h, w = self.config.image_size
        return {
            "images": ops.zeros((batch_size, h, w, self.config.channels)),
            "labels": ops.zeros((batch_size,), "int32"),
            "noise": ops.zeros((batch_size, self.config.latent_dim)),
            "fake_labels": ops.zeros((batch_size,), "int32"),
        }

    def _one_hot(self, labels):
        return ops.one_hot(ops.cast(labels, "int32"), self.config.num_classes)

    def generate(self, batch, training=False):
        noise = ops.convert_to_tensor(batch["noise"])
        return {"images": self.generator([noise, self._one_hot(batch["fake_labels"])], training=training)}

    @staticmethod
    def _accuracy(labels, logits):
        return ops.mean(ops.cast(ops.equal(ops.argmax(logits, axis=-1), ops.cast(labels, "int32")), "float32"))

    def discriminator_losses(self, batch, fakes):
        cfg = self.config
        real_source, real_classes = self.discriminator(batch["images"], training=True)
        fake_source, fake_classes = self.discriminator(fakes["images"], training=True)
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
        fake_source, fake_classes = self.discriminator(fakes["images"], training=True)
        adv = losses.nonsaturating_generator_loss(fake_source)
        aux = losses.auxiliary_classification_loss(batch["fake_labels"], fake_classes)
        return {"g_loss": cfg.adversarial_weight * adv + cfg.auxiliary_weight * aux, "g_adv": adv, "g_aux": aux}

    def call(self, noise, label=None, training=False):
        """Inference: noise (B, latent_dim), label int (B,) -> {image (B, H, W, 3) in [0, 1], mask?}."""
        noise, label = split_conditional_inputs(noise, label)
        out = self.generator([ops.convert_to_tensor(noise), self._one_hot(label)], training=training)
        return images_and_mask(out, self.config.channels)

    def classify(self, images):
        """The auxiliary classifier's class probabilities for images in [-1, 1]."""
        _, logits = self.discriminator(images, training=False)
        return ops.softmax(logits, axis=-1)

    def preview_inputs(self, examples, num, seed):
        return per_class_preview(self.config.latent_dim, self.config.num_classes, num, seed)

    def sample(self, num, seed=None, label=None, **kwargs):
        """``num`` samples; ``label`` (index or class name) fixes the class, else classes cycle."""
        return conditional_sample(self, num, seed, label)

    def export_signatures(self):
        from tfskin.serving.signatures import noise_label_to_image_signature

        return noise_label_to_image_signature(self, "generate")
