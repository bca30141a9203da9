"""Checks every tfskin GAN must pass, used by the model contract test (``test_model_contract.py``) and by tests
that look closer at one model: a batch from the model's own ``example_batch``, one graph-mode fit step, a
``.keras`` round trip, inputs for every serving signature, and SavedModels called in one fresh process that
does not import tfskin (``saved_model_child.py``)."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfskin.registry import get_model

CHILD = Path(__file__).resolve().parent / "saved_model_child.py"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def preset_model(model_class, name: str, preset: str, **changes):
    """``model_class`` built as preset ``preset`` of model ``name`` (its architecture at its image shape)."""
    chosen = get_model(name).preset(preset)
    config = chosen.model_config.replace(**changes) if changes else chosen.model_config
    return model_class(config, image_shape=chosen.image_shape)


def random_batch(model, n: int = 4, seed: int = 0) -> dict:
    """The model's own ``example_batch(n)`` (its training batch's keys, shapes and dtypes) filled with random
    values: floats uniform in [-1, 1] (the range of training images; fine as latent noise), ints 0 or 1 (a valid
    class index, label id or instance id for every model)."""
    rng = np.random.default_rng(seed)
    batch = {}
    for key, value in model.example_batch(n).items():
        shape, dtype = tuple(value.shape), keras.backend.standardize_dtype(value.dtype)
        if np.issubdtype(np.dtype(dtype), np.integer):
            batch[key] = rng.integers(0, 2, shape).astype(dtype)
        else:
            batch[key] = rng.uniform(-1, 1, shape).astype(dtype)
    return batch


def weights_of(networks):
    return [np.array(v.numpy()) for net in networks for v in net.trainable_variables]


def changed(before, after) -> bool:
    return any(not np.array_equal(b, a) for b, a in zip(before, after))


def check_one_fit_step(model, batch: dict, steps: int = 1):
    """Runs ``fit`` for ``steps`` step(s) in graph mode and checks the step's contract; returns the logs.

    Every loss in ``loss_names`` is logged and finite; the step counter advanced by ``steps``; no variable is
    updated by both players; each network holding variables the step updates (``generator_variables``,
    ``discriminator_variables``) changed; and no other trainable variable did (frozen levels or stages, fixed
    feature networks)."""
    trainable = model.trainable_variables
    before = [np.array(v.numpy()) for v in trainable]
    counter = int(model.train_step_counter.numpy())
    ds = tf.data.Dataset.from_tensors(batch).repeat()
    history = model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    logs = {k: v[-1] for k, v in history.history.items()}
    assert not model.run_eagerly
    for name in model.loss_names:
        assert name in logs, f"{name} missing from logs {sorted(logs)}"
        assert np.isfinite(logs[name]), f"{name} = {logs[name]}"
    assert int(model.train_step_counter.numpy()) == counter + steps
    moved = {id(v) for v, b in zip(trainable, before, strict=True) if not np.array_equal(b, np.array(v.numpy()))}
    players = {"generator": model.generator_variables, "discriminator": model.discriminator_variables}
    updated = {role: {id(v) for v in variables} for role, variables in players.items()}
    assert not updated["generator"] & updated["discriminator"], "a variable is updated by both players"
    for role, networks in (("generator", model.generator_networks), ("discriminator", model.discriminator_networks)):
        assert updated[role], f"the step updates no {role} variable"
        for net in networks:
            own = {id(v) for v in net.trainable_variables} & updated[role]
            assert not own or own & moved, f"{role} network {net.name} did not change"
    others = [v.path for v in trainable if id(v) in moved - updated["generator"] - updated["discriminator"]]
    assert not others, f"variables outside the step's update sets changed: {others}"
    return logs


def eager_step_logs(model, batch: dict) -> dict:
    """The logs of one real training step run eagerly (``train_on_batch`` with ``run_eagerly``: no graph to
    trace), as floats: for tests of what a model logs, which the contract test runs in graph mode."""
    model.run_eagerly = True
    return {k: float(v) for k, v in model.train_on_batch(batch, return_dict=True).items()}


def signature_inputs(model, n: int = 3, seed: int = 0) -> dict:
    """Random inputs for each of ``model.export_signatures()``: name -> {input name: array}. Dimensions a spec
    leaves open are the batch (``n``) and then the model's image height and width; floats are uniform in [0, 1]
    (images in [0, 1]; fine as latent noise), ints 0 or 1 (a class index, label id or instance id), strings
    PNGs of the model's image size (inputs named ``*_png``)."""
    rng = np.random.default_rng(seed)
    h, w = model.image_size
    result = {}
    for name, (_, specs) in model.export_signatures().items():
        inputs = {}
        for spec in specs:
            shape = [dim if dim is not None else (n, h, w)[i] for i, dim in enumerate(spec.shape.as_list())]
            if spec.dtype == tf.string:
                assert spec.name.endswith("_png") and shape == [n], f"{name}: no test input for {spec}"
                pixels = rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)
                inputs[spec.name] = np.array([tf.io.encode_png(p).numpy() for p in pixels], dtype=object)
            elif spec.dtype.is_integer:
                inputs[spec.name] = rng.integers(0, 2, shape).astype(spec.dtype.as_numpy_dtype)
            else:
                inputs[spec.name] = rng.uniform(0, 1, shape).astype(spec.dtype.as_numpy_dtype)
        result[name] = inputs
    return result


