"""GAN training-step benchmark on Keras' JAX backend, without TensorFlow: images/s, peak memory and MFU.

Meant for a machine with JAX and a GPU but no TensorFlow (``pip install jax[cuda12] keras``; nothing else of
tfskin's dependencies is needed). Batches are synthetic (random arrays made once on the device: the input
pipeline is not timed). The networks are tfskin's own (``tfskin.models.*.networks``, built from the paper
presets' configs) and the step is tfskin's stateless JAX step (``tfskin/gan/jax_step.py``: G forward once, D
update on the detached fakes, G update through the updated D); the loss terms are the models' own
(``tfskin.losses``), minus what needs extra weights: pix2pixHD without the VGG term. CycleGAN's discriminators
see the fakes through its two history pools (``tfskin/gan/image_pool.py``, ``pool_size`` images: 50 in
paper256; seeded from the step counter as ``tfskin/models/cyclegan/model.py`` does), so its timed step is the
real one. The step, the pool and ``scripts/flops.py`` are loaded by file path, because ``tfskin.gan``'s
package imports TensorFlow.

Cases: DCGAN 64x64 (paper64), CycleGAN 256x256 with ResNet-9 generators and the history pools (paper256),
pix2pixHD global generator with 3 discriminator scales at 512x1024 (paper1024x512_instance), and the
conditional ProGAN's last stage at 256x256 (paper256, benign/melanoma; see below). ``--small`` runs each at
small shapes and widths (the tiny presets), for a CPU check: ``JAX_PLATFORMS=cpu python scripts/bench_gpu.py
--small``.

ProGAN: ``tfskin/models/progan/model.py`` imports TensorFlow, so the bench builds the model's networks
(``ProgressiveGenerator`` / ``ProgressiveCritic`` from ``networks.py``, TF-free) and repeats its loss glue with
the same arithmetic: the stable phase of the last stage (stage num_stages - 1, fade-in alpha a variable held
at 1.0, so the to-RGB / from-RGB branches of the previous resolution still run and are blended with weight 0,
as in the model), real images through the model's stage resampling, WGAN-GP critic loss with the drift term,
the gradient penalty at real/fake interpolates with weights from the pipeline's normal draws (``gp_noise``
through the normal CDF) and the input gradient taken by ``jax.grad`` inside the step (what ``_input_gradient``
does on JAX), the auxiliary class terms on both sides (real labels mapped to benign/melanoma), and the model's
Adam(1e-3, 0, 0.99); every stage's weights are built, as the model's constructor does, and the step trains the
last stage's layers (``stage_layers``). What differs: no stage scheduler runs (the stage is fixed and alpha
stays 1.0), and the labels are synthetic (dataset classes and fake classes uniform; paper256's fake-label
prior is uniform too).

MFU = achieved FLOP/s / ``--peak-tflops`` (default: 989, an H100/H200 SXM's dense bf16 tensor-core peak; state
yours). Training FLOPs per step are estimated as 3 x (2 x forward MACs) of every network call in the step
(forward + backward ~ 3x forward), forward MACs from ``scripts/flops.py`` (convolutions, transposed
convolutions counted at output resolution, dense layers); for ProGAN's networks, which are not functional
models, from the convolutions and matrix products in the jaxpr of one forward pass at the last stage (the
same convention). ProGAN's step counts G once and D five times: D on real and fakes (D update), D on the fakes
(G update), and two for the gradient penalty: its forward and input-gradient pass on the interpolates cost
about 2 D forwards, and differentiating that w.r.t. D's weights about twice as much again, ~6 forwards in
all, i.e. two forward+backward units (measured on the tiny preset's jaxprs: the penalty adds 5.8 D forwards).
``--check-flops`` also counts the whole step's jaxpr (traced, not compiled) as a check of the estimate; paper256
at batch 1: estimate 1018 GFLOP/step, jaxpr 962. Prints one JSON object; nothing is asserted.
"""

import argparse
import importlib.util
import json
import math
import os
import platform
import resource
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


jax_step = _load("tfskin_jax_step", "tfskin/gan/jax_step.py")
flops = _load("tfskin_flops", "scripts/flops.py")
image_pool = _load("tfskin_image_pool", "tfskin/gan/image_pool.py")

