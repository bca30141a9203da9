"""One GAN training step on the backend this process runs (``KERAS_BACKEND``), for the TF-vs-JAX equivalence
test (tests/test_jax_backend.py): one process has one Keras backend, so each side runs as its own process.

    python tests/backend_step.py MODEL[,MODEL...] DIR [--write-state] [--data-parallel]

For each model (its ``tiny`` preset, float32): ``--write-state`` (the TF side) draws the initial weights and the
first batch of the run's stream and writes them to DIR/MODEL-state.npz; otherwise they are read from there.
DIR/MODEL-BACKEND[-dp].npz receives every model weight after one ``train_on_batch`` step (eager on TF, jitted on
JAX), and the step's losses.
``--data-parallel`` (JAX) trains under ``keras.distribution.DataParallel`` over every local device (on a CPU,
``XLA_FLAGS=--xla_force_host_platform_device_count=2`` makes two).
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfskin.inputs import build_inputs  # noqa: E402
from tfskin.training import build_model, resolve_config  # noqa: E402


def shared_start(model, config, state, write_state, latent_spec=None) -> dict:
    """Give ``model`` the initial weights of ``state`` (an .npz) and return the first batch stored there; with
    ``write_state`` (the TF side) both are drawn first (the batch from the run's stream with ``latent_spec``)."""
    if write_state:
        spec = model.latent_spec() if latent_spec is None else latent_spec
        stream = build_inputs(model.input_kind, config, spec).batches(0)
        batch = {k: np.asarray(v) for k, v in next(iter(stream)).items()}
        np.savez(state, **{f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())},
                 **{f"batch/{k}": v for k, v in batch.items()})
    saved = np.load(state)
    weights = [saved[f"w{i}"] for i in range(len(model.weights))]
    model.set_weights([w.astype(keras.backend.standardize_dtype(v.dtype)) for w, v in zip(weights, model.weights)])
    return {k.split("/", 1)[1]: saved[k] for k in saved.files if k.startswith("batch/")}


def save_after_steps(model, logs, out):
    """Every model weight (with its path and whether it trains) and the last step's losses, to ``out``."""
    np.savez(out, **{f"w{i}": np.asarray(keras.ops.convert_to_numpy(w)) for i, w in enumerate(model.weights)},
             **{f"loss/{k}": np.asarray(float(v)) for k, v in logs.items()},
             names=np.array([w.path for w in model.weights]),
             trainable=np.array([w.trainable for w in model.weights]))


def one_step(model_name, directory, write_state, suffix):
    config = resolve_config(model_name, "tiny", train={"precision": "float32"})
    model = build_model(config)
    batch = shared_start(model, config, os.path.join(directory, f"{model_name}-state.npz"), write_state)
    # TF runs the same train_step eagerly: tracing it costs 5-10x the step at these sizes, and graph-mode fit
    # steps of every model are covered by tests/test_model_contract.py. JAX jit-compiles it as training does.
    model.run_eagerly = keras.backend.backend() == "tensorflow"
    logs = model.train_on_batch(batch, return_dict=True)
    save_after_steps(model, logs, os.path.join(directory, f"{model_name}-{keras.backend.backend()}{suffix}.npz"))
    print(f"{keras.backend.backend()}{suffix}: {model_name} {len(model.weights)} weights, losses "
          + ", ".join(f"{k} {float(v):.6f}" for k, v in sorted(logs.items())), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("models")
    parser.add_argument("directory")
    parser.add_argument("--write-state", action="store_true")
    parser.add_argument("--data-parallel", action="store_true")
    args = parser.parse_args(argv)
    suffix = ""
    if args.data_parallel:
        import jax

        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
        suffix = f"-dp{len(jax.devices())}"
    for name in args.models.split(","):
        one_step(name, args.directory, args.write_state, suffix)


if __name__ == "__main__":
    main()
