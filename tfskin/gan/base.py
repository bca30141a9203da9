"""The one GAN base model: the training-step template every tfskin GAN uses.

A subclass creates its networks and supplies four things:

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


def images_and_mask(generated, channels: int) -> dict:
    """Generator output in [-1, 1] -> {"image": (B, H, W, 3) in [0, 1] [, "mask": (B, H, W, 1)]}, float32."""
    out = ops.clip((ops.cast(generated, "float32") + 1.0) / 2.0, 0.0, 1.0)
    result = {"image": out[..., :3]}
    if channels == 4:
        result["mask"] = out[..., 3:]
    return result


class GAN(keras.Model):
    """Base class of every tfskin GAN (see the module docstring for the contract)."""

    #: Names of the losses the subclass returns; each gets a ``keras.metrics.Mean`` tracker.
    loss_names: tuple = ("d_loss", "g_loss")

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.seed_generator = keras.random.SeedGenerator(getattr(config, "seed", 0))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}
        self.train_step_counter = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="train_step_counter",
        )
        self.generator_optimizer = None
        self.discriminator_optimizer = None

    # --- what subclasses provide -------------------------------------------------------------------------

    @property
    def generator_networks(self) -> list:
        return [self.generator]

    @property
    def discriminator_networks(self) -> list:
        return [self.discriminator]

    def latent_spec(self) -> dict:
        """Per-example random inputs the pipeline must add to each batch: name -> (shape, kind).

        kind is "normal" (standard normal float32) or ("categorical", num_classes, prior) for labels.
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

    def preview_inputs(self, examples, num: int, seed: int) -> dict:
        """The fixed input batch of the sample grids (identical across resumes). Default: latents drawn from
        ``latent_spec()``; image-to-image models override this to take real images from ``examples``."""
        from tfskin.data.pipeline import draw_latents

        return draw_latents(self.latent_spec(), num, tf.constant([seed, -1], tf.int64))

    def preview(self, inputs: dict) -> dict:
        """Outputs shown in the sample grid: ``image`` (N, H, W, 3) in [0, 1] [and ``mask``]."""
        return self(**inputs)

    def sample(self, num: int, seed=None, **kwargs) -> dict:
        """``num`` samples of a noise-to-image model's inference path, as NumPy arrays in [0, 1]. Conditional and
        image-to-image models override this."""
        seed = self.seed_generator if seed is None else seed
        noise = keras.random.normal((num, self.config.latent_dim), seed=seed)
        return {k: ops.convert_to_numpy(v) for k, v in self(noise).items()}

    def export_signatures(self) -> dict:
        """Named serving endpoints, name -> (function, input specs); default: ``generate(noise)``."""
        from tfskin.serving.signatures import noise_to_image_signature

        return noise_to_image_signature(self, "generate")

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
        if keras.config.dtype_policy().name == "mixed_float16":
            if not isinstance(generator_optimizer, keras.optimizers.LossScaleOptimizer):
                generator_optimizer = keras.optimizers.LossScaleOptimizer(generator_optimizer)
            if not isinstance(discriminator_optimizer, keras.optimizers.LossScaleOptimizer):
                discriminator_optimizer = keras.optimizers.LossScaleOptimizer(discriminator_optimizer)
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
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

    def train_step(self, batch):
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

        return {"config": asdict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        model_config = cls.config_class.from_dict(config["config"])
        return cls(model_config, name=config.get("name"))


# --- staged training: progressive growing, phase-frozen growing, LAPGAN level by level -----------------------

class Phase:
    """One phase of a stage schedule: train ``stage`` for ``transition_steps`` steps while the fade-in alpha
    rises linearly from 1/transition_steps to 1 (none when 0), then ``stable_steps`` steps at alpha 1."""

    def __init__(self, stage: int, transition_steps: int = 0, stable_steps: int = 0, name: str = None):
        if transition_steps < 0 or stable_steps < 0:
            raise ValueError("phase lengths must be >= 0")
        self.stage, self.transition_steps, self.stable_steps = int(stage), int(transition_steps), int(stable_steps)
        self.name = name or f"stage {stage}"

    @property
    def steps(self) -> int:
        return self.transition_steps + self.stable_steps

    def __repr__(self):
        return (f"Phase({self.name!r}, stage={self.stage}, transition_steps={self.transition_steps}, "
                f"stable_steps={self.stable_steps})")


class StageSchedule:
    """An explicit, pure schedule: step -> (stage, alpha). ``step`` is the number of steps already taken (the
    index of the step about to run). After the last phase the last stage continues at alpha 1."""

    def __init__(self, phases):
        self.phases = tuple(phases)
        if not self.phases:
            raise ValueError("a stage schedule needs at least one phase")

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.phases)

    def boundaries(self) -> list:
        """(first step, phase) for every phase."""
        out, start = [], 0
        for phase in self.phases:
            out.append((start, phase))
            start += phase.steps
        return out

    def phase_at(self, step: int) -> Phase:
        for start, phase in self.boundaries():
            if step < start + phase.steps:
                return phase
        return self.phases[-1]

    def at(self, step: int) -> tuple:
        """(stage, alpha) of the step with index ``step``."""
        step = int(step)
        for start, phase in self.boundaries():
            if step < start + phase.steps:
                into = step - start
                if into < phase.transition_steps:
                    return phase.stage, (into + 1) / phase.transition_steps
                return phase.stage, 1.0
        return self.phases[-1].stage, 1.0

    def __repr__(self):
        return f"StageSchedule({list(self.phases)})"


class StagedGAN(GAN):
    """A GAN whose trained sub-networks and shapes change with a stage (progressive resolution, a LAPGAN
    level). The stage and the fade-in alpha are non-trainable variables, so checkpoints carry them; the Python
    copy of the stage fixes the traced shapes, and a change of stage retraces the train function
    (``tfskin.callbacks.StageScheduler`` drives both from ``stage_schedule(batch_size)`` and the step counter).

    Subclasses implement ``stage_schedule(batch_size)`` and read ``self.current_stage`` (Python int) and
    ``self.alpha`` (variable) in their training code; ``on_stage_change(stage)`` may freeze layers.
    """

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.stage = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                     aggregation="only_first_replica", name="stage")
        self.alpha = self.add_weight(shape=(), dtype="float32", initializer="ones", trainable=False,
                                     aggregation="only_first_replica", name="alpha")
        self._current_stage = 0

    @property
    def current_stage(self) -> int:
        return self._current_stage

    def stage_schedule(self, batch_size: int) -> StageSchedule:
        raise NotImplementedError

    def on_stage_change(self, stage: int):
        """Hook: called when the traced stage changes (e.g. to freeze the layers of earlier stages)."""

    def set_phase(self, stage: int, alpha: float) -> bool:
        """Move to (stage, alpha); returns True when the stage changed (the train function must be retraced)."""
        stage = int(stage)
        self.alpha.assign(float(alpha))
        self.stage.assign(stage)
        if stage == self._current_stage:
            return False
        self._current_stage = stage
        self.on_stage_change(stage)
        return True

    def sync_stage(self):
        """Take the Python stage from the stage variable (after restoring weights)."""
        stage = int(keras.ops.convert_to_numpy(self.stage))
        if stage != self._current_stage:
            self._current_stage = stage
            self.on_stage_change(stage)

    def schedule_scalars(self) -> dict:
        """Scalars TensorBoard shows under ``schedule/``."""
        return {"stage": float(self._current_stage), "alpha": float(keras.ops.convert_to_numpy(self.alpha))}
