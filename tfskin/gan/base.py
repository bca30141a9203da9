"""The one GAN base model: the training-step template every tfskin GAN uses.

Family bases own what a family of GANs shares: ``NoiseToImageGAN`` (``gan.noise_to_image``),
``ClassConditionalGAN`` (``gan.conditional``), ``ImageToImageGAN`` (``gan.image_to_image``) and ``StagedGAN``
(``gan.staged``). The runner and the CLI ask the model (``input_kind``, ``latent_spec``, ``training_callbacks``,
``conditional``, ``sample``, ...) and never check its type. The model loads no data: the runner builds the input
object of its family's ``input_kind`` (``tfskin.inputs``) and hands its batches to ``fit``.

A model creates its networks and supplies four things:

* ``generate(batch, training)`` -> dict of generator outputs (the forward pass whose gradients train G);
* ``discriminator_losses(batch, fakes)`` -> dict with ``"d_loss"`` (the total) and any named terms;
* ``generator_losses(batch, fakes)`` -> dict with ``"g_loss"`` (the total) and any named terms;
* ``call(inputs)``: the inference path that export serves.

and lists its networks in ``generator_networks`` / ``discriminator_networks``. The base owns the order of
updates, the two optimizers (loss-scaled under mixed_float16), replica-aware loss reduction, loss trackers,
a seed generator for sampling, and a step counter that checkpoints carry.

Order of one step (the DCGAN reference order): the generator runs once under the generator's tape; with that
tape paused, the discriminator is updated on the detached fakes; then the generator is updated through the
freshly updated discriminator. Models whose generator and discriminator see several networks (CycleGAN) or
levels (LAPGAN) just return more entries in their dicts.

Randomness used in training (latent noise, sampled labels) arrives in ``batch`` from the input pipeline,
generated statelessly from (seed, step): a resumed run and a run split over replicas see exactly the same
numbers as an uninterrupted single-device run.
"""

import keras
import tensorflow as tf
from keras import ops

from tfskin.errors import BadInputError


def images_and_mask(generated, channels: int) -> dict:
    """Generator output in [-1, 1] -> ``{"image": (B, H, W, 3) in [0, 1]}`` (+ ``"mask": (B, H, W, 1)`` for 4
    channels), float32."""
    out = ops.clip((ops.cast(generated, "float32") + 1.0) / 2.0, 0.0, 1.0)
    result = {"image": out[..., :3]}
    if channels == 4:
        result["mask"] = out[..., 3:]
    return result


