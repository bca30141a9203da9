"""Is a mirrored step's difference from the single-device step kernel numerics or a bug? Prints JSON.

Two comparisons on CycleGAN ``tiny`` (the model of ``tests/test_cyclegan.py``'s mirrored test), run it once with
``TF_ENABLE_ONEDNN_OPTS=0`` and once with ``=1``:

1. gradients at the initial weights (no image pool): the batch of 8 in one piece, the mean of its two halves of 4
   computed one after the other with no strategy, and MirroredStrategy over two logical CPUs (4 per replica). If
   the mirrored gradients equal the two-halves gradients and both differ from the one-piece gradients by float32
   rounding, the strategy computes what it should and the difference is the kernels' summation order;
2. the test's two SGD steps (learning rate 0.1, momentum 0.5): trainable weights after a single-device run, after
   the mirrored run, and after a single-device run whose initial weights were perturbed by ``--ulps`` units in the
   last place (how far float32 rounding of the weights alone carries over two steps); then the same with
   Grappler's arithmetic optimizer off.

The decisive training-level comparison, the same two steps on one device with the batch split in halves, is
``tests/test_cyclegan.py::test_mirrored_step_equals_single_device_step`` (it prints its numbers with ``-s``).

    python scripts/diagnose_mirrored_step.py [--ulps 1]
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tfskin.registry import get_model  # noqa: E402
from tfskin.runtime import make_strategy  # noqa: E402


def _batches(config):
    rng = [np.random.default_rng(s) for s in range(2)]
    h, w = config.image_size
    return [{k: r.uniform(-1, 1, (8, h, w, 3)).astype("float32") for k in ("images_a", "images_b")} for r in rng]


def _model(strategy, perturb_ulps=0.0):
    config = get_model("cyclegan").preset("tiny").model_config
    keras.utils.set_random_seed(3)
    with strategy.scope():
        model = get_model("cyclegan").build(config)
        model.compile(keras.optimizers.SGD(0.1, momentum=0.5), keras.optimizers.SGD(0.1, momentum=0.5))
        model.build_for_training()
    if perturb_ulps:
        rng = np.random.default_rng(7)
        for v in model.trainable_weights:
            x = np.asarray(v.numpy())
            v.assign(x + perturb_ulps * rng.choice([-1.0, 1.0], x.shape) * np.spacing(x.astype(x.dtype)))
    return model, config


def _losses(model, batch):
    fakes = model.generate(batch, training=False)
    d = model.discriminator_losses(batch, tf.nest.map_structure(tf.stop_gradient, fakes))["d_loss"]
    g = model.generator_losses(batch, fakes)["g_loss"]
    return d, g


def _grads(model, batch, scale=1.0):
    with tf.GradientTape(persistent=True) as tape:
        d, g = _losses(model, batch)
        d, g = d * scale, g * scale
    return (tape.gradient(d, model.discriminator_variables) + tape.gradient(g, model.generator_variables))


def _max_diff(xs, ys):
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(xs, ys))


def _max_abs(xs):
    return max(float(np.max(np.abs(np.asarray(a)))) for a in xs)


def gradient_comparison():
    single, config = _model(tf.distribute.get_strategy())
    batch = _batches(config)[0]
    halves = [{k: v[i * 4:(i + 1) * 4] for k, v in batch.items()} for i in range(2)]
    whole = tf.function(lambda b: _grads(single, b))(batch)
    two = [tf.function(lambda b: _grads(single, b))(h) for h in halves]
    mean_halves = [0.5 * (a + b) for a, b in zip(*two)]

    strategy = make_strategy("mirrored")
    mirrored_model, _ = _model(strategy)
    values = strategy.experimental_distribute_values_from_function(
        lambda ctx: halves[ctx.replica_id_in_sync_group])

    @tf.function
    def mirrored_grads(values):
        per_replica = strategy.run(lambda b: _grads(mirrored_model, b, scale=0.5), args=(values,))
        return [strategy.reduce("SUM", g, axis=None) for g in per_replica]

    mirrored = mirrored_grads(values)
    return {"max_abs_gradient": _max_abs(whole),
            "whole_vs_mean_of_halves": _max_diff(whole, mean_halves),
            "whole_vs_mirrored": _max_diff(whole, mirrored),
            "mean_of_halves_vs_mirrored": _max_diff(mean_halves, mirrored)}


def _train(strategy, perturb_ulps=0.0):
    model, config = _model(strategy, perturb_ulps)
    batches = _batches(config)
    ds = tf.data.Dataset.from_tensor_slices({k: np.stack([b[k] for b in batches]) for k in batches[0]})
    model.fit(ds.unbatch().batch(8), steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    return [np.asarray(w.numpy()) for w in model.trainable_weights]


def training_comparison(ulps):
    initial = [np.asarray(w.numpy()) for w in _model(tf.distribute.get_strategy())[0].trainable_weights]
    single = _train(tf.distribute.get_strategy())
    out = {"max_update": _max_diff(single, initial),
           "single_vs_mirrored": _max_diff(single, _train(make_strategy("mirrored")))}
    if ulps:
        out[f"single_vs_single_perturbed_{ulps:g}ulp"] = _max_diff(single, _train(tf.distribute.get_strategy(), ulps))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ulps", type=float, default=1.0)
    args = parser.parse_args()
    cpu_flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    report = {
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset: on)"),
        "cpu": sorted(f for f in cpu_flags if f.startswith(("avx512", "amx")) or f == "avx2"),
        "gradients_float32": gradient_comparison(),
        "two_steps_float32": training_comparison(args.ulps),
    }
    # Grappler's arithmetic optimizer rewrites the graph per shape; without it the batch-4 and batch-8 graphs
    # round alike on oneDNN as well.
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    report["two_steps_float32_without_grappler_arithmetic_optimizer"] = training_comparison(0)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
