"""pix2pixHD as a tfskin GAN: semantic label map [+ instance boundary map] -> lesion image."""

import keras
import tensorflow as tf
from keras import ops

from tfskin import losses
from tfskin.gan.image_to_image import ImageToImageGAN
from tfskin.layers.boundaries import boundary_map
from tfskin.models.pix2pixhd import vgg as vgg_lib
from tfskin.models.pix2pixhd.config import Pix2PixHDConfig
from tfskin.models.pix2pixhd.networks import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="tfskin")
class Pix2PixHD(ImageToImageGAN):
    """Batches hold ``images`` (B, H, W, 3) in [-1, 1], ``label_map`` int (B, H, W, 1) with ids 0..7 and, for
    the instance variant, ``boundary`` (B, H, W, 1) 0/1. Losses: LSGAN summed over the discriminator scales,
    ``lambda_feat`` x feature matching over every block of every scale (weighted 4 / (layers + 1) and averaged
    over scales as in pix2pixHD), optional ``lambda_vgg`` x VGG19 perceptual loss; the discriminator's
    real/fake losses are averaged."""

    config_class = Pix2PixHDConfig
    panel_prefix = "maps"
    inference_hint = ("it synthesizes from label maps: use synthesize(label_maps, instance_maps), `tfskin "
                      "labelmaps`, `tfskin translate --label-maps`, or the synthesize signature of its export")
    loss_names = ("d_loss", "g_loss", "g_gan", "g_feat", "g_vgg", "l1")

    def __init__(self, config: Pix2PixHDConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = build_generator(config, self.image_size)
        self.discriminator = build_discriminator(config, self.image_size)
        weights = vgg_lib.resolve_weights(config.vgg_weights)
        self.vgg = vgg_lib.build_vgg_features(weights, self.image_size) if weights is not None else None

    input_kind = "label_maps"  # tfskin.inputs.label_maps

    def example_batch(self, batch_size=2):
        h, w = self.image_size
        batch = {"images": ops.zeros((batch_size, h, w, 3)), "label_map": ops.zeros((batch_size, h, w, 1), "int32")}
        if self.config.use_instance:
            batch["boundary"] = ops.zeros((batch_size, h, w, 1))
        return batch

    def conditioning(self, label_map, boundary=None):
        """int ids (B, H, W[, 1]) [+ boundary (B, H, W[, 1])] -> float32 (B, H, W, 8[+1])."""
        labels = ops.cast(label_map, "int32")
        if len(labels.shape) == 4:
            labels = labels[..., 0]
        x = ops.one_hot(labels, self.config.label_nc, dtype="float32")
        if self.config.use_instance:
            if boundary is None:
                raise ValueError("this pix2pixHD uses instance maps: pass the boundary map")
            b = ops.cast(boundary, "float32")
            if len(b.shape) == 3:
                b = b[..., None]
            x = ops.concatenate([x, b], axis=-1)
        return x

    def _cond(self, batch):
        return self.conditioning(batch["label_map"], batch.get("boundary"))

    #: "generator": the feature-matching pair (real and fake) shares its draws, so both are transformed alike.
    discriminator_sites = ("real", "fake", "generator")

    def _discriminate(self, cond, images, batch, site, real=False):
        """The multi-scale discriminator on [conditioning, image]: augmentation moves the label map with the
        image (geometric transforms) and changes colours only in the image's channels."""
        x = ops.concatenate([cond, ops.cast(images, "float32")], axis=-1)
        channels = cond.shape[-1]
        return self.discriminate(lambda inputs: self.discriminator(inputs, training=True), x, batch, site,
                                 real=real, color_channels=(channels, channels + 3),
                                 score=lambda out: [scale[-1] - 0.5 for scale in out])

    def generate(self, batch, training=False):
        return {"images": self.generator(self._cond(batch), training=training)}

    def discriminator_losses(self, batch, fakes):
        cond = self._cond(batch)
        real = self._discriminate(cond, batch["images"], batch, "real", real=True)
        fake = self._discriminate(cond, fakes["images"], batch, "fake")
        d_loss = sum(losses.lsgan_discriminator_loss(r[-1], f[-1]) for r, f in zip(real, fake, strict=False))
        return {"d_loss": d_loss}

    def generator_losses(self, batch, fakes):
        cfg = self.config
        cond = self._cond(batch)
        fake = self._discriminate(cond, fakes["images"], batch, "generator")
        real = self._discriminate(cond, batch["images"], batch, "generator")
        g_gan = sum(losses.lsgan_generator_loss(f[-1]) for f in fake)
        feat_weight = 4.0 / (cfg.discriminator_layers + 1)
        g_feat = feat_weight * losses.feature_matching_loss([r[:-1] for r in real], [f[:-1] for f in fake])
        g_loss = g_gan + cfg.lambda_feat * g_feat
        g_vgg = ops.zeros(())
        if self.vgg is not None:
            g_vgg = vgg_lib.vgg_loss(self.vgg, batch["images"], fakes["images"])
            g_loss = g_loss + cfg.lambda_vgg * g_vgg
        # Not trained on; reported so the distance to the target images can be watched.
        l1 = ops.stop_gradient(losses.l1_loss(batch["images"], fakes["images"]))
        return {"g_loss": g_loss, "g_gan": g_gan, "g_feat": g_feat, "g_vgg": g_vgg, "l1": l1}

    # --- inference -----------------------------------------------------------------------------------------

    def call(self, label_map, boundary=None, training=False):
        """label ids (B, H, W[, 1]) [+ boundary map] -> {"image": (B, H, W, 3) in [0, 1]}."""
        out = self.generator(self.conditioning(label_map, boundary), training=training)
        return {"image": (ops.cast(out, "float32") + 1.0) / 2.0}

    def synthesize(self, label_maps, instance_maps=None, batch_size: int = 16):
        """NumPy convenience: int label maps (N, H, W[, 1]) [+ instance maps] -> [0, 1] images (N, H, W, 3)."""
        import numpy as np

        label_maps = np.asarray(label_maps)
        parts = []
        for i in range(0, len(label_maps), batch_size):
            boundary = None
            if self.config.use_instance:
                if instance_maps is None:
                    raise ValueError("this pix2pixHD uses instance maps: pass instance_maps")
                boundary = np.stack([boundary_map(m).numpy() for m in instance_maps[i:i + batch_size]])
            parts.append(ops.convert_to_numpy(self(label_maps[i:i + batch_size], boundary)["image"]))
        return np.concatenate(parts)

    def preview(self, inputs):
        return self(inputs["label_map"], inputs.get("boundary"))

    def panels(self, inputs) -> list:
        """[colour label map, boundary map, synthesis, real image] per example, [0, 1] arrays (the input
        object's preview carries the colour rendering, ``label_map_rgb``)."""
        out = [ops.convert_to_numpy(inputs["label_map_rgb"])]
        if self.config.use_instance:
            out.append(ops.convert_to_numpy(inputs["boundary"]))
        out += [ops.convert_to_numpy(self.preview(inputs)["image"]), ops.convert_to_numpy(inputs["real"])]
        return [out]

    def export_signatures(self):
        """``synthesize``: ``label_map`` int32 (B, H, W) with ids 0..7 [+ ``instance_map`` int32 (B, H, W)] ->
        ``image`` (B, H, W, 3) in [0, 1] and ``image_png_bytes``. The one-hot encoding and the boundary map are
        computed inside, so clients send ids."""
        from tfskin.serving.signatures import _png_batch

        h, w = self.image_size
        label_spec = tf.TensorSpec([None, h, w], tf.int32, name="label_map")

        def finish(image):
            image = tf.cast(image, tf.float32)
            return {"image": image, "image_png_bytes": _png_batch(image)}

        if self.config.use_instance:
            instance_spec = tf.TensorSpec([None, h, w], tf.int32, name="instance_map")

            def synthesize(label_map, instance_map):
                boundary = tf.map_fn(boundary_map, instance_map, fn_output_signature=tf.uint8)
                return finish(self(label_map, boundary, training=False)["image"])

            return {"synthesize": (synthesize, [label_spec, instance_spec])}

        def synthesize_semantic(label_map):
            return finish(self(label_map, training=False)["image"])

        return {"synthesize": (synthesize_semantic, [label_spec])}
