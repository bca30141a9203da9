"""Shared checks every tfskin GAN must pass: one graph-mode fit step on tiny shapes (finite losses, the right
networks' weights changed), a ``.keras`` round trip, and an export round trip loaded in a fresh process that
does not import tfskin."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import tensorflow as tf

from tfskin.registry import get_model
from tfskin.serving.export import export_model


def preset_model(model_class, name: str, preset: str, **changes):
    """``model_class`` built as preset ``preset`` of model ``name`` (its architecture at its image shape)."""
    chosen = get_model(name).preset(preset)
    config = chosen.model_config.replace(**changes) if changes else chosen.model_config
    return model_class(config, image_shape=chosen.image_shape)


def weights_of(networks):
    return [np.array(v.numpy()) for net in networks for v in net.trainable_variables]


def changed(before, after) -> bool:
    return any(not np.array_equal(b, a) for b, a in zip(before, after))


def check_one_fit_step(model, batch: dict, steps: int = 1):
    """Runs ``fit`` for ``steps`` step(s) in graph mode; returns the logs."""
    g_before = weights_of(model.generator_networks)
    d_before = weights_of(model.discriminator_networks)
    ds = tf.data.Dataset.from_tensors(batch).repeat()
    history = model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert not model.run_eagerly
    for name in model.loss_names:
        assert name in logs, f"{name} missing from logs {sorted(logs)}"
        assert np.isfinite(logs[name]), f"{name} = {logs[name]}"
    assert changed(g_before, weights_of(model.generator_networks)), "generator weights did not change"
    assert changed(d_before, weights_of(model.discriminator_networks)), "discriminator weights did not change"
    assert int(model.train_step_counter.numpy()) >= 1
    return logs


def check_keras_round_trip(model, inputs, tmp_path):
    """Saves the whole model as ``.keras``, loads it, and compares inference outputs."""
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    expected = model(inputs)
    actual = loaded(inputs)
    for key in expected:
        np.testing.assert_allclose(np.asarray(actual[key]), np.asarray(expected[key]), atol=1e-5)
    return loaded


_FRESH_PROCESS = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, inputs_file, signature = sys.argv[1], sys.argv[2], sys.argv[3]
    loaded = tf.saved_model.load(path)
    inputs = {k: tf.constant(v) for k, v in np.load(inputs_file).items()}
    outputs = loaded.signatures[signature](**inputs)
    default = loaded.signatures["serving_default"](**inputs)
    np.savez(inputs_file + ".out.npz", **{k: v.numpy() for k, v in outputs.items()})
    print(json.dumps({"tfskin_imported": "tfskin" in sys.modules, "signatures": sorted(loaded.signatures),
                      "default_keys": sorted(default)}))
""")


def check_export_round_trip(model, inputs: dict, tmp_path, signature: str):
    """Exports, then calls ``signature`` in a fresh interpreter without tfskin; returns its outputs."""
    path = export_model(model, tmp_path / "served" / "m")
    assert path.name == "1" and path.parent.name == "m"
    inputs_file = tmp_path / "inputs.npz"
    np.savez(inputs_file, **{k: np.asarray(v) for k, v in inputs.items()})
    proc = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, str(path), str(inputs_file), signature],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["tfskin_imported"] is False
    assert signature in info["signatures"] and "serving_default" in info["signatures"]
    with np.load(str(inputs_file) + ".out.npz", allow_pickle=True) as data:
        outputs = dict(data)
    return outputs, info


def logged_scalars(log_dir, tag) -> list:
    """Values of a scalar the runner logged to TensorBoard (``loss/<tag>``), in step order."""
    values = {}
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == f"loss/{tag}":
                    values[event.step] = float(tf.make_ndarray(value.tensor))
    return [values[k] for k in sorted(values)]
