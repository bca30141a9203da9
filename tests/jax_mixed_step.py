"""mixed_float16 GAN steps on the backend this process runs (``KERAS_BACKEND``), for
tests/test_jax_mixed_precision.py (one process has one Keras backend, so each side runs as its own process).

    python tests/jax_mixed_step.py state DIR    # TF: dcgan tiny's initial weights and first batch -> DIR/state.npz
    python tests/jax_mixed_step.py step DIR     # one step from DIR/state.npz -> DIR/step-BACKEND.npz
    python tests/jax_mixed_step.py scaling DIR  # JAX: the loss scale's life over a few steps -> DIR/scaling.json
    python tests/jax_mixed_step.py runner DIR   # JAX: tfskin's runner, 4 steps, and 2 + 2 resumed -> DIR/runner.json

``step`` takes one mixed_float16 step at Keras' initial loss scale (on dcgan tiny it overflows: both backends
must skip it), then one from the same weights at ``STEP_SCALE`` and, from the same weights and batch, one under
float32 (which measures how far float16 rounding alone moves a step). ``scaling`` trains from DIR/state.npz:
three ordinary steps, one with the scale forced so high that the float16 backward pass overflows, and one where
the scale is due to grow.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfskin.inputs import build_inputs  # noqa: E402
from tfskin.training import build_model, resolve_config, train  # noqa: E402

MODEL = "dcgan"
STEP_SCALE = 2.0 ** 12  # a loss scale at which dcgan tiny's first step is finite on both backends


def _config(precision="mixed_float16", **train_values):
    return resolve_config(MODEL, "tiny", data={"num_examples": 32},
                          train={"precision": precision, "export_at_end": False, "log_every": 1,
                                 "sample_every": 1000, **train_values})


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _model(directory, precision):
    """The tiny model under ``precision`` with the saved initial weights, and the saved batch."""
    model = build_model(_config(precision))
    saved = _load_state(model, directory)
    batch = {k.split("/", 1)[1]: saved[k] for k in saved.files if k.startswith("batch/")}
    return model, batch


def _load_state(model, directory):
    saved = np.load(Path(directory) / "state.npz")
    model.set_weights([saved[f"w{i}"].astype(keras.backend.standardize_dtype(v.dtype))
                       for i, v in enumerate(model.weights)])
    return saved


def _scaling_state(model) -> dict:
    """Each player's loss scale, growth counter and inner-optimizer iterations."""
    out = {}
    for player, opt in (("g", model.generator_optimizer), ("d", model.discriminator_optimizer)):
        out[player] = {"scale": float(_numpy(opt.dynamic_scale)), "counter": int(_numpy(opt.step_counter)),
                       "iterations": int(_numpy(opt.inner_optimizer.iterations)),
                       "growth_steps": int(opt.dynamic_growth_steps), "initial_scale": float(opt.initial_scale),
                       "in_state": any(v is opt.dynamic_scale for v in model.optimizer.variables)
                       and any(v is opt.step_counter for v in model.optimizer.variables)}
    return out


def _trainable(model):
    return [_numpy(v) for v in model.trainable_variables]


def write_state(directory):
    config = _config()
    model = build_model(config)
    stream = build_inputs(model.input_kind, config, model.latent_spec()).batches(0)
    batch = {k: np.asarray(v) for k, v in next(iter(stream)).items()}
    np.savez(Path(directory) / "state.npz", **{f"w{i}": _numpy(w) for i, w in enumerate(model.weights)},
             **{f"batch/{k}": v for k, v in batch.items()})