def signature_functions(model) -> dict:
    """``model.export_signatures()`` as ``tf.function``s with their input signatures, as export traces them
    (dimensions a spec leaves open stay open)."""
    return {name: tf.function(fn, input_signature=specs) for name, (fn, specs) in model.export_signatures().items()}


def signature_outputs(model, inputs: dict) -> dict:
    """Every export signature of ``model`` called in process on ``inputs`` (from ``signature_inputs``)."""
    functions = signature_functions(model)
    return {name: {key: np.asarray(value) for key, value in functions[name](**args).items()}
            for name, args in inputs.items()}


def decode_pngs(values) -> np.ndarray:
    return np.stack([tf.io.decode_png(v).numpy() for v in values])


def check_same_outputs(actual: dict, expected: dict, where: str):
    """Outputs of one signature agree: float arrays within 1e-5, PNG bytes (``*_png_bytes``) valid PNGs whose
    pixels differ by at most one level (a float rounding at .5 may round the other way)."""
    assert sorted(actual) == sorted(expected), f"{where}: outputs {sorted(actual)} != {sorted(expected)}"
    for key, value in expected.items():
        if key.endswith("_png_bytes"):
            assert all(bytes(v[:8]) == PNG_MAGIC for v in actual[key]), f"{where}: {key} is not PNG"
            diff = np.abs(decode_pngs(actual[key]).astype(int) - decode_pngs(value).astype(int))
            assert diff.max() <= 1, f"{where}: {key} pixels differ by {diff.max()}"
        else:
            np.testing.assert_allclose(actual[key], value, atol=1e-5, err_msg=f"{where}: {key}")


def check_keras_round_trip(model, tmp_path):
    """Saves the whole model as ``.keras``, loads it, and checks every export signature gives the same outputs
    on both (the inference path, as served); returns the loaded model."""
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model) and loaded.image_shape == model.image_shape
    inputs = signature_inputs(model)
    expected, actual = signature_outputs(model, inputs), signature_outputs(loaded, inputs)
    for name in expected:
        check_same_outputs(actual[name], expected[name], f".keras round trip, {name}")
    return loaded


def call_in_fresh_process(cases: list, work_dir: Path, timeout: float = 600) -> tuple:
    """Calls SavedModel signatures in ONE fresh interpreter that does not import tfskin.

    ``cases``: ``(saved_model_path, signature, inputs)`` triples. Returns (outputs per case, the child's report:
    ``tfskin_imported`` and per case the SavedModel's ``signatures`` and ``default_outputs``)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    listed = []
    for i, (path, signature, inputs) in enumerate(cases):
        np.savez(work_dir / f"in{i}.npz", **inputs)
        listed.append({"path": str(path), "signature": signature, "inputs": str(work_dir / f"in{i}.npz"),
                       "outputs": str(work_dir / f"out{i}.npz")})
    (work_dir / "cases.json").write_text(json.dumps(listed))
    proc = subprocess.run([sys.executable, str(CHILD), str(work_dir / "cases.json")], capture_output=True,
                          text=True, timeout=timeout, cwd=str(work_dir))
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    outputs = []
    for case in listed:
        with np.load(case["outputs"], allow_pickle=True) as data:
            outputs.append(dict(data))
    return outputs, report


def logged_scalars(log_dir, tag) -> list:
    """Values of a scalar the runner logged to TensorBoard (``loss/<tag>``), in step order."""
    values = {}
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == f"loss/{tag}":
                    values[event.step] = float(tf.make_ndarray(value.tensor))
    return [values[k] for k in sorted(values)]