from tfskin import losses  # noqa: E402
from tfskin.config import DataConfig, OptimizerConfig  # noqa: E402


class _Shaped:
    """A preset's model config (``arch``) with what this script's stand-in models read besides: the preset's
    image shape, seed 0 and its Adam settings."""

    def __init__(self, preset):
        self.arch = preset.model_config
        data, optimizer = DataConfig(**preset.data), OptimizerConfig(**preset.optimizer)
        self.image_shape, self.image_size, self.channels = data.image_shape, tuple(data.image_size), data.channels
        self.seed = 0
        self.learning_rate, self.beta_1, self.beta_2 = (optimizer.generator_learning_rate, optimizer.beta_1,
                                                        optimizer.beta_2)

    def __getattr__(self, name):
        return getattr(self.arch, name)

    @property
    def base_size(self):
        return self.arch.base_size(self.image_size)


def _preset(module_name, preset_name, presets_name="PRESETS"):
    presets = getattr(importlib.import_module(f"tfskin.models.{module_name}.presets"), presets_name)
    preset = presets[preset_name]
    return _Shaped(preset), preset.train.get("batch_size", 1)


class BenchGAN(keras.Model):
    """The parts of ``tfskin.gan.base.GAN`` the JAX step uses; subclasses give networks and loss terms."""

    loss_names = ("d_loss", "g_loss")

    def __init__(self):
        super().__init__()
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}
        self.train_step_counter = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                                  name="train_step_counter")

    @property
    def generator_variables(self):
        return [v for net in self.generator_networks for v in net.trainable_variables]

    @property
    def discriminator_variables(self):
        return [v for net in self.discriminator_networks for v in net.trainable_variables]

    @property
    def metrics(self):
        return list(self.trackers.values())

    @staticmethod
    def _batch_of(data):
        return data[0] if isinstance(data, (tuple, list)) else data

    def _track(self, values):
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def network_macs(self, net):
        """Forward MACs per image of one call of ``net`` (a functional model)."""
        return flops.model_macs(net)["zero_insert"]

    def setup(self, learning_rate=2e-4, beta_1=0.5, beta_2=0.999):
        self.generator_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)
        self.discriminator_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)
        super().compile(optimizer=self.generator_optimizer, jit_compile=True)
        self.generator_optimizer.build(self.generator_variables)
        self.discriminator_optimizer.build(self.discriminator_variables)
        self.optimizer = jax_step.OptimizerPair(self.generator_optimizer, self.discriminator_optimizer)
        self.built = True

    def train_step(self, state, data):
        return jax_step.train_step(self, state, data)


class DCGAN(BenchGAN):
    def __init__(self, config):
        super().__init__()
        from tfskin.models.dcgan.networks import build_discriminator, build_generator

        self.config = config
        self.generator = build_generator(config.arch, config.image_shape)
        self.discriminator = build_discriminator(config.arch, config.image_shape)
        self.generator_networks, self.discriminator_networks = [self.generator], [self.discriminator]
        self.network_calls = [(self.generator, 1), (self.discriminator, 3)]

    def batch(self, n, rng):
        h, w = self.config.image_size
        return {"images": rng.uniform(-1, 1, (n, h, w, self.config.channels)).astype("float32"),
                "noise": rng.normal(size=(n, self.config.latent_dim)).astype("float32")}

    def generate(self, batch, training=False):
        return {"images": self.generator(batch["noise"], training=training)}

    def discriminator_losses(self, batch, fakes):
        real = self.discriminator(batch["images"], training=True)
        fake = self.discriminator(fakes["images"], training=True)
        return {"d_loss": losses.nonsaturating_discriminator_loss(real, fake)}

    def generator_losses(self, batch, fakes):
        return {"g_loss": losses.nonsaturating_generator_loss(self.discriminator(fakes["images"], training=True))}


