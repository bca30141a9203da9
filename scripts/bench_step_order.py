"""What the GAN step's update order costs: tfskin's alternating step against a simultaneous one, same model.

tfskin's step (``GAN.train_step``, the DCGAN reference order) updates D on the detached fakes, then computes the
generator loss through the *updated* D. That data dependency serialises the step: nothing of G's loss or
backward pass can start before D's update has finished. A "simultaneous" step (what many plain Keras/PyTorch
CycleGAN scripts do) computes both losses with the same D and applies both gradients, so the two halves may
overlap, but it computes a different update. This script times both on the same batches, interleaved pair by
pair so machine-load drift hits both alike, at 1 and 2 TensorFlow threads (each in a fresh process, since
thread counts are fixed at start-up), and prints one JSON object: per thread count, the median seconds per
step of each and the paired median ratio alternating / simultaneous with its spread. Nothing is asserted.

    python scripts/bench_step_order.py [--model cyclegan] [--preset paper128] [--size 128] [--batch 1]
                                       [--pairs 15] [--threads 1,2]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _measure(model_name, preset, size, batch, pairs, threads) -> dict:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from keras import ops

    from tfskin.inputs import build_inputs
    from tfskin.training import build_model, resolve_config

    overrides = {"data": {"name": "phantoms", "num_examples": max(16, 4 * batch)},
                 "train": {"batch_size": batch, "precision": "float32"}}
    if size:
        overrides["data"]["image_size"] = (size, size)
    config = resolve_config(model_name, preset, **overrides)
    model = build_model(config)
    batches = iter(build_inputs(model.input_kind, config, model.latent_spec()).batches(0))
    batch_data = next(batches)

    alternating = tf.function(model.train_step)

    @tf.function
    def simultaneous(data):
        batch_dict = model._batch_of(data)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fakes = model.generate(batch_dict, training=True)
            d_losses = model.discriminator_losses(batch_dict, tf.nest.map_structure(ops.stop_gradient, fakes))
            g_losses = model.generator_losses(batch_dict, fakes)
        model._minimize(d_tape, model.discriminator_optimizer, d_losses["d_loss"], model.discriminator_variables)
        model._minimize(g_tape, model.generator_optimizer, g_losses["g_loss"], model.generator_variables)
        model.train_step_counter.assign_add(1)
        return model._track({**d_losses, **g_losses})

    def timed(step):
        t0 = time.perf_counter()
        logs = step(batch_data)
        float(logs["g_loss"])  # wait for the step
        return time.perf_counter() - t0

    for _ in range(2):  # trace and warm up both
        timed(alternating)
        timed(simultaneous)
    alt, sim = [], []
    for i in range(pairs):
        first, second = (alternating, simultaneous) if i % 2 == 0 else (simultaneous, alternating)
        a, b = timed(first), timed(second)
        alt.append(a if first is alternating else b)
        sim.append(b if first is alternating else a)
    ratios = sorted(a / s for a, s in zip(alt, sim))
    h, w = config.data.image_size
    return {"threads": threads, "model": model_name, "preset": preset, "shape": f"{h}x{w}", "batch": batch,
            "pairs": pairs, "alternating_s_per_step": round(statistics.median(alt), 4),
            "simultaneous_s_per_step": round(statistics.median(sim), 4),
            "ratio_median": round(statistics.median(ratios), 3),
            "ratio_range": [round(ratios[0], 3), round(ratios[-1], 3)],
            "ratio_iqr": [round(ratios[len(ratios) // 4], 3), round(ratios[(3 * len(ratios)) // 4], 3)]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cyclegan")
    parser.add_argument("--preset", default="paper128")
    parser.add_argument("--size", type=int, default=128, help="square image side (0: the preset's)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure in this process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_measure(args.model, args.preset, args.size, args.batch, args.pairs, args.one)))
        return
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        command = [sys.executable, os.path.abspath(__file__), "--model", args.model, "--preset", args.preset,
                   "--size", str(args.size), "--batch", str(args.batch), "--pairs", str(args.pairs),
                   "--one", str(threads)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            rows.append({"threads": threads, "failed": done.stderr.strip().splitlines()[-1][:300]})
        else:
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps({"cpu_count": os.cpu_count(), "results": rows}, indent=2))


if __name__ == "__main__":
    main()
