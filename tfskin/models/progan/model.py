"""Progressive GANs as tfskin staged GANs: conditional with fade-in (``progan``) and phase-frozen
(``progan_frozen``)."""

import math

import keras
import tensorflow as tf
from keras import ops

from tfskin import losses
from tfskin.classes import CLASS_NAMES
from tfskin.gan.base import images_and_mask
from tfskin.gan.conditional import ClassConditionalGAN
from tfskin.gan.noise_to_image import NoiseToImageGAN
from tfskin.gan.staged import Phase, StagedGAN, StageSchedule
from tfskin.layers.progressive import downsample, lerp, upsample, upsample2x
from tfskin.models.progan.config import FrozenProGANConfig, ProGANConfig, stage_steps
from tfskin.models.progan.frozen_networks import FrozenGrowthDiscriminator, FrozenGrowthGenerator
from tfskin.models.progan.networks import ProgressiveCritic, ProgressiveGenerator

_MEL = CLASS_NAMES.index("MEL")


def _variables(layer_list):
    return [v for layer in layer_list for v in layer.trainable_variables]


class _ProgressiveMixin:
    """Shared by both variants: real images at the stage's resolution and the switch-based inference path."""

    def _real_at_stage(self, images, fade: bool):
        stage = self.current_stage
        x = downsample(ops.convert_to_tensor(images), 2 ** (self._num_stages - 1 - stage))
        if fade and stage > 0:  # fade the real images too, as the generator's output is faded
            x = lerp(upsample2x(downsample(x, 2)), x, self.alpha)
        return x

    def _at_full_resolution(self, make_image):
        """Run ``make_image(stage)`` for the stage held in the stage variable, upsampled to the full size (one
        graph for every stage, so loaded and exported models follow the variable)."""
        def branch(stage):
            return lambda: upsample(ops.cast(make_image(stage), "float32"), 2 ** (self._num_stages - 1 - stage))

        branches = [branch(s) for s in range(self._num_stages)]
        if len(branches) == 1:
            return branches[0]()
        index = ops.clip(ops.cast(self.stage, "int32"), 0, self._num_stages - 1)
        return ops.switch(index, branches)

    @property
    def generator_variables(self):
        return _variables(self.generator.stage_layers(self.current_stage))

    @property
    def discriminator_variables(self):
        return _variables(self.discriminator.stage_layers(self.current_stage))

    def schedule_scalars(self):
        out = super().schedule_scalars()
        h, w = self.config.resolution(self.current_stage, self.image_size)
        out.update({"resolution_height": float(h), "resolution_width": float(w)})
        return out


@keras.saving.register_keras_serializable(package="tfskin")
class ProGAN(_ProgressiveMixin, ClassConditionalGAN, StagedGAN):
    """Conditional progressive GAN: WGAN-GP + drift + auxiliary class term, fade-in growth."""

    config_class = ProGANConfig
    loss_names = ("d_loss", "g_loss", "wasserstein", "gradient_penalty", "d_class", "g_class")

    def __init__(self, config: ProGANConfig, **kwargs):
        super().__init__(config, **kwargs)
        self._num_stages = config.num_stages
        self.generator = ProgressiveGenerator(config.base_size(self.image_size), config.feature_maps, self.channels,
                                              config.latent_dim, config.num_classes, name="generator")
        self.discriminator = ProgressiveCritic(config.feature_maps, config.num_classes,
                                               config.minibatch_std_group, name="discriminator")
        noise = ops.zeros((2, config.latent_dim))
        one_hot = ops.zeros((2, config.num_classes))
        for s in range(config.num_stages):  # create every stage's weights now (checkpoints hold all of them)
            self.discriminator(self.generator(noise, one_hot, stage=s, alpha=0.5), one_hot, stage=s, alpha=0.5)

    # --- schedule ---
    def stage_schedule(self, batch_size):
        cfg = self.config
        name = lambda s: "x".join(map(str, cfg.resolution(s, self.image_size)))
        phases = [Phase(0, 0, stage_steps(cfg.stabilise_images, batch_size), name=name(0))]
        phases += [Phase(s, stage_steps(cfg.transition_images, batch_size) if cfg.transition_images else 0,
                         stage_steps(cfg.stabilise_images, batch_size), name=name(s))
                   for s in range(1, cfg.num_stages)]
        return StageSchedule(phases)

    # --- data ---
    def latent_spec(self):
        return {**super().latent_spec(), "gp_noise": ((1,), "normal")}  # gradient-penalty mixing weights

    def model_labels(self, labels):
        """Dataset class indices -> this model's classes (label_mode "melanoma": 1 = MEL, 0 = other)."""
        labels = ops.cast(labels, "int32")
        if self.config.label_mode == "melanoma":
            return ops.cast(ops.equal(labels, _MEL), "int32")
        return labels

    def fake_labels(self, batch):
        """The classes the training fakes are made for: the real batch's (``fake_label_prior`` "real") or the
        prior-drawn ``fake_labels`` (see ``ProGANConfig``)."""
        if self.config.fake_label_prior == "real":
            return self.model_labels(batch["labels"])
        return ops.cast(batch["fake_labels"], "int32")

    # --- losses ---
    def generate(self, batch, training=False):
        labels = self.fake_labels(batch)
        image = self.generator(ops.convert_to_tensor(batch["noise"]), self.one_hot(labels),
                               stage=self.current_stage, alpha=self.alpha)
        return {"images": image, "labels": labels}

    discriminator_sites = ("real", "fake", "penalty", "generator")

    @classmethod
    def wasserstein_critic(cls, model_config) -> bool:
        return True

    def _critic(self, images, one_hot, batch, site, real=False):
        network = lambda x: self.discriminator(x, one_hot, stage=self.current_stage, alpha=self.alpha)
        return self.discriminate(network, images, batch, site, real=real, score=lambda out: out[0])

    def discriminator_losses(self, batch, fakes):
        cfg = self.config
        real = self._real_at_stage(batch["images"], fade=True)
        fake = ops.cast(fakes["images"], "float32")
        real_labels, fake_labels = self.model_labels(batch["labels"]), fakes["labels"]
        real_oh, fake_oh = self.one_hot(real_labels), self.one_hot(fake_labels)
        real_score, real_cls = self._critic(real, real_oh, batch, "real", real=True)
        fake_score, fake_cls = self._critic(fake, fake_oh, batch, "fake")
        wasserstein = ops.mean(real_score) - ops.mean(fake_score)
        adversarial = losses.wasserstein_discriminator_loss(real_score, fake_score, drift=cfg.drift_weight)
        # interpolation weights ~ U(0, 1), from the pipeline's stateless normal draws (resume-exact)
        eps = 0.5 * (1.0 + ops.erf(ops.cast(batch["gp_noise"], "float32") / math.sqrt(2.0)))
        mixed = real + ops.reshape(eps, (-1, 1, 1, 1)) * (fake - real)
        penalty = losses.gradient_penalty(_input_gradient(
            lambda x: ops.sum(self._critic(x, real_oh, batch, "penalty")[0]), mixed))
        d_class = (losses.auxiliary_classification_loss(real_labels, real_cls)
                   + losses.auxiliary_classification_loss(fake_labels, fake_cls))
        return {"d_loss": adversarial + cfg.gp_weight * penalty + cfg.class_weight * d_class,
                "wasserstein": wasserstein, "gradient_penalty": penalty, "d_class": d_class}

    def generator_losses(self, batch, fakes):
        fake_score, fake_cls = self._critic(ops.cast(fakes["images"], "float32"), self.one_hot(fakes["labels"]),
                                            batch, "generator")
        g_class = losses.auxiliary_classification_loss(fakes["labels"], fake_cls)
        return {"g_loss": losses.wasserstein_generator_loss(fake_score) + self.config.class_weight * g_class,
                "g_class": g_class}

    # --- inference ---
    def generate_images(self, noise, one_hot, training=False):
        """The stage held in the stage variable (with its alpha), upsampled to the full size."""
        return self._at_full_resolution(lambda s: self.generator(noise, one_hot, stage=s, alpha=self.alpha))


