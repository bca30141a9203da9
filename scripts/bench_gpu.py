"""GAN training-step benchmark on Keras' JAX backend, without TensorFlow: images/s, peak memory and MFU.

Meant for a machine with JAX and a GPU but no TensorFlow (``pip install jax[cuda12] keras``; nothing else of
tfskin's dependencies is needed). Batches are synthetic (random arrays made once on the device: the input
pipeline is not timed). The networks are tfskin's own (``tfskin.models.*.networks``, built from the paper
presets' configs) and the step is tfskin's stateless JAX step (``tfskin/gan/jax_step.py``: G forward once, D
update on the detached fakes, G update through the updated D); the loss terms are the models' own
(``tfskin.losses``), minus what needs TensorFlow or extra weights: CycleGAN without its history pool,
pix2pixHD without the VGG term. Both are loaded by file path, because ``tfskin.gan``'s package imports
TensorFlow.

Cases: DCGAN 64x64 (paper64), CycleGAN 256x256 with ResNet-9 generators (paper256), pix2pixHD global
generator with 3 discriminator scales at 512x1024 (paper1024x512_instance). ``--small`` runs each at small
shapes and widths (the tiny presets), for a CPU check: ``JAX_PLATFORMS=cpu python scripts/bench_gpu.py --small``.

MFU = achieved FLOP/s / ``--peak-tflops`` (default: 989, an H100/H200 SXM's dense bf16 tensor-core peak; state
yours). Training FLOPs per step are estimated as 3 x (2 x forward MACs) of every network call in the step
(forward + backward ~ 3x forward), forward MACs from ``scripts/flops.py`` (convolutions, transposed
convolutions counted at output resolution, dense layers). Prints one JSON object; nothing is asserted.
"""

import argparse
import importlib.util
import json
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

from tfskin import losses  # noqa: E402
from tfskin.config import DataConfig  # noqa: E402
from tfskin.registry import with_data_shape  # noqa: E402


def _preset(module_name, preset_name):
    presets = importlib.import_module(f"tfskin.models.{module_name}.presets").PRESETS
    preset = presets[preset_name]
    data = DataConfig(**{**DataConfig().to_dict(), **preset.data})
    return with_data_shape(preset.model_config, data), preset.train.get("batch_size", 1)


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

    def setup(self, learning_rate=2e-4):
        self.generator_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.discriminator_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
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
        self.generator, self.discriminator = build_generator(config), build_discriminator(config)
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
        self.g_ab, self.g_ba = build_generator(config, "g_ab"), build_generator(config, "g_ba")
        self.d_a, self.d_b = build_discriminator(config, "d_a"), build_discriminator(config, "d_b")
        self.generator_networks, self.discriminator_networks = [self.g_ab, self.g_ba], [self.d_a, self.d_b]
        self.network_calls = [(self.g_ab, 3), (self.g_ba, 3), (self.d_a, 3), (self.d_b, 3)]

    def batch(self, n, rng):
        h, w = self.config.image_size
        return {k: rng.uniform(-1, 1, (n, h, w, 3)).astype("float32") for k in ("images_a", "images_b")}

    def generate(self, batch, training=False):
        a, b = batch["images_a"], batch["images_b"]
        fake_b, fake_a = self.g_ab(a, training=training), self.g_ba(b, training=training)
        return {"fake_a": fake_a, "fake_b": fake_b, "rec_a": self.g_ba(fake_b, training=training),
                "rec_b": self.g_ab(fake_a, training=training), "same_a": self.g_ba(a, training=training),
                "same_b": self.g_ab(b, training=training)}

    def discriminator_losses(self, batch, fakes):
        d_a = losses.lsgan_discriminator_loss(self.d_a(batch["images_a"], training=True),
                                              self.d_a(fakes["fake_a"], training=True))
        d_b = losses.lsgan_discriminator_loss(self.d_b(batch["images_b"], training=True),
                                              self.d_b(fakes["fake_b"], training=True))
        return {"d_loss": d_a + d_b}

    def generator_losses(self, batch, fakes):
        cfg = self.config
        adv = (losses.lsgan_generator_loss(self.d_b(fakes["fake_b"], training=True))
               + losses.lsgan_generator_loss(self.d_a(fakes["fake_a"], training=True)))
        cycle = (losses.cycle_consistency_loss(batch["images_a"], fakes["rec_a"])
                 + losses.cycle_consistency_loss(batch["images_b"], fakes["rec_b"]))
        identity = (losses.identity_loss(batch["images_a"], fakes["same_a"])
                    + losses.identity_loss(batch["images_b"], fakes["same_b"]))
        return {"g_loss": adv + cfg.lambda_cycle * cycle + cfg.lambda_cycle * cfg.lambda_identity * identity}


class Pix2PixHD(BenchGAN):
    def __init__(self, config):
        super().__init__()
        from tfskin.models.pix2pixhd.networks import build_discriminator, build_generator

        self.config = config
        self.generator, self.discriminator = build_generator(config), build_discriminator(config)
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


# name -> (class, config module, paper preset, small preset)
CASES = {
    "dcgan": (DCGAN, "dcgan", "paper64", "tiny"),
    "cyclegan": (CycleGAN, "cyclegan", "paper256", "tiny"),
    "pix2pixhd": (Pix2PixHD, "pix2pixhd", "paper1024x512_instance", "tiny"),
}


def _peak_memory_mb():
    stats = jax.devices()[0].memory_stats() or {}
    if "peak_bytes_in_use" in stats:
        return round(stats["peak_bytes_in_use"] / 2**20, 1), "device peak_bytes_in_use"
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1), "host peak RSS (process)"


def bench(name, small, batch_size, steps, precision, peak_tflops):
    cls, module, paper, tiny = CASES[name]
    config, preset_batch = _preset(module, tiny if small else paper)
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
    forward_macs = sum(count * flops.model_macs(net)["zero_insert"] for net, count in model.network_calls)
    step_flops = 3 * 2 * forward_macs * batch_size
    achieved = step_flops * steps / seconds
    memory, memory_kind = _peak_memory_mb()
    return {"model": name, "preset": tiny if small else paper, "shape": "x".join(map(str, config.image_size)),
            "batch": batch_size, "precision": precision, "steps": steps,
            "images_per_s": round(steps * batch_size / seconds, 3), "seconds_per_step": round(seconds / steps, 5),
            "compile_and_warmup_s": round(compile_seconds, 2), "train_gflop_per_step": round(step_flops / 1e9, 4),
            "achieved_tflops": float(f"{achieved / 1e12:.4g}"), "mfu": float(f"{achieved / (peak_tflops * 1e12):.3g}"),
            "peak_memory_mb": memory, "peak_memory_kind": memory_kind}


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
    args = parser.parse_args(argv)
    devices = jax.devices()
    result = {"backend": keras.backend.backend(), "jax": jax.__version__, "keras": keras.__version__,
              "devices": [f"{d.platform}:{getattr(d, 'device_kind', '?')}" for d in devices],
              "platform": platform.platform(), "tensorflow_imported": "tensorflow" in sys.modules,
              "peak_tflops_assumed": args.peak_tflops, "cases": []}
    for name in args.models.split(","):
        result["cases"].append(bench(name, args.small, args.batch_size, args.steps, args.precision,
                                     args.peak_tflops))
        print(json.dumps(result["cases"][-1]), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
