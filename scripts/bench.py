"""Throughput benchmark: phantom generation, the input pipeline alone, and GAN training steps.

Prints one JSON object. Shapes, batch sizes, precision and device are stated in it; numbers are measured, never
asserted anywhere. Usage:
  python scripts/bench.py [--models dcgan] [--steps 30] [--precisions float32,auto] [--presets quick] [--all]
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfskin import runtime  # noqa: E402
from tfskin.data.phantoms import generate_phantoms  # noqa: E402
from tfskin.data.pipeline import gan_batches  # noqa: E402
from tfskin.data.sources import load_examples  # noqa: E402
from tfskin.inputs import build_inputs  # noqa: E402
from tfskin.training import build_model, resolve_config  # noqa: E402

# (model, preset, batch size) measured by default; each model issue adds its rows here.
# (model, preset, batch size, fits a CPU run) measured by `scripts/bench.py`; each model issue adds its rows.
# Paper-size cases take minutes per step on a CPU: they run with --all (meant for a GPU).
TRAINING_CASES = [
    ("dcgan", "paper64", 64, True),
    ("dcgan", "quick", 32, True),
    ("dcgan", "paper192x256_mask", 16, False),
    ("acgan", "paper128", 64, False),
    ("acgan", "quick", 32, True),
    ("progan", "paper256", 16, False),  # staged models are timed at their last stage (progan: 256x256)
    ("progan", "quick", 16, True),
    ("progan_frozen", "paper64", 64, False),
    ("progan_frozen", "quick", 32, True),
    ("lapgan", "paper192x256_mask", 64, False),
    ("lapgan", "quick", 32, True),
    ("ddgan", "paper256", 32, False),
    ("ddgan", "quick", 32, True),
    ("cyclegan", "quick", 8, True),  # image-to-image models train on phantoms here, whatever their preset's dataset
    ("cyclegan", "paper128", 1, False),
    ("pix2pixhd", "quick", 8, True),
    ("pix2pixhd", "quick_semantic", 8, True),
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_phantoms(n=1000, size=128) -> dict:
    generate_phantoms(2, size, size, seed=0, start=10**9)
    t0 = time.perf_counter()
    generate_phantoms(n, size, size, seed=0)
    seconds = time.perf_counter() - t0
    return {"examples": n, "size": f"{size}x{size}", "seconds": round(seconds, 3),
            "examples_per_s": round(n / seconds, 1)}


def bench_pipeline(size=64, batch=64, batches=200) -> dict:
    examples = load_examples("phantoms", "train", (size, size), num_examples=2000)
    ds = gan_batches(examples, batch_size=batch, latent_spec={"noise": ((100,), "normal")})
    iterator = iter(ds)
    for _ in range(5):
        next(iterator)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    seconds = time.perf_counter() - t0
    return {"shape": f"{size}x{size}x3", "batch": batch, "images_per_s": round(batches * batch / seconds, 1)}


def bench_training(model_name, preset, batch, steps, precision="float32") -> dict:
    """Images/s of ``fit`` on the model's own batch stream (as the runner builds it), after a warm-up fit that
    traces the step; the run's data come from phantoms (no preparation needed)."""
    config = resolve_config(model_name, preset, data={"name": "phantoms", "num_examples": max(64, 4 * batch)},
                            train={"batch_size": batch, "precision": precision})
    model = build_model(config)
    stage = None
    if hasattr(model, "stage_schedule"):  # staged models (progan, lapgan): time the last, largest stage
        stage = model.stage_schedule(batch).phases[-1].stage
        model.set_phase(stage, 1.0)
    h, w = config.data.image_size
    ds = build_inputs(model.input_kind, config, model.latent_spec()).batches(0)
    model.fit(ds, steps_per_epoch=3, epochs=1, verbose=0, shuffle=False)  # trace + warm up
    t0 = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - t0
    return {"model": model_name, "preset": preset, "shape": f"{h}x{w}x{config.data.channels}", "batch": batch,
            "backend": keras.backend.backend(), "precision_asked": precision, "precision": config.train.precision,
            "precision_reason": config.train.precision_reason, "steps": steps,
            "images_per_s": round(steps * batch / seconds, 3), "seconds_per_step": round(seconds / steps, 4),
            **({"stage": stage} if stage is not None else {})}


def _guarded(fn, model, preset, batch, steps, precision):
    try:
        return fn(model, preset, batch, steps, precision)
    except Exception as err:  # noqa: BLE001 (a benchmark row says what failed; the other rows still run)
        return {"model": model, "preset": preset, "backend": keras.backend.backend(), "precision_asked": precision,
                "skipped": f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"}


def _on_jax(model, preset, batch, steps, precision) -> dict:
    """One case timed in a fresh process on the JAX backend (one process has one Keras backend)."""
    code = (f"import json, sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); import bench; "
            f"print(json.dumps(bench._guarded(bench.bench_training, {model!r}, {preset!r}, {batch}, {steps}, "
            f"{precision!r})))")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode:
        return {"model": model, "preset": preset, "backend": "jax", "precision_asked": precision,
                "skipped": done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per case")
    parser.add_argument("--models", help="comma-separated model names to time (default: every model)")
    parser.add_argument("--all", action="store_true", help="also the paper-size cases (slow on a CPU)")
    parser.add_argument("--presets", help="comma-separated preset names to time (default: every CPU case)")
    parser.add_argument("--precisions", default="float32,auto",
                        help="comma-separated precisions, each case timed under each (auto: what this machine "
                             "resolves to; add mixed_bfloat16 to time bf16 where auto does not pick it)")
    parser.add_argument("--skip-input", action="store_true", help="time only the training steps")
    parser.add_argument("--jax", action="store_true",
                        help="also time each case on Keras' JAX backend (a subprocess with KERAS_BACKEND=jax; "
                             "models without a JAX step are reported as skipped); rows carry their backend")
    args = parser.parse_args(argv)
    cases = [c[:3] for c in TRAINING_CASES
             if (not args.models or c[0] in args.models.split(",")) and (args.all or c[3])
             and (not args.presets or c[1] in args.presets.split(","))]
    precisions = args.precisions.split(",")
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    result = {
        "device": "GPU" if "GPU" in devices else "CPU",
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "cpu_bf16_flags": sorted(set(runtime.BF16_CPU_FLAGS) & runtime.cpu_flags()),
        "auto_precision": list(runtime.auto_precision()),
    }
    if not args.skip_input:
        result["phantoms"] = bench_phantoms()
        result["input_pipeline"] = bench_pipeline()
    # Precisions interleaved per case, so machine-load drift hits each about equally.
    result["training"] = []
    for model, preset, batch in cases:
        for precision in precisions:
            result["training"].append(_guarded(bench_training, model, preset, batch, args.steps, precision))
            if args.jax:
                result["training"].append(_on_jax(model, preset, batch, args.steps, precision))
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
