"""CycleGAN as a tfskin GAN: G: A -> B, F: B -> A, discriminators D_A, D_B, two image pools."""

import keras
import tensorflow as tf
from keras import ops

from tfskin import losses
from tfskin.errors import BadInputError, ConfigError
from tfskin.gan.image_pool import ImagePool, fold_seed, step_seed
from tfskin.gan.image_to_image import ImageToImageGAN
from tfskin.models.cyclegan.config import CycleGANConfig
from tfskin.models.cyclegan.networks import build_discriminator, build_generator


def _to_unit(x):
    return (ops.cast(x, "float32") + 1.0) / 2.0


def _from_unit(x):
    return ops.cast(x, "float32") * 2.0 - 1.0


@keras.saving.register_keras_serializable(package="tfskin")
class CycleGAN(ImageToImageGAN):
    """Unpaired translation between domains A and B (Zhu et al. 2017).

    Batches hold ``images_a`` and ``images_b`` (B, H, W, 3) in [-1, 1], unpaired. Losses: LSGAN for both
    directions, ``lambda_cycle`` x L1 cycle consistency both ways, ``lambda_identity * lambda_cycle`` x L1
    identity (G(b) ~ b, F(a) ~ a). Each discriminator is trained on fakes drawn from a 50-image history pool and
    its LSGAN loss is halved, as in the reference code. ``call`` translates [0, 1] images A -> B (or B -> A).
    """

    config_class = CycleGANConfig
    panel_prefix = "cycle"
    inference_hint = ("it translates images: use `tfskin translate`, the translate_a_to_b signature of its export, "
                      "or give its translations as folder:PATH")
    loss_names = ("d_loss", "g_loss", "d_a", "d_b", "g_adv", "cycle", "identity")

    def __init__(self, config: CycleGANConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.generator_ab = build_generator(config, self.image_shape, "generator_ab")
        self.generator_ba = build_generator(config, self.image_shape, "generator_ba")
        self.discriminator_a = build_discriminator(config, self.image_shape, "discriminator_a")
        self.discriminator_b = build_discriminator(config, self.image_shape, "discriminator_b")
        self.pool_a = ImagePool(config.pool_size, self.image_shape, dtype="float32", name="pool_a")
        self.pool_b = ImagePool(config.pool_size, self.image_shape, dtype="float32", name="pool_b")

    @property
    def generator_networks(self):
        return [self.generator_ab, self.generator_ba]

    @property
    def discriminator_networks(self):
        return [self.discriminator_a, self.discriminator_b]

    # --- the run: two domains (``tfskin.inputs.unpaired``) instead of the run's images --------------------

    input_kind = "unpaired_domains"

    @classmethod
    def validate_run(cls, run_config):
        if run_config.data.classes:
            raise ConfigError("cyclegan: choose the domains with --domain-a/--domain-b, not --classes")

    def example_batch(self, batch_size=2):
        zeros = ops.zeros((batch_size, *self.image_shape))
        return {"images_a": zeros, "images_b": zeros}

    # --- the training step's parts -----------------------------------------------------------------------

    def generate(self, batch, training=False):
        real_a, real_b = batch["images_a"], batch["images_b"]
        fake_b = self.generator_ab(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        fakes = {
            "fake_a": fake_a,
            "fake_b": fake_b,
            "rec_a": self.generator_ba(fake_b, training=training),
            "rec_b": self.generator_ab(fake_a, training=training),
        }
        if self.config.lambda_identity > 0:
            fakes["same_a"] = self.generator_ba(real_a, training=training)
            fakes["same_b"] = self.generator_ab(real_b, training=training)
        if training:
            # What the discriminators are trained on: the fakes passed through the history pools, drawn from
            # (seed, step) so a resumed run makes the same choices (on either backend; the draws differ between
            # TensorFlow and JAX).
            seed = step_seed(self.seed, self.train_step_counter)
            fakes["pooled_a"] = self.pool_a(ops.stop_gradient(fake_a), fold_seed(seed, 1))
            fakes["pooled_b"] = self.pool_b(ops.stop_gradient(fake_b), fold_seed(seed, 2))
        return fakes

    discriminator_sites = ("a_real", "a_fake", "b_real", "b_fake", "generator_a", "generator_b")

    def _judge(self, domain, images, batch, site, real=False):
        """Discriminator ``domain`` (a or b) on RGB images; LSGAN's decision boundary is 0.5."""
        network = self.discriminator_a if domain == "a" else self.discriminator_b
        return self.discriminate(lambda x: network(x, training=True), images, batch, site, real=real,
                                 score=lambda out: out - 0.5)

    def discriminator_losses(self, batch, fakes):
        pooled_a = fakes.get("pooled_a", fakes["fake_a"])
        pooled_b = fakes.get("pooled_b", fakes["fake_b"])
        d_a = losses.lsgan_discriminator_loss(self._judge("a", batch["images_a"], batch, "a_real", real=True),
                                              self._judge("a", pooled_a, batch, "a_fake"))
        d_b = losses.lsgan_discriminator_loss(self._judge("b", batch["images_b"], batch, "b_real", real=True),
                                              self._judge("b", pooled_b, batch, "b_fake"))
        return {"d_loss": d_a + d_b, "d_a": d_a, "d_b": d_b}

    def generator_losses(self, batch, fakes):
        real_a, real_b = batch["images_a"], batch["images_b"]
        cfg = self.config
        g_adv = (losses.lsgan_generator_loss(self._judge("b", fakes["fake_b"], batch, "generator_b"))
                 + losses.lsgan_generator_loss(self._judge("a", fakes["fake_a"], batch, "generator_a")))
        cycle = (losses.cycle_consistency_loss(real_a, fakes["rec_a"])
                 + losses.cycle_consistency_loss(real_b, fakes["rec_b"]))
        identity = ops.zeros(())
        if cfg.lambda_identity > 0:
            identity = (losses.identity_loss(real_a, fakes["same_a"]) + losses.identity_loss(real_b, fakes["same_b"]))
        g_loss = g_adv + cfg.lambda_cycle * cycle + cfg.lambda_cycle * cfg.lambda_identity * identity
        return {"g_loss": g_loss, "g_adv": g_adv, "cycle": cycle, "identity": identity}

    # --- inference -----------------------------------------------------------------------------------------

    def call(self, images, direction="a_to_b", training=False):
        """Translate (B, H, W, 3) images in [0, 1]: ``direction`` "a_to_b" (G) or "b_to_a" (F) -> {"image"}."""
        if direction not in ("a_to_b", "b_to_a"):
            raise BadInputError(f"direction must be a_to_b or b_to_a, got {direction!r}")
        net = self.generator_ab if direction == "a_to_b" else self.generator_ba
        return {"image": _to_unit(net(_from_unit(images), training=training))}

    def translate(self, images, direction="a_to_b", batch_size: int = 64):
        """NumPy convenience: uint8 or [0, 1] images -> [0, 1] float32 translations, in batches."""
        import numpy as np

        images = np.asarray(images)
        if images.dtype == np.uint8:
            images = images.astype("float32") / 255.0
        parts = [ops.convert_to_numpy(self(images[i:i + batch_size], direction=direction)["image"])
                 for i in range(0, len(images), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, *images.shape[1:]), "float32")

    def preview(self, inputs):
        """The grid's images: the fixed A inputs translated to B (compared with real B by the colour curve)."""
        return {"image": _to_unit(self.generator_ab(inputs["images_a"], training=False))}

    def cycle_panels(self, inputs) -> dict:
        """[0, 1] arrays for the cycle grid: real, translated and reconstructed images of both domains."""
        fakes = self.generate(inputs, training=False)
        out = {"real_a": _to_unit(inputs["images_a"]), "fake_b": _to_unit(fakes["fake_b"]),
               "rec_a": _to_unit(fakes["rec_a"]), "real_b": _to_unit(inputs["images_b"]),
               "fake_a": _to_unit(fakes["fake_a"]), "rec_b": _to_unit(fakes["rec_b"])}
        return {k: ops.convert_to_numpy(v) for k, v in out.items()}

    def panels(self, inputs) -> list:
        """Two groups per row: A | A->B | A->B->A, then B | B->A | B->A->B."""
        p = self.cycle_panels(inputs)
        return [[p["real_a"], p["fake_b"], p["rec_a"]], [p["real_b"], p["fake_a"], p["rec_b"]]]

    def export_signatures(self):
        """``translate_a_to_b`` / ``translate_b_to_a``: ``image`` float32 (B, H, W, 3) in [0, 1] at any size ->
        ``image`` (B, H, W, 3) in [0, 1] at the input's own size, and ``image_png_bytes``. The generators are
        fully convolutional: inputs are reflect-padded to a multiple of 2**downsamplings and the output cropped
        back (at the training size nothing is padded). Memory grows with H x W (activations of the ResNet
        blocks); the ``_png`` variants take ``image_png`` (B,) PNG bytes of one size and return only
        ``image_png_bytes``, for REST clients."""
        from tfskin.serving.signatures import _png_batch, pad_to_multiple

        multiple = 2 ** self.config.downsamplings
        spec = tf.TensorSpec([None, None, None, 3], tf.float32, name="image")
        png_spec = tf.TensorSpec([None], tf.string, name="image_png")

        def run(image, direction):
            padded, h, w = pad_to_multiple(tf.cast(image, tf.float32), multiple)
            out = tf.cast(self(padded, direction=direction, training=False)["image"], tf.float32)
            return out[:, :h, :w, :]

        def endpoint(direction):
            def translate(image):
                out = run(image, direction)
                return {"image": out, "image_png_bytes": _png_batch(out)}
            return translate

        def png_endpoint(direction):
            def translate_png(image_png):
                decode = lambda data: tf.cast(tf.io.decode_png(data, channels=3), tf.float32) / 255.0
                images = tf.map_fn(decode, image_png, fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32))
                return {"image_png_bytes": _png_batch(run(images, direction))}
            return translate_png

        return {"translate_a_to_b": (endpoint("a_to_b"), [spec]), "translate_b_to_a": (endpoint("b_to_a"), [spec]),
                "translate_a_to_b_png": (png_endpoint("a_to_b"), [png_spec]),
                "translate_b_to_a_png": (png_endpoint("b_to_a"), [png_spec])}
