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
from backend_step import save_after_steps, shared_start  # noqa: E402

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
    if args.write_state:
        model.ada_p.assign(0.3)
    batch = shared_start(model, config, os.path.join(args.directory, "state.npz"), args.write_state,
                         latent_spec=model.training_latent_spec())
    for _ in range(STEPS):
        logs = model.train_on_batch(batch, return_dict=True)
    save_after_steps(model, logs, os.path.join(args.directory, f"{keras.backend.backend()}.npz"))
    print(f"{keras.backend.backend()}: " + ", ".join(f"{k} {float(v):.6f}" for k, v in sorted(logs.items())))


if __name__ == "__main__":
    main()