def one_step(directory):
    out = {}
    model, batch = _model(directory, "mixed_float16")
    # At Keras' initial scale: whether the step is skipped (the scale halves) must agree across backends.
    model.train_on_batch(batch)
    out.update({f"initial_scale/{p}": np.asarray(s["scale"]) for p, s in _scaling_state(model).items()})
    # From the same weights again, at a scale where neither player's float16 backward pass overflows.
    _load_state(model, directory)
    for opt in (model.generator_optimizer, model.discriminator_optimizer):
        opt.dynamic_scale.assign(STEP_SCALE)
        opt.step_counter.assign(0)
    runs = (("mixed_float16", model), ("float32", _model(directory, "float32")[0]))
    for precision, model in runs:
        logs = model.train_on_batch(batch, return_dict=True)
        out.update({f"{precision}/w{i}": _numpy(w) for i, w in enumerate(model.weights)})
        out.update({f"{precision}/loss/{k}": np.asarray(float(v)) for k, v in logs.items()})
        if precision == "mixed_float16":
            for player, s in _scaling_state(model).items():
                out.update({f"scaling/{player}/{k}": np.asarray(float(v)) for k, v in s.items()})
            out["names"] = np.array([w.path for w in model.weights])
            out["trainable"] = np.array([w.trainable for w in model.weights])
    np.savez(Path(directory) / f"step-{keras.backend.backend()}.npz", **out)


def _weights(model) -> dict:
    """Each player's trainable weights as NumPy arrays."""
    return {"g": [_numpy(v) for v in model.generator_variables],
            "d": [_numpy(v) for v in model.discriminator_variables]}


def _moved(before: dict, after: dict) -> dict:
    """How many of each player's weights changed."""
    return {p: sum(not np.array_equal(a, b) for a, b in zip(before[p], after[p])) for p in before}


def scaling(directory):
    model, batch = _model(directory, "mixed_float16")
    initial = before = _weights(model)
    record = {"start": _scaling_state(model), "num_weights": {p: len(w) for p, w in initial.items()}, "steps": []}
    for _ in range(3):
        logs = model.train_on_batch(batch, return_dict=True)
        after = _weights(model)
        record["steps"].append({"losses": {k: float(v) for k, v in logs.items()}, "state": _scaling_state(model),
                                "moved": _moved(before, after)})
        before = after
    record["moved_after_3"] = _moved(initial, before)

    # A scale this large overflows float16 in both backward passes: both players must skip their update.
    for opt in (model.generator_optimizer, model.discriminator_optimizer):
        opt.dynamic_scale.assign(2.0 ** 100)
    counter = int(_numpy(model.train_step_counter))
    logs = model.train_on_batch(batch, return_dict=True)
    after = _weights(model)
    record["overflow"] = {"state": _scaling_state(model), "moved": _moved(before, after),
                          "losses": {k: float(v) for k, v in logs.items()},
                          "step_counter_advanced": int(_numpy(model.train_step_counter)) - counter}
    before = after

    # The growth branch: the counter one short of dynamic_growth_steps, so this finite step doubles the scale.
    for opt in (model.generator_optimizer, model.discriminator_optimizer):
        opt.dynamic_scale.assign(STEP_SCALE)
        opt.step_counter.assign(opt.dynamic_growth_steps - 1)
    model.train_on_batch(batch)
    record["growth"] = {"state": _scaling_state(model), "moved": _moved(before, _weights(model))}
    (Path(directory) / "scaling.json").write_text(json.dumps(record))


def runner(directory):
    root = Path(directory)
    full = train(_config(steps=4, checkpoint_every=1), root / "full")
    train(_config(steps=2, checkpoint_every=1), root / "split")
    resumed = train(_config(steps=4, checkpoint_every=1), root / "split", resume=True)
    (root / "runner.json").write_text(json.dumps({
        "full": {"step": full.step, "checkpoint": full.checkpoint,
                 "logs": {k: float(v) for k, v in full.final_logs.items()}},
        "split": {"step": resumed.step, "checkpoint": resumed.checkpoint}}))


if __name__ == "__main__":
    mode, directory = sys.argv[1], sys.argv[2]
    {"state": write_state, "step": one_step, "scaling": scaling, "runner": runner}[mode](directory)
