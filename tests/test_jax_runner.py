"""``tfskin train`` on Keras' JAX backend: train, resume exactly, sample, export.

One process has one Keras backend, so the JAX side runs as one child process (``KERAS_BACKEND=jax``,
``JAX_PLATFORMS=cpu``) that does everything JAX: it trains the dcgan ``tiny`` run for 4 steps uninterrupted
(exporting at the end, which the runner does from a grandchild on the TensorFlow backend), trains a second run
for 2 steps and resumes it to 4, runs ``tfskin sample`` on both, records the generator's outputs for fixed
noise, collects the one-line errors of what JAX does not support, and resolves a cyclegan run (accepted since
its image pool is ``keras.ops``; its step is checked in tests/test_jax_backend.py). This process (TensorFlow)
then checks the results; the whole file takes about a minute on a 2-core CPU. Skipped (with the reason) where
JAX is not installed: ``pip install -e ".[jax]"``.
"""

import importlib.util
import json
import textwrap

import numpy as np
import pytest
from backend_child import run_on_backend

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                       reason="JAX is not installed (pip install -e '.[jax]'); the JAX runner is not tested"),
]

STEPS = 4
NOISE = 3  # fixed noise vectors whose images the JAX model and the exported SavedModel must agree on

_JAX_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path

    import keras
    import numpy as np

    from tfskin.cli import main
    from tfskin.errors import ConfigError
    from tfskin.runs import load_trained_model
    from tfskin.serving.export import export_model
    from tfskin.training import resolve_config, train

    root, steps, noise_count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    assert keras.backend.backend() == "jax"

    def config(n, **train_values):
        return resolve_config("dcgan", "tiny", data={"num_examples": 32},
                              train={"steps": n, "log_every": 1, "checkpoint_every": 1, "sample_every": 1000,
                                     "precision": "float32", "export_at_end": False, **train_values})

    results = {}
    full = train(config(steps, export_at_end=True), root / "full")
    results["full"] = {"step": full.step, "checkpoint": full.checkpoint, "export": str(full.export_path)}
    train(config(steps // 2), root / "split")
    resumed = train(config(steps), root / "split", resume=True)
    results["split"] = {"step": resumed.step, "checkpoint": resumed.checkpoint}

    for run in ("full", "split"):
        results[f"sample_{run}"] = main(["sample", "--run", str(root / run), "--n", "4", "--seed", "3",
                                         "--out", str(root / f"samples_{run}")])

    _, model = load_trained_model(root / "full")
    noise = np.random.default_rng(0).standard_normal((noise_count, model.config.latent_dim)).astype("float32")
    images = keras.ops.convert_to_numpy(model(noise)["image"])
    np.savez(root / "generated.npz", noise=noise, image=images)

    errors = {}
    try:
        export_model(model, root / "direct_export")
    except ConfigError as err:
        errors["export_model"] = str(err)
    try:
        train(config(steps, strategy="mirrored"), root / "mirrored")
    except ConfigError as err:
        errors["mirrored"] = str(err)
    results["errors"] = errors
    # every model trains on JAX (cyclegan included: tests/test_jax_backend.py takes its step)
    results["cyclegan"] = resolve_config("cyclegan", "tiny").model_config.pool_size
    (root / "results.json").write_text(json.dumps(results))
""")


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jax_runner")
    run_on_backend("jax", "-c", _JAX_SCRIPT, root, STEPS, NOISE)
    return root, json.loads((root / "results.json").read_text())


def _state(path):
    """The training state in an npz checkpoint: every array but the loss trackers and the (process-dependent)
    variable paths."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files if not k.startswith("metrics/") and not k.endswith("/paths")}


def test_resumed_jax_run_ends_with_the_uninterrupted_runs_state_bit_for_bit(jax_runs):
    root, results = jax_runs
    assert results["full"]["step"] == results["split"]["step"] == STEPS
    assert results["full"]["checkpoint"].endswith(f"ckpt-{STEPS}.npz")
    full, resumed = _state(results["full"]["checkpoint"]), _state(results["split"]["checkpoint"])
    assert full.keys() == resumed.keys()
    groups = {k.split("/")[0] for k in full if "/" in k}
    assert groups == {"model", "generator_optimizer", "discriminator_optimizer"}
    for key, value in full.items():
        np.testing.assert_array_equal(resumed[key], value, err_msg=key)
    # ... and the comparison can fail: the state of step 2 (where the split run stopped) differs
    halfway = _state(root / "full" / "checkpoints" / f"ckpt-{STEPS // 2}.npz")
    assert any(not np.array_equal(halfway[k], full[k]) for k in full if k.startswith("model/"))
    # the checkpoints kept: the last 3 (keep_checkpoints), no temporary files
    assert sorted(p.name for p in (root / "full" / "checkpoints").iterdir()) == [
        f"ckpt-{s}.npz" for s in range(STEPS - 2, STEPS + 1)]


def test_tfskin_sample_reads_a_jax_run(jax_runs):
    root, results = jax_runs
    assert results["sample_full"] == results["sample_split"] == 0
    full, split = root / "samples_full", root / "samples_split"
    assert sorted(p.name for p in full.glob("*.png")) == [f"sample_{i:05d}.png" for i in range(4)]
    # same weights, same seed: the same PNG bytes
    grids = [folder.with_name(folder.name + ".grid.png") for folder in (full, split)]
    assert grids[0].read_bytes() == grids[1].read_bytes()


def test_jax_run_exports_the_tf_signatures_with_the_jax_models_outputs(jax_runs):
    import tensorflow as tf

    root, results = jax_runs
    export = root / "full" / "export" / "dcgan" / "1"
    assert results["full"]["export"] == str(export)
    assert (export / "assets.extra" / "tfskin_model_card.json").is_file()
    loaded = tf.saved_model.load(str(export))
    assert set(loaded.signatures) == {"generate", "generate_png", "serving_default"}
    generated = np.load(root / "generated.npz")
    outputs = loaded.signatures["generate"](noise=tf.constant(generated["noise"]))
    assert set(outputs) == {"image", "image_png_bytes"}
    # the TF model loaded from the JAX run's checkpoint computes the JAX model's images
    np.testing.assert_allclose(outputs["image"].numpy(), generated["image"], atol=1e-5)


def test_what_jax_does_not_support_is_one_clear_line(jax_runs):
    errors = jax_runs[1]["errors"]
    assert set(errors) == {"export_model", "mirrored"}
    assert "KERAS_BACKEND=tensorflow tfskin export --run" in errors["export_model"]
    assert "--strategy default" in errors["mirrored"] and "TensorFlow backend" in errors["mirrored"]
    assert all("\n" not in message for message in errors.values())


def test_cyclegan_run_is_accepted_on_jax(jax_runs):
    assert jax_runs[1]["cyclegan"] == 4  # the tiny preset resolved (its pool size), no ConfigError