class CycleGAN(BenchGAN):
    def __init__(self, config):
        super().__init__()
        from tfskin.models.cyclegan.networks import build_discriminator, build_generator

        self.config = config
        shape = config.image_shape
        self.g_ab, self.g_ba = build_generator(config.arch, shape, "g_ab"), build_generator(config.arch, shape, "g_ba")
        self.d_a = build_discriminator(config.arch, shape, "d_a")
        self.d_b = build_discriminator(config.arch, shape, "d_b")
        self.generator_networks, self.discriminator_networks = [self.g_ab, self.g_ba], [self.d_a, self.d_b]
        shape = (*config.image_size, config.channels)
        self.pool_a = image_pool.ImagePool(config.pool_size, shape, dtype="float32", name="pool_a")
        self.pool_b = image_pool.ImagePool(config.pool_size, shape, dtype="float32", name="pool_b")
        g_calls = 3 if config.lambda_identity > 0 else 2  # translation, reconstruction (, identity)
        self.network_calls = [(self.g_ab, g_calls), (self.g_ba, g_calls), (self.d_a, 3), (self.d_b, 3)]

    def batch(self, n, rng):
        h, w = self.config.image_size
        return {k: rng.uniform(-1, 1, (n, h, w, 3)).astype("float32") for k in ("images_a", "images_b")}

    def generate(self, batch, training=False):
        a, b = batch["images_a"], batch["images_b"]
        fake_b, fake_a = self.g_ab(a, training=training), self.g_ba(b, training=training)
        fakes = {"fake_a": fake_a, "fake_b": fake_b, "rec_a": self.g_ba(fake_b, training=training),
                 "rec_b": self.g_ab(fake_a, training=training)}
        if self.config.lambda_identity > 0:
            fakes["same_a"], fakes["same_b"] = self.g_ba(a, training=training), self.g_ab(b, training=training)
        if training:  # the discriminators' inputs: the fakes through the history pools, seeded by (seed, step)
            seed = image_pool.step_seed(self.config.seed, self.train_step_counter)
            fakes["pooled_a"] = self.pool_a(ops.stop_gradient(fake_a), image_pool.fold_seed(seed, 1))
            fakes["pooled_b"] = self.pool_b(ops.stop_gradient(fake_b), image_pool.fold_seed(seed, 2))
        return fakes

    def discriminator_losses(self, batch, fakes):
        d_a = losses.lsgan_discriminator_loss(self.d_a(batch["images_a"], training=True),
                                              self.d_a(fakes.get("pooled_a", fakes["fake_a"]), training=True))
        d_b = losses.lsgan_discriminator_loss(self.d_b(batch["images_b"], training=True),
                                              self.d_b(fakes.get("pooled_b", fakes["fake_b"]), training=True))
        return {"d_loss": d_a + d_b}

    def generator_losses(self, batch, fakes):
        cfg = self.config
        adv = (losses.lsgan_generator_loss(self.d_b(fakes["fake_b"], training=True))
               + losses.lsgan_generator_loss(self.d_a(fakes["fake_a"], training=True)))
        cycle = (losses.cycle_consistency_loss(batch["images_a"], fakes["rec_a"])
                 + losses.cycle_consistency_loss(batch["images_b"], fakes["rec_b"]))
        identity = ops.zeros(())
        if cfg.lambda_identity > 0:
            identity = (losses.identity_loss(batch["images_a"], fakes["same_a"])
                        + losses.identity_loss(batch["images_b"], fakes["same_b"]))
        return {"g_loss": adv + cfg.lambda_cycle * cycle + cfg.lambda_cycle * cfg.lambda_identity * identity}


