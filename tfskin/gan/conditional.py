"""Class-conditional noise-to-image GANs (ACGAN, the conditional progressive GAN): (noise, class) -> image."""

import numpy as np
from keras import ops

from tfskin.errors import BadInputError
from tfskin.gan.base import images_and_mask
from tfskin.gan.noise_to_image import NoiseToImageGAN, generator_input_count
from tfskin.serving.signatures import noise_label_to_image_signature


def class_index_of(class_names, value) -> int:
    """A class given by index or by name (case-insensitive) -> index; errors list the valid names."""
    if isinstance(value, (int, np.integer)):
        if not 0 <= int(value) < len(class_names):
            raise BadInputError(f"class index {value} out of range 0..{len(class_names) - 1}")
        return int(value)
    names = [c.upper() for c in class_names]
    try:
        return names.index(str(value).upper())
    except ValueError:
        raise BadInputError(f"unknown class {value!r}; valid classes: {', '.join(class_names)}") from None


def split_conditional_inputs(noise, label):
    """Accept ``model(noise, label)`` and ``model({"noise": ..., "label": ...})`` alike."""
    if isinstance(noise, dict):
        noise, label = noise["noise"], noise.get("label", label)
    if label is None:
        raise BadInputError("a class-conditional generator needs a label per example")
    return noise, label


class ClassConditionalGAN(NoiseToImageGAN):
    """A generator of (noise, class): ``config.num_classes`` classes named ``config.class_names``.

    Subclasses implement ``generate_images(noise, one_hot, training)`` -> the generator's [-1, 1] output at full size;
    ``call``, ``sample`` and the ``generate(noise, label)`` endpoint are shared; trained on ``labelled_images``.
    """

    conditional = True
    input_kind = "labelled_images"

    def generate_images(self, noise, one_hot, training=False):
        raise NotImplementedError

    def latent_spec(self) -> dict:
        """Noise and the classes of the fakes, uniform or ISIC 2019's prior (``config.fake_label_prior``)."""
        prior = "isic2019" if self.config.fake_label_prior == "isic2019" else None
        return {**super().latent_spec(), "fake_labels": ((), ("categorical", self.config.num_classes, prior))}

    def example_batch(self, batch_size: int = 2) -> dict:
        return {**super().example_batch(batch_size), "labels": ops.zeros((batch_size,), "int32")}

    def batch_norm_inputs(self, num: int):
        """``num`` noise vectors and one-hot classes (cycling through them), where the generator is one functional
        network of the two (else None)."""
        if generator_input_count(self) != 2:
            return None
        return [self.draw_noise(num, seed=self.seed), self.one_hot(np.arange(num) % self.config.num_classes)]

    def one_hot(self, labels):
        return ops.one_hot(ops.cast(labels, "int32"), self.config.num_classes)

    def call(self, noise, label=None, training=False):
        """Inference: noise (B, latent_dim), label int (B,) -> {image (B, H, W, 3) in [0, 1], mask?}."""
        noise, label = split_conditional_inputs(noise, label)
        image = self.generate_images(ops.convert_to_tensor(noise), self.one_hot(label), training=training)
        return images_and_mask(image, self.channels)

    def sample(self, num: int, seed=None, label=None) -> dict:
        """``num`` samples; ``label`` (index or class name) fixes the class, else the classes cycle. Returns
        NumPy arrays in [0, 1] plus the int labels used."""
        noise = self.draw_noise(num, seed)
        if label is None:
            labels = np.arange(num) % self.config.num_classes
        else:
            labels = np.full((num,), class_index_of(self.config.class_names, label))
        labels = labels.astype("int32")
        outputs = {k: ops.convert_to_numpy(v) for k, v in self(noise, labels).items()}
        outputs["label"] = labels
        return outputs

    def export_signatures(self) -> dict:
        """``generate(noise, label)`` -> {image, mask?, image_png_bytes}."""
        return noise_label_to_image_signature(self, "generate")
