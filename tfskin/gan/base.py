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

Step hooks (``configure_step``; all off by default, and then the step is exactly the plain one): every
discriminator call of a model goes through :meth:`GAN.discriminate`, which augments the discriminator's input
(``tfskin.gan.augment``, with per-example uniform draws from the pipeline, one set per call site), records
sign(D(real)) for ADA's controller and adds R1 at real inputs during the discriminator's update (lazily: on
TensorFlow on one replica the input gradient is taken only on the steps it is due, see :meth:`GAN._run_with_r1`).
After the generator's update the base updates the generator EMA and, every ``augment.interval`` steps, ADA's p. p, its
accumulators and the EMA weights are non-trainable variables, so checkpoints carry them.
"""

import contextlib
import threading

import keras
import tensorflow as tf
from keras import ops

from tfskin.config import AugmentConfig, ConfigError, EMAConfig, R1Config
from tfskin.errors import BadInputError
from tfskin.gan import augment as augment_lib
from tfskin.gan.image_pool import fold_seed, step_seed
from tfskin.gan.image_pool import stateless_uniform as uniform_from_seed
from tfskin.gan.r1 import logit_sum, output_and_input_gradient, squared_gradient_norm

#: Latent names of the augmentation draws of a discriminator call site: ``augment_<site>``.
AUGMENT_PREFIX = "augment_"
#: ``losses[name + TRACKER_WEIGHT]``: the weight of this step's ``losses[name]`` in its tracker's mean.
TRACKER_WEIGHT = "/weight"
_AUGMENT_FOLD = 1000  # in-step augmentation draws: apart from the image pools' folds (1, 2)


def ema_beta(batch_size, images_seen, halflife_images: float, rampup=None):
    """The EMA decay of one step: 0.5 ** (batch / half-life), the half-life ramped up as
    min(halflife_images, images_seen * rampup) when ``rampup`` is set (StyleGAN2)."""
    halflife = ops.cast(halflife_images, "float32")
    if rampup is not None:
        halflife = ops.minimum(halflife, ops.cast(images_seen, "float32") * rampup)
    return ops.power(0.5, ops.cast(batch_size, "float32") / ops.maximum(halflife, 1e-8))


def _replica_sum(x):
    """The sum of ``x`` over tf.distribute replicas (JAX and one replica: ``x``)."""
    if keras.backend.backend() != "tensorflow":
        return x
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return x
    return context.all_reduce("sum", x)


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
        self.augment_config, self.ema_config, self.r1_config = AugmentConfig(), EMAConfig(), R1Config()
        self.step_batch_size = 1
        self._ema_pairs = []
        # The discriminator phase's R1 terms and sign statistics, per thread: tf.distribute runs each replica's
        # step in its own thread, concurrently.
        self._hook_state = threading.local()

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

    #: Names of the discriminator call sites (``discriminate(..., site=...)``) of one training step; each gets
    #: its own augmentation draws. Models with several discriminators or scales override this.
    discriminator_sites: tuple = ("real", "fake", "generator")

    @classmethod
    def wasserstein_critic(cls, model_config) -> bool:
        """True when the discriminator is a Wasserstein critic (R1 does not apply)."""
        return False

    @classmethod
    def validate_run(cls, run_config):
        """Reject run settings this model cannot train with (raise ``ConfigError``); default: none."""

    def training_callbacks(self, run_config, run_dir, inputs, stream=None) -> list:
        """Keras callbacks this model's training needs beyond the runner's own (stage schedules, panel grids)."""
        return []

    def schedule_notice(self, steps: int, batch_size: int):
        """A warning when ``steps`` end before the model's growth schedule reaches its last stage (staged GANs);
        None otherwise."""
        return None

    def after_restore(self):
        """Called after weights were restored from a checkpoint (staged models re-read their stage)."""

    # --- step hooks: discriminator augmentation, generator EMA, R1 -------------------------------------

    def configure_step(self, augment: AugmentConfig = None, ema: EMAConfig = None, r1: R1Config = None,
                       batch_size: int = 1):
        """Turn on the step hooks a run asks for (call once, after construction and before
        ``build_for_training``); creates ADA's p and accumulators and the EMA copies of the generator's weights
        (from its current weights). ``batch_size``: the global batch (EMA decay and ADA's adjustment speed)."""
        self.augment_config = augment or AugmentConfig()
        self.ema_config = ema or EMAConfig()
        self.r1_config = r1 or R1Config()
        self.step_batch_size = int(batch_size)
        if self.r1_config.enabled and self.wasserstein_critic(self.config):
            raise ConfigError(f"{self.model_name}: R1 is for non-Wasserstein discriminators")
        known = augment_lib.TRANSFORMS + augment_lib.DIFFAUGMENT_TRANSFORMS
        unknown = sorted(set(self.augment_config.disabled) - set(known))
        if unknown:
            raise ConfigError(f"augment.disabled: unknown transform(s) {', '.join(unknown)}; choose from "
                              f"{', '.join(dict.fromkeys(known))}")
        scalar = lambda name, initial=0.0: self.add_weight(
            shape=(), dtype="float32", initializer=keras.initializers.Constant(initial), trainable=False,
            aggregation="only_first_replica", name=name)
        if self.augment_config.enabled:
            # diffaugment: every transform always (p = 1); ada: p starts at 0 and follows the controller
            self.ada_p = scalar("ada_p", 1.0 if self.augment_config.kind == "diffaugment" else 0.0)
            self.ada_rt = scalar("ada_rt")
            self.ada_sign_sum = scalar("ada_sign_sum")
            self.ada_count = scalar("ada_count")
        if self.r1_config.enabled:
            self.trackers["r1_penalty"] = keras.metrics.Mean(name="r1_penalty")
        if self.ema_config.enabled:
            pairs = []
            for i, variable in enumerate(self.generator_weights):
                initial = ops.convert_to_numpy(variable)
                shadow = self.add_weight(shape=variable.shape, dtype=variable.dtype, trainable=False,
                                         initializer=lambda shape, dtype=None, value=initial: value,
                                         aggregation="only_first_replica", name=f"ema_{i}")
                setattr(self, f"ema_{i}", shadow)  # an attribute each: how tf.train.Checkpoint finds a variable
                pairs.append((variable, shadow))
            self._ema_pairs = pairs

    @property
    def ema_weights(self) -> list:
        """The EMA copies of ``generator_weights`` (empty without EMA)."""
        return [shadow for _, shadow in self._ema_pairs]

    @property
    def generator_weights(self) -> list:
        """Every weight of the generator networks, trainable or not (what the EMA copies)."""
        return [v for net in self.generator_networks for v in net.weights]

    def training_latent_spec(self) -> dict:
        """``latent_spec()`` plus the per-example uniform draws of every augmented discriminator call site."""
        spec = dict(self.latent_spec())
        if self.augment_config.enabled:
            draws = augment_lib.num_draws(self.augment_config.kind)
            for site in self.discriminator_sites:
                spec[AUGMENT_PREFIX + site] = ((draws,), "uniform")
        return spec

    def discriminate(self, network, x, batch, site: str, *, real: bool = False, color_channels=(0, 3),
                     score=None):
        """``network(x)`` as training wants it: every discriminator call of a model goes through here.

        ``site``: one of ``discriminator_sites`` (its augmentation draws; calls whose inputs must be transformed
        alike, e.g. feature matching's real and fake, share a site); ``x``: the discriminator's whole input
        (B, H, W, C), conditioning channels included; ``color_channels``: (start, stop) of its RGB channels
        (None: no colour transforms); geometric transforms move every channel, colour transforms only those;
        ``real``: x holds real images (R1 and ADA's sign statistics, in the discriminator's update only);
        ``score``: the output -> the real/fake score(s) centred on the decision boundary (default: the output
        itself, logits; LSGAN models pass ``out - 0.5``)."""
        if self.augment_config.enabled:
            draws, kind = self._augment_draws(batch, site, x), self.augment_config.kind
            disabled = tuple(self.augment_config.disabled)
            run = lambda inputs: network(augment_lib.augment(inputs, draws, self.ada_p.value, kind,
                                                             color_channels=color_channels, disabled=disabled))
        else:
            run = network
        score = score or (lambda out: out)
        records = getattr(self._hook_state, "records", None) if real else None
        if records is not None and self.r1_config.enabled:
            out, penalty = self._run_with_r1(run, ops.cast(x, "float32"), score)
            records["r1"].append(penalty)
        else:
            out = run(x)
        if records is not None and self.augment_config.enabled:
            scores = score(out)
            scores = scores if isinstance(scores, (list, tuple)) else [scores]
            records["signs"].append(sum(ops.sum(ops.sign(ops.cast(ops.stop_gradient(s), "float32"))) for s in scores))
            records["count"].append(sum(ops.cast(ops.size(s), "float32") for s in scores))
        return out

    def r1_due(self):
        """True (a boolean tensor) on the steps whose discriminator update adds R1: every ``r1.interval`` steps."""
        return ops.equal(ops.mod(self.train_step_counter.value, self.r1_config.interval), 0)

    def _run_with_r1(self, run, x, score):
        """``(run(x), R1's squared gradient norm at x)``, the norm taken only when due (lazy regularisation).

        TensorFlow on one replica: the discriminator runs on every step; its input gradient (and so the
        second-order backward pass of the update) only on due steps, under a ``tf.cond`` on :meth:`r1_due`; the
        norm is 0 in between. Elsewhere the gradient is taken on every step and weighted 0 off-interval by
        ``discriminator_step_losses`` (the same numbers, no saving): under tf.distribute with several replicas
        the backward pass of synchronized BatchNorm all-reduces, which a cond branch may not do; on JAX
        ``jax.vjp`` runs the forward and backward pass together, and the forward pass updates discriminator
        state (BatchNorm statistics) in the stateless step's scope, which a ``lax.cond`` would have to carry
        out of both branches."""
        lazy = (keras.backend.backend() == "tensorflow" and self.r1_config.interval > 1
                and self._num_replicas() == 1)
        out, grad = output_and_input_gradient(run, x, lambda o: logit_sum(score(o)),
                                              when=self.r1_due() if lazy else None)
        return out, squared_gradient_norm(grad)

    def _augment_draws(self, batch, site, x):
        """The site's (B, num_draws) uniform draws: from the batch when the input object adds them
        (``training_latent_spec``), else drawn here from (seed, step, site), statelessly (resume-exact)."""
        if AUGMENT_PREFIX + site in batch:
            return batch[AUGMENT_PREFIX + site]
        seed = fold_seed(fold_seed(step_seed(self.seed, self.train_step_counter.value), _AUGMENT_FOLD),
                         self.discriminator_sites.index(site) + 1)
        return uniform_from_seed((ops.shape(x)[0], augment_lib.num_draws(self.augment_config.kind)), seed)

    def discriminator_step_losses(self, batch, fakes) -> dict:
        """``discriminator_losses`` as the training step uses it: with R1 added to ``d_loss`` (when due) and
        the sign statistics ADA's controller needs (``ada_signs``, ``ada_count``) when the hooks are on."""
        records = self._hook_state.records = {"r1": [], "signs": [], "count": []}
        try:
            losses = dict(self.discriminator_losses(batch, fakes))
        finally:
            self._hook_state.records = None
        if records["r1"]:
            penalty = sum(records["r1"])
            cfg = self.r1_config
            due = self.r1_due()
            weight = ops.where(due, 0.5 * cfg.gamma * cfg.interval, 0.0)
            losses["d_loss"] = losses["d_loss"] + ops.cast(weight, "float32") * penalty
            losses["r1_penalty"] = penalty
            losses["r1_penalty" + TRACKER_WEIGHT] = ops.cast(due, "float32")  # logged as the mean over due steps
        if records["signs"]:
            losses["ada_signs"] = sum(records["signs"])
            losses["ada_count"] = sum(records["count"])
        return losses

    def finish_step(self, losses: dict):
        """After both updates: the generator EMA, ADA's accumulators and p, then the step counter."""
        step = self.train_step_counter.value
        if self._ema_pairs:
            cfg = self.ema_config
            beta = ema_beta(self.step_batch_size, ops.cast(step, "float32") * self.step_batch_size,
                            cfg.halflife_images, cfg.rampup)
            for variable, shadow in self._ema_pairs:
                if variable.trainable:
                    value = ops.cast(variable.value, shadow.dtype)
                    shadow.assign(value + (shadow.value - value) * ops.cast(beta, shadow.dtype))
                else:  # BatchNorm statistics and other state: copied (StyleGAN2 copies buffers)
                    shadow.assign(variable.value)
        if self.augment_config.kind == "ada" and "ada_signs" in losses:
            cfg = self.augment_config
            signs = self.ada_sign_sum.value + _replica_sum(losses["ada_signs"])
            count = self.ada_count.value + _replica_sum(losses["ada_count"])
            due = ops.equal(ops.mod(step + 1, cfg.interval), 0)
            controller = augment_lib.AdaController(target=cfg.target, interval=cfg.interval,
                                                   speed_images=cfg.speed_images, max_p=cfg.max_p)
            new_p = controller.next_p(self.ada_p.value, signs, count, self.step_batch_size)
            self.ada_p.assign(ops.where(due, ops.cast(new_p, "float32"), self.ada_p.value))
            self.ada_rt.assign(ops.where(due, signs / ops.maximum(count, 1.0), self.ada_rt.value))
            self.ada_sign_sum.assign(ops.where(due, 0.0, signs))
            self.ada_count.assign(ops.where(due, 0.0, count))
        self.train_step_counter.assign_add(1)

    def step_logs(self, losses: dict) -> dict:
        """The trackers' results (and ADA's p and last r_t when augmenting)."""
        logs = self._track(losses)
        if self.augment_config.enabled:
            logs["ada_p"] = ops.convert_to_tensor(self.ada_p.value)
            logs["ada_rt"] = ops.convert_to_tensor(self.ada_rt.value)
        return logs

    @contextlib.contextmanager
    def inference_weights(self, raw: bool = False):
        """Within the block the generator holds its EMA weights (when the model keeps them and not ``raw``),
        afterwards its trained weights again: for sample grids and exports during training."""
        if raw or not self._ema_pairs:
            yield self
            return
        saved = [ops.convert_to_numpy(v) for v, _ in self._ema_pairs]
        self.load_ema_weights()
        try:
            yield self
        finally:
            for (variable, _), value in zip(self._ema_pairs, saved):
                variable.assign(value)

    def load_ema_weights(self):
        """Put the EMA weights into the generator (for a model loaded to sample or export; a no-op without EMA),
        with BatchNorm statistics re-estimated for them (:meth:`recalibrate_batch_norm`)."""
        for variable, shadow in self._ema_pairs:
            variable.assign(ops.convert_to_numpy(shadow))
        if self._ema_pairs:
            self.recalibrate_batch_norm()

    def batch_norm_inputs(self, num: int):
        """Inputs (a list) of the one generator network for :meth:`recalibrate_batch_norm`, ``num`` of them
        drawn from a fixed seed; None (the default): the model's generator statistics are left as they are."""
        return None

    def recalibrate_batch_norm(self, num: int = 512):
        """Set each BatchNorm layer of the generator to the mean and variance of its own inputs on ``num`` fixed
        generator inputs, layer after layer in inference mode (what the inference path then sees).

        The EMA generator needs this: its weights are an average, and the raw generator's moving statistics (which
        the EMA copies) describe the raw weights' activations, not the average's. Without it a DCGAN's EMA samples
        were measurably less varied than its raw ones (``scripts/bench_augment.py``). A no-op for models without
        ``batch_norm_inputs`` or without BatchNorm in the generator."""
        inputs = self.batch_norm_inputs(num)
        if inputs is None or len(self.generator_networks) != 1:
            return
        network = self.generator_networks[0]
        norms = [layer for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization)]
        for layer in norms:  # in topological order: each sees the earlier layers' new statistics
            x = ops.cast(keras.Model(network.inputs, layer.input)(inputs, training=False), "float32")
            axis = layer.axis % len(x.shape)
            axes = [i for i in range(len(x.shape)) if i != axis]
            layer.moving_mean.assign(ops.cast(ops.mean(x, axis=axes), layer.moving_mean.dtype))
            layer.moving_variance.assign(ops.cast(ops.var(x, axis=axes), layer.moving_variance.dtype))

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
            losses = self.discriminator_step_losses(batch, fakes)
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
        self.finish_step(d_losses)
        return self.step_logs({**d_losses, **g_losses})

    def _track(self, losses: dict) -> dict:
        for name, tracker in self.trackers.items():
            if name in losses:
                tracker.update_state(losses[name], sample_weight=losses.get(name + TRACKER_WEIGHT))
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

        config = {"config": asdict(self.config), "image_shape": list(self.image_shape), "seed": self.seed,
                  "name": self.name}
        if self.augment_config.enabled or self.ema_config.enabled or self.r1_config.enabled:
            config["step"] = {"augment": self.augment_config.to_dict(), "ema": self.ema_config.to_dict(),
                              "r1": self.r1_config.to_dict(), "batch_size": self.step_batch_size}
        return config

    @classmethod
    def from_config(cls, config):
        values = dict(config["config"])
        # ``.keras`` files of earlier releases kept the shape and seed inside the model config
        legacy = {name: values.pop(name) for name in ("image_size", "channels", "seed") if name in values}
        for name in ("learning_rate", "discriminator_learning_rate", "beta_1", "beta_2", "constant_steps",
                     "decay_steps"):
            values.pop(name, None)
        image_shape = config.get("image_shape") or (*legacy["image_size"], legacy.get("channels", 3))
        model = cls(cls.config_class.from_dict(values), image_shape=image_shape,
                    seed=config.get("seed", legacy.get("seed", 0)), name=config.get("name"))
        if "step" in config:
            step = config["step"]
            model.configure_step(AugmentConfig.from_dict(step["augment"]), EMAConfig.from_dict(step["ema"]),
                                 R1Config.from_dict(step["r1"]), batch_size=step["batch_size"])
        return model