class Pix2PixHD(BenchGAN):
    def __init__(self, config):
        super().__init__()
        from tfskin.models.pix2pixhd.networks import build_discriminator, build_generator

        self.config = config
        self.generator = build_generator(config.arch, config.image_size)
        self.discriminator = build_discriminator(config.arch, config.image_size)
        self.generator_networks, self.discriminator_networks = [self.generator], [self.discriminator]
        self.network_calls = [(self.generator, 1), (self.discriminator, 4)]

    def batch(self, n, rng):
        h, w = self.config.image_size
        cond = np.eye(self.config.label_nc, dtype="float32")[rng.integers(0, self.config.label_nc, (n, h, w))]
        if self.config.use_instance:
            cond = np.concatenate([cond, rng.integers(0, 2, (n, h, w, 1)).astype("float32")], axis=-1)
        return {"cond": cond, "images": rng.uniform(-1, 1, (n, h, w, 3)).astype("float32")}

    def _discriminate(self, cond, images):
        return self.discriminator(ops.concatenate([cond, images], axis=-1), training=True)

    def generate(self, batch, training=False):
        return {"images": self.generator(batch["cond"], training=training)}

    def discriminator_losses(self, batch, fakes):
        real = self._discriminate(batch["cond"], batch["images"])
        fake = self._discriminate(batch["cond"], fakes["images"])
        return {"d_loss": sum(losses.lsgan_discriminator_loss(r[-1], f[-1]) for r, f in zip(real, fake))}

    def generator_losses(self, batch, fakes):
        cfg = self.config
        fake = self._discriminate(batch["cond"], fakes["images"])
        real = self._discriminate(batch["cond"], batch["images"])
        g_gan = sum(losses.lsgan_generator_loss(f[-1]) for f in fake)
        feat = 4.0 / (cfg.discriminator_layers + 1) * losses.feature_matching_loss(
            [r[:-1] for r in real], [f[:-1] for f in fake])
        return {"g_loss": g_gan + cfg.lambda_feat * feat}


def _jaxpr_macs(jaxpr):
    """Multiply-accumulates of the convolutions and matrix products in a jaxpr (nested jaxprs included)."""
    total = 0
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name == "conv_general_dilated":
            rhs, out = eqn.invars[1].aval.shape, eqn.outvars[0].aval.shape
            total += int(np.prod(out)) * int(np.prod(rhs)) // rhs[eqn.params["dimension_numbers"].rhs_spec[0]]
        elif name == "dot_general":
            (contracting, _), _ = eqn.params["dimension_numbers"]
            lhs, out = eqn.invars[0].aval.shape, eqn.outvars[0].aval.shape
            total += int(np.prod(out)) * int(np.prod([lhs[d] for d in contracting]))
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                if hasattr(sub, "eqns"):
                    total += _jaxpr_macs(sub)
                elif hasattr(sub, "jaxpr") and hasattr(sub.jaxpr, "eqns"):
                    total += _jaxpr_macs(sub.jaxpr)
    return total