def _input_gradient(score_fn, x):
    """d score_fn(x) / dx, differentiable again (the gradient penalty): a tape on TF, ``jax.grad`` on JAX."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.grad(score_fn)(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = score_fn(x)
    return tape.gradient(score, x)


@keras.saving.register_keras_serializable(package="tfskin")
class FrozenProGAN(_ProgressiveMixin, NoiseToImageGAN, StagedGAN):
    """Phase-frozen progressive GAN: BCE + Adam, earlier phases frozen, no fade-in."""

    config_class = FrozenProGANConfig
    loss_names = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, config: FrozenProGANConfig, **kwargs):
        super().__init__(config, **kwargs)
        self._num_stages = config.num_stages
        self.generator = FrozenGrowthGenerator(config.base_size(self.image_size), config.generator_filters,
                                               self.channels,
                                               config.latent_dim, config.num_stages, name="generator")
        self.discriminator = FrozenGrowthDiscriminator(config.base_size(self.image_size), config.generator_filters,
                                                       config.num_stages, name="discriminator")
        noise = ops.zeros((2, config.latent_dim))
        for s in range(config.num_stages):
            self.discriminator(self.generator(noise, stage=s), stage=s)

    def stage_schedule(self, batch_size):
        steps = stage_steps(self.config.images_per_stage, batch_size)
        return StageSchedule([Phase(s, 0, steps, name="x".join(map(str, self.config.resolution(s, self.image_size))))
                              for s in range(self.config.num_stages)])

    def _judge(self, images, batch, site, real=False):
        return self.discriminate(lambda x: self.discriminator(x, stage=self.current_stage, training=True), images,
                                 batch, site, real=real)

    def generate(self, batch, training=False):
        return {"images": self.generator(ops.convert_to_tensor(batch["noise"]), stage=self.current_stage,
                                         training=training)}

    def discriminator_losses(self, batch, fakes):
        real = self._real_at_stage(batch["images"], fade=False)
        real_logits = self._judge(real, batch, "real", real=True)
        fake_logits = self._judge(fakes["images"], batch, "fake")
        return {"d_loss": losses.nonsaturating_discriminator_loss(real_logits, fake_logits,
                                                                  label_smoothing=self.config.label_smoothing),
                "d_real": ops.mean(ops.sigmoid(real_logits)), "d_fake": ops.mean(ops.sigmoid(fake_logits))}

    def generator_losses(self, batch, fakes):
        fake_logits = self._judge(fakes["images"], batch, "generator")
        return {"g_loss": losses.nonsaturating_generator_loss(fake_logits)}

    def call(self, noise, training=False):
        """noise (B, latent_dim) -> {image [0, 1] at full size (the current phase's output upsampled), mask?}."""
        noise = ops.convert_to_tensor(noise)
        image = self._at_full_resolution(lambda s: self.generator(noise, stage=s, training=False))
        return images_and_mask(image, self.channels)


