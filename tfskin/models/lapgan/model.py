"""LAPGAN as a tfskin staged GAN: one GAN per pyramid level, trained jointly or level by level."""

import keras
from keras import ops

from tfskin import losses
from tfskin.gan.base import images_and_mask
from tfskin.gan.noise_to_image import NoiseToImageGAN
from tfskin.gan.staged import Phase, StagedGAN, StageSchedule
from tfskin.layers.progressive import downsample, track_for_checkpoints
from tfskin.models.lapgan.config import LAPGANConfig
from tfskin.models.lapgan.networks import build_level, build_level0


def blur_upsample(x):
    """The pyramid's expand step: bilinear 2x upsampling (a blurred enlargement)."""
    shape = ops.shape(x)
    return ops.image.resize(x, (shape[1] * 2, shape[2] * 2), interpolation="bilinear")


@keras.saving.register_keras_serializable(package="tfskin")
class LAPGAN(NoiseToImageGAN, StagedGAN):
    """Laplacian pyramid GAN; ``call`` runs the whole pyramid (level 0, the residual levels, and the reused
    last level)."""

    config_class = LAPGANConfig

    def __init__(self, config: LAPGANConfig, **kwargs):
        names = ["d_loss", "g_loss"]
        for k in range(config.num_levels):
            names += [f"d_loss_level{k}", f"g_loss_level{k}"]
        self.loss_names = tuple(names)
        super().__init__(config, **kwargs)
        g0, d0 = build_level0(config, self.image_shape)
        self.generators, self.discriminators = [g0], [d0]
        for k in range(1, config.num_levels):
            g, d = build_level(config, k, self.image_shape)
            self.generators.append(g)
            self.discriminators.append(d)
        track_for_checkpoints(self, self.generators + self.discriminators)
        self.discriminator_sites = tuple(f"level{k}_{part}" for k in range(config.num_levels)
                                         for part in ("real", "fake", "generator"))

    # --- which levels train when ---
    def _phases(self):
        """Level sets per stage: one stage with every trained level (joint) or one stage per level."""
        levels = self.config.levels_trained
        return [levels] if self.config.level_schedule == "joint" else [(k,) for k in levels]

    @property
    def active_levels(self) -> tuple:
        return self._phases()[min(self.current_stage, len(self._phases()) - 1)]

    def stage_schedule(self, batch_size):
        phases = self._phases()
        if len(phases) == 1:
            return StageSchedule([Phase(0, 0, 1, name=f"levels {','.join(map(str, phases[0]))}")])
        steps = max(1, -(-self.config.level_images // batch_size))
        return StageSchedule([Phase(i, 0, steps, name=f"level {levels[0]}") for i, levels in enumerate(phases)])

    def schedule_scalars(self):
        out = super().schedule_scalars()
        out["level"] = float(self.active_levels[0]) if len(self.active_levels) == 1 else -1.0
        return out

    @property
    def generator_networks(self):
        return list(self.generators)

    @property
    def discriminator_networks(self):
        return list(self.discriminators)

    @property
    def generator_variables(self):
        return [v for k in self.active_levels for v in self.generators[k].trainable_variables]

    @property
    def discriminator_variables(self):
        return [v for k in self.active_levels for v in self.discriminators[k].trainable_variables]

    # --- data ---
    def latent_spec(self):
        spec = super().latent_spec()
        for k in range(1, self.config.num_levels):
            spec[f"noise_level{k}"] = ((*self.config.resolution(k, self.image_size), self.config.noise_channels),
                                       "normal")
        return spec

    def real_pyramid(self, images) -> list:
        """Real images at every level's resolution (box-filter downsampling from the data size)."""
        x = ops.cast(ops.convert_to_tensor(images), "float32")
        return [downsample(x, 2 ** (self.config.top_level - k)) for k in range(self.config.num_levels)]

    def generate(self, batch, training=False):
        """Each active level's fake: level 0 an image from noise; level k a residual on the upsampled *real*
        level k-1 (levels train independently, as in Denton et al.)."""
        pyramid = self.real_pyramid(batch["images"])
        fakes = {}
        for k in self.active_levels:
            if k == 0:
                fakes["level0"] = self.generators[0](ops.convert_to_tensor(batch["noise"]), training=training)
            else:
                low = blur_upsample(pyramid[k - 1])
                fakes[f"level{k}"] = self.generators[k]([low, ops.convert_to_tensor(batch[f"noise_level{k}"])],
                                                        training=training)
        return fakes

    def _real_and_condition(self, pyramid, k):
        if k == 0:
            return pyramid[0], None
        low = blur_upsample(pyramid[k - 1])
        return pyramid[k] - low, low

    def _discriminate(self, k, x, low, batch, part, real=False):
        """Level k's discriminator on an image (level 0) or a residual with its low-pass condition, augmented
        together as one input: geometric transforms move both, colour transforms apply to level 0's image only
        (a residual's colours are differences, not colours)."""
        site = f"level{k}_{part}"
        if low is None:
            return self.discriminate(lambda v: self.discriminators[k](v, training=True), x, batch, site, real=real)
        c = x.shape[-1]
        joined = ops.concatenate([ops.cast(x, "float32"), ops.cast(low, "float32")], axis=-1)
        return self.discriminate(lambda v: self.discriminators[k]([v[..., :c], v[..., c:]], training=True), joined,
                                 batch, site, real=real, color_channels=None)

    def discriminator_losses(self, batch, fakes):
        pyramid = self.real_pyramid(batch["images"])
        out, total = {}, 0.0
        for k in self.active_levels:
            real, low = self._real_and_condition(pyramid, k)
            loss = losses.nonsaturating_discriminator_loss(
                self._discriminate(k, real, low, batch, "real", real=True),
                self._discriminate(k, fakes[f"level{k}"], low, batch, "fake"))
            out[f"d_loss_level{k}"] = loss
            total = total + loss
        out["d_loss"] = total
        return out

    def generator_losses(self, batch, fakes):
        pyramid = self.real_pyramid(batch["images"])
        out, total = {}, 0.0
        for k in self.active_levels:
            _, low = self._real_and_condition(pyramid, k)
            loss = losses.nonsaturating_generator_loss(self._discriminate(k, fakes[f"level{k}"], low, batch,
                                                                          "generator"))
            out[f"g_loss_level{k}"] = loss
            total = total + loss
        out["g_loss"] = total
        return out

    # --- inference: the whole pyramid ---
    def residual_noise_shapes(self) -> list:
        """Shapes (H, W, C) of the noise planes of the residual steps (levels 1.., then the reused level)."""
        return [(*self.config.resolution(k, self.image_size), self.config.noise_channels)
                for k in range(1, self.config.top_level + 1)]

    def call(self, noise, level_noise=None, training=False):
        """noise (B, latent_dim) [, list of noise planes per residual step] -> {image [0, 1], mask?}.
        Without planes they are derived statelessly from each example's noise vector (so the exported
        ``generate(noise)`` is a pure function of its input)."""
        from tfskin.serving.signatures import noise_derived_planes

        noise = ops.convert_to_tensor(noise)
        if level_noise is None:
            level_noise = noise_derived_planes(noise, self.residual_noise_shapes())
        image = self.generators[0](noise, training=training)
        for step in range(1, self.config.top_level + 1):
            generator = self.generators[min(step, self.config.num_levels - 1)]
            low = blur_upsample(image)
            image = low + generator([low, ops.convert_to_tensor(level_noise[step - 1])], training=training)
        return images_and_mask(image, self.channels)
