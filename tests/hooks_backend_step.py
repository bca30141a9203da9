"""Two GAN training steps of DCGAN's ``tiny`` preset with every step hook on (ADA augmentation at p = 0.3,
generator EMA, R1 every step), on the backend this process runs, for the TF-vs-JAX test of
tests/test_step_regularization_jax.py.

    python tests/hooks_backend_step.py DIR [--write-state]

``--write-state`` (the TF side) draws the initial weights and the first batch (with its augmentation draws) and
writes them to DIR/state.npz; otherwise they are read from there. DIR/BACKEND.npz receives every model weight
(EMA copies and ADA's variables included) after the steps, and the last step's logs.
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

STEPS = 2


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--write-state", action="store_true")
    args = parser.parse_args(argv)
    config = resolve_config("dcgan", "tiny", train={"precision": "float32"},
                            augment={"kind": "ada", "interval": 1, "speed_images": 80},
                            ema={"halflife_images": 10.0}, r1={"gamma": 1.0, "interval": 1})
    model = build_model(config)
    state = os.path.join(args.directory, "state.npz")
    if args.write_state:
        model.ada_p.assign(0.3)
        stream = build_inputs(model.input_kind, config, model.training_latent_spec()).batches(0)
        batch = {k: np.asarray(v) for k, v in next(iter(stream)).items()}
        np.savez(state, **{f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())},
                 **{f"batch/{k}": v for k, v in batch.items()})
    saved = np.load(state)
    weights = [saved[f"w{i}"] for i in range(len(model.weights))]
    model.set_weights([w.astype(keras.backend.standardize_dtype(v.dtype)) for w, v in zip(weights, model.weights)])
    batch = {k.split("/", 1)[1]: saved[k] for k in saved.files if k.startswith("batch/")}
    for _ in range(STEPS):
        logs = model.train_on_batch(batch, return_dict=True)
    np.savez(os.path.join(args.directory, f"{keras.backend.backend()}.npz"),
             **{f"w{i}": np.asarray(keras.ops.convert_to_numpy(w)) for i, w in enumerate(model.weights)},
             **{f"loss/{k}": np.asarray(float(v)) for k, v in logs.items()},
             names=np.array([w.path for w in model.weights]),
             trainable=np.array([w.trainable for w in model.weights]))
    print(f"{keras.backend.backend()}: " + ", ".join(f"{k} {float(v):.6f}" for k, v in sorted(logs.items())))


if __name__ == "__main__":
    main()