class GAN(keras.Model):
    """Base class of every tfskin GAN (see the module docstring for the contract)."""

    #: Names of the losses the subclass returns; each gets a ``keras.metrics.Mean`` tracker.
    loss_names: tuple = ("d_loss", "g_loss")

    def __init__(self, config, image_shape, seed: int = 0, **kwargs):
        """``config``: architecture and loss weights; ``image_shape``: (H, W, C) of the images it makes (C = 3
        RGB, 4 RGB + lesion mask); ``seed``: of its sampling and of randomness its training step draws itself."""
        super().__init__(**kwargs)
        h, w, c = (int(v) for v in image_shape)
        config.check_image_shape((h, w), c)
        self.config = config
        self.image_shape = (h, w, c)
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}
        self.train_step_counter = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="train_step_counter",
        )
        self.generator_optimizer = None
        self.discriminator_optimizer = None

    @property
    def image_size(self) -> tuple:
        """(height, width) of the images the model makes."""
        return self.image_shape[:2]

    @property
    def channels(self) -> int:
        """3 (RGB) or 4 (RGB + lesion mask)."""
        return self.image_shape[2]

    # --- what subclasses provide -------------------------------------------------------------------------

    @property
    def generator_networks(self) -> list:
        return [self.generator]

    @property
    def discriminator_networks(self) -> list:
        return [self.discriminator]

    def latent_spec(self) -> dict:
        """Per-example random inputs the pipeline must add to each batch: name -> (shape, kind).

        kind is "normal" (standard normal float32) or ("categorical", num_classes, prior) for labels, prior
        None (uniform), a tuple of probabilities or a named prior (``"isic2019"``).
        """
        return {}

    def generate(self, batch, training=False):
        raise NotImplementedError

    def discriminator_losses(self, batch, fakes):
        raise NotImplementedError

    def generator_losses(self, batch, fakes):
        raise NotImplementedError

    def example_batch(self, batch_size: int = 2) -> dict:
        """A batch with the right structure and shapes (zeros) for building networks and optimizers."""
        raise NotImplementedError

    def preview(self, inputs: dict) -> dict:
        """Outputs shown in the sample grid for the input object's fixed ``preview`` batch: ``image``
        (N, H, W, 3) in [0, 1] [and ``mask``]."""
        return self(**inputs)

    def sample(self, num: int, seed=None, label=None) -> dict:
        """``num`` samples as NumPy arrays in [0, 1] (``label``: a class, for class-conditional models). Models
        that do not sample from noise say what to use instead."""
        raise BadInputError(f"{self.model_name} does not sample from noise")

    def export_signatures(self) -> dict:
        """Named serving endpoints, name -> (function, input specs); each family defines them."""
        raise NotImplementedError

    # --- what the runner asks every model ---------------------------------------------------------------

    #: The family's input object (``tfskin.inputs.build_inputs``): what the runner feeds this model.
    input_kind: str = "noise_and_images"

    #: True when ``sample`` takes a class (``label``): ``tfskin sample --class`` and ``label=`` in sources.
    conditional: bool = False

    @property
    def model_name(self) -> str:
        """The model's class name in lower case (e.g. ``cyclegan``), for messages."""
        return type(self).__name__.lower()

    @classmethod
    def validate_run(cls, run_config):
        """Reject run settings this model cannot train with (raise ``ConfigError``); default: none."""

    def training_callbacks(self, run_config, run_dir, inputs, stream=None) -> list:
        """Keras callbacks this model's training needs beyond the runner's own (stage schedules, panel grids)."""
        return []

    def after_restore(self):
        """Called after weights were restored from a checkpoint (staged models re-read their stage)."""

    # --- compile / build ---------------------------------------------------------------------------------

    @property
    def generator_variables(self):
        """The generator variables this step updates (staged models narrow this to the active stage)."""
        return self.all_generator_variables

    @property
    def discriminator_variables(self):
        """The discriminator variables this step updates (staged models narrow this to the active stage)."""
        return self.all_discriminator_variables

    @property
    def all_generator_variables(self):
        """Every trainable generator variable: the optimizer is built over all of them once, so a stage that
        starts updating more of them later finds their slots (and checkpoints always hold the same slots)."""
        return [v for net in self.generator_networks for v in net.trainable_variables]

    @property
    def all_discriminator_variables(self):
        return [v for net in self.discriminator_networks for v in net.trainable_variables]

    def compile(self, generator_optimizer, discriminator_optimizer, jit_compile=False, **kwargs):
        """Attach one optimizer per player; under mixed_float16 each is wrapped for loss scaling.

        Keras' own ``auto_scale_loss`` only wraps ``self.optimizer``; a GAN has two, so it is done here.
        The generator optimizer is passed on as ``self.optimizer`` so Keras creates no unused default.
        """
        if keras.config.dtype_policy().name == "mixed_float16":  # both backends (JAX: ``tfskin.gan.jax_step``)
            if not isinstance(generator_optimizer, keras.optimizers.LossScaleOptimizer):
                generator_optimizer = keras.optimizers.LossScaleOptimizer(generator_optimizer)
            if not isinstance(discriminator_optimizer, keras.optimizers.LossScaleOptimizer):
                discriminator_optimizer = keras.optimizers.LossScaleOptimizer(discriminator_optimizer)
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        if keras.backend.backend() == "jax":
            # Keras' JAX trainer carries only ``self.optimizer``'s state through its stateless step; the pair
            # makes it carry both players' (``tfskin.gan.jax_step``). Eager JAX is far too slow: always jit.
            from tfskin.gan.jax_step import OptimizerPair

            super().compile(optimizer=generator_optimizer, jit_compile=True, auto_scale_loss=False, **kwargs)
            self.optimizer = OptimizerPair(generator_optimizer, discriminator_optimizer)
            return
        super().compile(optimizer=generator_optimizer, jit_compile=jit_compile, auto_scale_loss=False, **kwargs)

    def build_for_training(self, batch_size: int = 2):
        """Create every network and optimizer variable (needed before restoring and before ``fit`` under a
        distribution strategy, where variables cannot be created lazily inside the first step)."""
        batch = self.example_batch(batch_size)
        fakes = self.generate(batch, training=False)
        self.discriminator_losses(batch, fakes)
        self.generator_losses(batch, fakes)
        if self.generator_optimizer is not None:
            self.generator_optimizer.build(self.all_generator_variables)
            self.discriminator_optimizer.build(self.all_discriminator_variables)
        for tracker in self.trackers.values():
            tracker.reset_state()
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    # --- the training step -------------------------------------------------------------------------------

    def _num_replicas(self) -> int:
        if keras.backend.backend() != "tensorflow":
            return 1  # JAX: one program over the global batch (see tfskin.gan.jax_step)
        return tf.distribute.get_strategy().num_replicas_in_sync

    def _minimize(self, tape, optimizer, loss, variables):
        # Gradients are summed over replicas, so each replica contributes loss / replicas: the sum is then the
        # gradient of the global-batch mean.
        grads = tape.gradient(loss, variables)
        optimizer.apply(grads, variables)

    def _update_discriminator(self, batch, fakes):
        with tf.GradientTape() as tape:
            losses = self.discriminator_losses(batch, fakes)
            scaled = self.discriminator_optimizer.scale_loss(losses["d_loss"] / self._num_replicas())
        self._minimize(tape, self.discriminator_optimizer, scaled, self.discriminator_variables)
        return losses

    @staticmethod
    def _batch_of(data):
        """The GAN batch (a dict) from what Keras hands ``train_step``: ``fit`` on a dataset of dicts passes the
        dict itself, ``train_on_batch(x)`` passes ``(x, y, sample_weight)``. GANs have no targets or sample
        weights: the batch is ``x``."""
        if isinstance(data, (tuple, list)):
            data = keras.utils.unpack_x_y_sample_weight(tuple(data))[0]
        return data

    def train_step(self, *args):
        """TF: ``train_step(batch)`` (below). JAX: Keras calls ``train_step(state, batch)`` and expects
        ``(logs, new state)``: the stateless step of ``tfskin.gan.jax_step``, same order and arithmetic."""
        if len(args) == 2:
            from tfskin.gan import jax_step

            return jax_step.train_step(self, *args)
        batch = self._batch_of(args[0])
        with tf.GradientTape() as g_tape:
            fakes = self.generate(batch, training=True)
            with g_tape.stop_recording():
                d_losses = self._update_discriminator(batch, tf.nest.map_structure(ops.stop_gradient, fakes))
            g_losses = self.generator_losses(batch, fakes)
            g_scaled = self.generator_optimizer.scale_loss(g_losses["g_loss"] / self._num_replicas())
        self._minimize(g_tape, self.generator_optimizer, g_scaled, self.generator_variables)
        self.train_step_counter.assign_add(1)
        return self._track({**d_losses, **g_losses})

    def _track(self, losses: dict) -> dict:
        for name, tracker in self.trackers.items():
            if name in losses:
                tracker.update_state(losses[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # --- serialization -----------------------------------------------------------------------------------

    def get_compile_config(self):
        if self.generator_optimizer is None:
            return None
        unwrap = lambda opt: getattr(opt, "inner_optimizer", opt)
        return {
            "generator_optimizer": keras.optimizers.serialize(unwrap(self.generator_optimizer)),
            "discriminator_optimizer": keras.optimizers.serialize(unwrap(self.discriminator_optimizer)),
            "jit_compile": bool(self.jit_compile),
        }

    def compile_from_config(self, config):
        self.compile(
            generator_optimizer=keras.optimizers.deserialize(config["generator_optimizer"]),
            discriminator_optimizer=keras.optimizers.deserialize(config["discriminator_optimizer"]),
            jit_compile=config.get("jit_compile", False),
        )
        # Build the optimizers now so the saved optimizer state is loaded into them.
        self.build_for_training()

    def get_config(self):
        from dataclasses import asdict

        return {"config": asdict(self.config), "image_shape": list(self.image_shape), "seed": self.seed,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        values = dict(config["config"])
        # ``.keras`` files of earlier releases kept the shape and seed inside the model config
        legacy = {name: values.pop(name) for name in ("image_size", "channels", "seed") if name in values}
        for name in ("learning_rate", "discriminator_learning_rate", "beta_1", "beta_2", "constant_steps",
                     "decay_steps"):
            values.pop(name, None)
        image_shape = config.get("image_shape") or (*legacy["image_size"], legacy.get("channels", 3))
        return cls(cls.config_class.from_dict(values), image_shape=image_shape,
                   seed=config.get("seed", legacy.get("seed", 0)), name=config.get("name"))