class ProGAN(BenchGAN):
    """The conditional progressive GAN's last stage, stable phase (see the module docstring)."""

    loss_names = ("d_loss", "g_loss", "wasserstein", "gradient_penalty", "d_class", "g_class")

    def __init__(self, config):
        super().__init__()
        from tfskin.classes import CLASS_NAMES
        from tfskin.models.progan.networks import ProgressiveCritic, ProgressiveGenerator

        self.config = config
        self.stage = config.num_stages - 1
        self.num_dataset_classes = len(CLASS_NAMES) if config.label_mode == "melanoma" else config.num_classes
        self._mel = CLASS_NAMES.index("MEL")
        self.alpha = self.add_weight(shape=(), dtype="float32", initializer="ones", trainable=False, name="alpha")
        self.generator = ProgressiveGenerator(config.base_size, config.feature_maps, config.channels,
                                              config.latent_dim, config.num_classes, name="generator")
        self.discriminator = ProgressiveCritic(config.feature_maps, config.num_classes,
                                               config.minibatch_std_group, name="discriminator")
        noise, one_hot = ops.zeros((2, config.latent_dim)), ops.zeros((2, config.num_classes))
        for s in range(config.num_stages):  # every stage's weights, as the model (Keras' fit wants all built)
            self.discriminator(self.generator(noise, one_hot, stage=s, alpha=0.5), one_hot, stage=s, alpha=0.5)
        self.generator_networks = self.generator.stage_layers(self.stage)
        self.discriminator_networks = self.discriminator.stage_layers(self.stage)
        # D: real and fakes (D update), fakes (G update), and 2 for the gradient penalty (docstring)
        self.network_calls = [(self.generator, 1), (self.discriminator, 5)]

    def setup(self):
        super().setup(self.config.learning_rate, self.config.beta_1, self.config.beta_2)

    def network_macs(self, net):
        cfg = self.config
        one_hot = jax.ShapeDtypeStruct((1, cfg.num_classes), "float32")
        if net is self.generator:
            x = jax.ShapeDtypeStruct((1, cfg.latent_dim), "float32")
        else:
            x = jax.ShapeDtypeStruct((1, *cfg.resolution(self.stage), cfg.channels), "float32")
        fn = lambda x, one_hot: net(x, one_hot, stage=self.stage, alpha=self.alpha.value)  # noqa: E731
        return _jaxpr_macs(jax.make_jaxpr(fn)(x, one_hot).jaxpr)

    def batch(self, n, rng):
        cfg = self.config
        h, w = cfg.resolution(self.stage)
        return {"images": rng.uniform(-1, 1, (n, h, w, cfg.channels)).astype("float32"),
                "labels": rng.integers(0, self.num_dataset_classes, (n,)).astype("int32"),
                "noise": rng.normal(size=(n, cfg.latent_dim)).astype("float32"),
                "fake_labels": rng.integers(0, cfg.num_classes, (n,)).astype("int32"),
                "gp_noise": rng.normal(size=(n, 1)).astype("float32")}

    def _one_hot(self, labels):
        return ops.one_hot(ops.cast(labels, "int32"), self.config.num_classes)

    def _model_labels(self, labels):
        labels = ops.cast(labels, "int32")
        if self.config.label_mode == "melanoma":
            return ops.cast(ops.equal(labels, self._mel), "int32")
        return labels

    def _real_at_stage(self, images):
        from tfskin.layers.progressive import downsample, lerp, upsample2x

        x = downsample(ops.convert_to_tensor(images), 2 ** (self.config.num_stages - 1 - self.stage))
        if self.stage > 0:  # the real images are faded as the generator's output is
            x = lerp(upsample2x(downsample(x, 2)), x, self.alpha)
        return x

    def _critic(self, images, one_hot):
        return self.discriminator(images, one_hot, stage=self.stage, alpha=self.alpha)

    def generate(self, batch, training=False):
        image = self.generator(ops.convert_to_tensor(batch["noise"]), self._one_hot(batch["fake_labels"]),
                               stage=self.stage, alpha=self.alpha)
        return {"images": image}

    def discriminator_losses(self, batch, fakes):
        cfg = self.config
        real = self._real_at_stage(batch["images"])
        fake = ops.cast(fakes["images"], "float32")
        real_labels = self._model_labels(batch["labels"])
        real_oh, fake_oh = self._one_hot(real_labels), self._one_hot(batch["fake_labels"])
        real_score, real_cls = self._critic(real, real_oh)
        fake_score, fake_cls = self._critic(fake, fake_oh)
        wasserstein = ops.mean(real_score) - ops.mean(fake_score)
        adversarial = losses.wasserstein_discriminator_loss(real_score, fake_score, drift=cfg.drift_weight)
        eps = 0.5 * (1.0 + ops.erf(ops.cast(batch["gp_noise"], "float32") / math.sqrt(2.0)))
        mixed = real + ops.reshape(eps, (-1, 1, 1, 1)) * (fake - real)
        gradient = jax.grad(lambda x: ops.sum(self._critic(x, real_oh)[0]))(mixed)  # model.py's JAX branch
        penalty = losses.gradient_penalty(gradient)
        d_class = (losses.auxiliary_classification_loss(real_labels, real_cls)
                   + losses.auxiliary_classification_loss(batch["fake_labels"], fake_cls))
        return {"d_loss": adversarial + cfg.gp_weight * penalty + cfg.class_weight * d_class,
                "wasserstein": wasserstein, "gradient_penalty": penalty, "d_class": d_class}

    def generator_losses(self, batch, fakes):
        fake_score, fake_cls = self._critic(ops.cast(fakes["images"], "float32"),
                                            self._one_hot(batch["fake_labels"]))
        g_class = losses.auxiliary_classification_loss(batch["fake_labels"], fake_cls)
        return {"g_loss": losses.wasserstein_generator_loss(fake_score) + self.config.class_weight * g_class,
                "g_class": g_class}


