"""Noise-to-image GANs (DCGAN, DDGAN, LAPGAN, the progressive GANs, ACGAN): a latent vector in, an image out."""

import keras
from keras import ops

from tfskin.errors import BadInputError
from tfskin.gan.base import GAN
from tfskin.serving.signatures import noise_to_image_signature


def generator_input_count(model):
    """How many inputs the model's generator takes, where it is one functional network (else None: a
    subclassed network, such as the progressive GANs', has no symbolic inputs to probe)."""
    networks = model.generator_networks
    try:
        return len(networks[0].inputs) if len(networks) == 1 else None
    except AttributeError:
        return None


class NoiseToImageGAN(GAN):
    """A generator of ``config.latent_dim``-d standard-normal noise: samples and the ``generate(noise)`` serving
    endpoint follow from that. Trained on ``noise_and_images`` inputs."""

    input_kind = "noise_and_images"

    def latent_spec(self) -> dict:
        """One standard-normal ``noise`` vector per example (models with more random inputs extend this)."""
        return {"noise": ((self.config.latent_dim,), "normal")}

    def example_batch(self, batch_size: int = 2) -> dict:
        """Zeros shaped like a training batch: the real ``images`` and every input of ``latent_spec()``."""
        batch = {"images": ops.zeros((batch_size, *self.image_shape))}
        for name, (shape, kind) in self.latent_spec().items():
            batch[name] = ops.zeros((batch_size, *shape), "float32" if kind == "normal" else "int32")
        return batch

    def batch_norm_inputs(self, num: int):
        """``num`` noise vectors from the model's seed, where the generator is one functional network taking only
        noise (else None)."""
        if generator_input_count(self) != 1:
            return None
        return [self.draw_noise(num, seed=self.seed)]

    def draw_noise(self, num: int, seed=None):
        """(num, latent_dim) standard-normal noise from ``seed`` (an int or a SeedGenerator; default: the model's)."""
        return keras.random.normal((num, self.config.latent_dim),
                                   seed=self.seed_generator if seed is None else seed)

    def sample(self, num: int, seed=None, label=None) -> dict:
        """``num`` samples of the inference path as NumPy arrays in [0, 1]."""
        if label is not None:
            raise BadInputError(f"{self.model_name} is not class-conditional; leave out the class ({label!r})")
        return {k: ops.convert_to_numpy(v) for k, v in self(self.draw_noise(num, seed)).items()}

    def export_signatures(self) -> dict:
        """``generate(noise)`` -> {image, mask?, image_png_bytes}."""
        return noise_to_image_signature(self, "generate")
