"""Would training the replicate classifiers together, as one computation, be faster than one after another?

The ``reuse`` engine trains a paper's small classifiers one at a time, each on a traced step kept per shape. The
alternative is to train K of them in one step: one Keras model holding K copies of the classifier side by side
(K inputs, K outputs, the sum of their losses; Adam is per weight, so each copy trains as it would alone). That
saves per-step overhead (Python, the ``fit`` loop, op dispatch) K-fold, but not the arithmetic. This script
measures which one dominates: the training step of K stacked copies of the classifier a budget trains
(bissoto2018's by default: small_cnn, width 16, 32x32, batch 32, with its augmentation in the input pipeline)
against K steps of one copy, interleaved in one process on the same TensorFlow threads, and the per-image cost
of one copy's step at growing batch sizes (the most that batching could save). Prints one JSON object; nothing
is asserted. Usage:

  python scripts/bench_stacked.py [--threads 1] [--stack 1 2 4] [--steps 40] [--rounds 3]

``--threads 1`` is what each worker of ``tfskin reproduce`` gets on a 2-core machine (two workers).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpu_flags() -> str:
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return platform.processor()
    flags = [f for f in ("avx512_bf16", "amx_bf16", "avx512f", "avx2") if f" {f}" in text]
    return ",".join(flags)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow intra- and inter-op threads")
    parser.add_argument("--stack", type=int, nargs="+", default=[1, 2, 4], help="copies trained as one step")
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 64, 128], help="one copy's batch sizes")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is reported)")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    from tfskin.evaluation.classifier import ClassifierConfig, augmentation_layers, build_classifier
    from tfskin.runtime import precision_policy, resolve_precision

    precision, _ = resolve_precision(args.precision)
    base = ClassifierConfig(task="melanoma", backbone="small_cnn", width=16, image_size=(32, 32), batch_size=32)
    rng = np.random.default_rng(0)

    def pipeline(k: int, batch: int):
        x = rng.integers(0, 256, (batch * 8, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 2, batch * 8)
        augment = augmentation_layers(base.replace(seed=k))
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
        return ds.map(lambda a, b: (augment(tf.cast(a, tf.float32), training=True), b))

    def stacked(k: int, batch: int = 32):
        """k copies side by side in one model, and a dataset of k batches per step."""
        with precision_policy(precision):
            members = [build_classifier(base.replace(seed=i), 2) for i in range(k)]
            members = [keras.Model(m.inputs, m.outputs, name=f"member{i}") for i, m in enumerate(members)]
            inputs = [keras.Input((32, 32, 3), name=f"image{i}") for i in range(k)]
            outputs = [m(x) for m, x in zip(members, inputs, strict=True)]
            model = keras.Model(inputs, outputs)
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=["sparse_categorical_crossentropy"] * k)
        streams = tf.data.Dataset.zip(tuple(pipeline(i, batch) for i in range(k)))
        ds = streams.map(lambda *pairs: (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))
        ds = ds.repeat().prefetch(2)
        model.fit(ds, steps_per_epoch=5, epochs=1, verbose=0, shuffle=False)  # trace
        return model, ds

    def timed(model, ds) -> float:
        start = time.perf_counter()
        model.fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0, shuffle=False)
        return (time.perf_counter() - start) / args.steps

    cases = {f"stack{k}": stacked(k) for k in args.stack}
    cases.update({f"batch{b}": stacked(1, b) for b in args.batches if b != 32 or 1 not in args.stack})
    seconds = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (model, ds) in cases.items():
            seconds[name].append(timed(model, ds))
    median = {name: statistics.median(v) for name, v in seconds.items()}
    one = median.get("stack1", median.get("batch32"))
    report = {
        "cpu": cpu_flags(), "threads": args.threads, "precision": precision, "load_average": os.getloadavg(),
        "ms_per_step": {name: round(v * 1e3, 2) for name, v in median.items()},
        # < 1: training k copies together costs less than k single steps
        "stacked_over_one_by_one": {f"stack{k}": round(median[f"stack{k}"] / (k * one), 3)
                                    for k in args.stack if k > 1},
        "ms_per_image_by_batch": {f"batch{b}": round(median.get(f"batch{b}", one if b == 32 else 0) * 1e3 / b, 3)
                                  for b in args.batches},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