# name -> (class, config module, paper preset, small preset, presets dict)
CASES = {
    "dcgan": (DCGAN, "dcgan", "paper64", "tiny", "PRESETS"),
    "cyclegan": (CycleGAN, "cyclegan", "paper256", "tiny", "PRESETS"),
    "pix2pixhd": (Pix2PixHD, "pix2pixhd", "paper1024x512_instance", "tiny", "PRESETS"),
    "progan": (ProGAN, "progan", "paper256", "tiny", "PROGAN_PRESETS"),
}


def _peak_memory_mb():
    stats = jax.devices()[0].memory_stats() or {}
    if "peak_bytes_in_use" in stats:
        return round(stats["peak_bytes_in_use"] / 2**20, 1), "device peak_bytes_in_use"
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1), "host peak RSS (process)"


def _step_macs(model, batch):
    """Multiply-accumulates of the convolutions and matrix products in the jaxpr of one whole training step
    (traced, not compiled): the estimate's check."""
    state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
             [v.value for v in model.optimizer.variables], [v.value for v in model.metrics_variables])
    return _jaxpr_macs(jax.make_jaxpr(model.train_step)(state, (batch,)).jaxpr)


def bench(name, small, batch_size, steps, precision, peak_tflops, check_flops=False):
    cls, module, paper, tiny, presets_name = CASES[name]
    config, preset_batch = _preset(module, tiny if small else paper, presets_name)
    batch_size = batch_size or preset_batch
    keras.utils.set_random_seed(0)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        model = cls(config)
        model.setup()
    finally:
        keras.config.set_dtype_policy(previous)
    rng = np.random.default_rng(0)
    batch = {k: jax.device_put(v) for k, v in model.batch(batch_size, rng).items()}

    def stream():
        while True:
            yield (batch,)

    t0 = time.perf_counter()
    model.fit(stream(), steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)  # compile + warm up
    jax.block_until_ready(model.trainable_variables[0].value)
    compile_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.fit(stream(), steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    jax.block_until_ready(model.trainable_variables[0].value)
    seconds = time.perf_counter() - t0
    forward_macs = sum(count * model.network_macs(net) for net, count in model.network_calls)
    step_flops = 3 * 2 * forward_macs * batch_size
    achieved = step_flops * steps / seconds
    memory, memory_kind = _peak_memory_mb()
    check = {}
    if check_flops:
        check["train_gflop_per_step_jaxpr"] = round(2 * _step_macs(model, batch) / 1e9, 4)
    return {"model": name, "preset": tiny if small else paper, "shape": "x".join(map(str, config.image_size)),
            "batch": batch_size, "precision": precision, "steps": steps,
            "images_per_s": round(steps * batch_size / seconds, 3), "seconds_per_step": round(seconds / steps, 5),
            "compile_and_warmup_s": round(compile_seconds, 2), "train_gflop_per_step": round(step_flops / 1e9, 4),
            "achieved_tflops": float(f"{achieved / 1e12:.4g}"), "mfu": float(f"{achieved / (peak_tflops * 1e12):.3g}"),
            "peak_memory_mb": memory, "peak_memory_kind": memory_kind, **check}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--small", action="store_true", help="tiny presets (a CPU check), not the paper shapes")
    parser.add_argument("--batch-size", type=int, help="default: the preset's")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--precision", default="mixed_bfloat16", choices=("float32", "mixed_bfloat16"))
    parser.add_argument("--peak-tflops", type=float, default=989.0,
                        help="the device's peak TFLOP/s at --precision, the MFU denominator (default 989: "
                             "H100/H200 SXM dense bf16)")
    parser.add_argument("--check-flops", action="store_true",
                        help="also count the convolution and matrix-product FLOPs in the jaxpr of the whole step")
    args = parser.parse_args(argv)
    devices = jax.devices()
    result = {"backend": keras.backend.backend(), "jax": jax.__version__, "keras": keras.__version__,
              "devices": [f"{d.platform}:{getattr(d, 'device_kind', '?')}" for d in devices],
              "platform": platform.platform(), "tensorflow_imported": sys.modules.get("tensorflow") is not None,
              "peak_tflops_assumed": args.peak_tflops, "cases": []}
    for name in args.models.split(","):
        result["cases"].append(bench(name, args.small, args.batch_size, args.steps, args.precision,
                                     args.peak_tflops, args.check_flops))
        print(json.dumps(result["cases"][-1]), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
