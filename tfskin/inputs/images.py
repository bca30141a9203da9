"""Inputs of the noise-to-image families: the run's real images with the model's random inputs (noise, the
classes of the fakes), and the fixed noise of the sample grids."""

import numpy as np
import tensorflow as tf

from tfskin.data.pipeline import draw_latents, gan_batches
from tfskin.data.sources import load_examples


class RunInputs:
    """What the runner feeds a GAN during one run, built from the run's config (``RunConfig``):

    * ``examples``: the real examples (``image`` uint8, ...), also the colour reference of the sample grids;
    * ``batches(start_step)``: the endless training stream from ``start_step`` on, deterministic in (seed, step);
    * ``preview(num)``: the fixed input batch of the sample and panel grids (the same on every resume);
    * ``prepare(run_dir)``: writes what the run folder records about the inputs (default: nothing).
    """

    def __init__(self, run_config):
        self.run_config = run_config
        self._examples = None

    @property
    def examples(self) -> tf.data.Dataset:
        if self._examples is None:
            self._examples = self.load_examples()
        return self._examples

    def load_examples(self) -> tf.data.Dataset:
        raise NotImplementedError

    def batches(self, start_step: int) -> tf.data.Dataset:
        raise NotImplementedError

    def preview(self, num: int) -> dict:
        raise NotImplementedError

    def prepare(self, run_dir):
        """Record the inputs in the run folder before training (default: nothing to record)."""

    def reference_images(self, count: int):
        """The first ``count`` real images (uint8), the fixed reference of the colour-distance curve."""
        batch = next(iter(self.examples.take(count).batch(count).as_numpy_iterator()), None)
        return None if batch is None else batch["image"]


class NoiseAndImages(RunInputs):
    """Real images (+ lesion mask as a 4th channel) and the model's random inputs, drawn from ``latent_spec``
    (name -> (shape, kind), see ``tfskin.data.pipeline.draw_latents``) statelessly from (seed, step)."""

    def __init__(self, run_config, latent_spec: dict):
        super().__init__(run_config)
        self.latent_spec = dict(latent_spec)

    def load_examples(self):
        data = self.run_config.data
        return load_examples(
            data.name, data.split, data.image_size, seed=data.seed, num_examples=data.num_examples,
            classes=data.classes,
            features=("image", "mask", "label") if data.channels == 4 else ("image", "label"),
        )

    def batches(self, start_step: int):
        data, train = self.run_config.data, self.run_config.train
        return gan_batches(self.examples, batch_size=train.batch_size, channels=data.channels, seed=train.seed,
                           augment=data.augment, latent_spec=self.latent_spec, start_step=start_step,
                           shuffle_buffer=data.shuffle_buffer)

    def preview(self, num: int) -> dict:
        """``noise`` drawn from the run's seed: what the generator's inference path takes."""
        seed = tf.constant([self.run_config.train.seed, -1], tf.int64)
        return {"noise": draw_latents(self.latent_spec, num, seed)["noise"]}


class LabelledImages(NoiseAndImages):
    """As :class:`NoiseAndImages` for class-conditional generators: the batches carry the real ``labels`` and
    the fakes' ``fake_labels``; the preview's labels cycle through the classes, so in an 8-column grid each
    column is one class when the number of classes divides 8 (the per-class sample grid)."""

    def preview(self, num: int) -> dict:
        (latent_dim,), _ = self.latent_spec["noise"]
        _, (_, num_classes, _) = self.latent_spec["fake_labels"]
        rng = np.random.default_rng([self.run_config.train.seed, 1])
        return {"noise": rng.standard_normal((num, latent_dim)).astype("float32"),
                "label": (np.arange(num) % num_classes).astype("int32")}
