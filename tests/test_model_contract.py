"""The contract every registered model keeps, checked for each ``tiny*`` preset of the registry with the model's
own ``example_batch``: one graph-mode fit step trains exactly its two players, a ``.keras`` round trip gives the
same outputs, and every serving signature of its SavedModel, called in one fresh process that does not import
tfskin (all models together), answers what the model answers in process. Model-specific checks live in
``test_<model>.py``."""

import numpy as np
import pytest
from gan_harness import (
    call_in_fresh_process,
    check_keras_round_trip,
    check_one_fit_step,
    check_same_outputs,
    random_batch,
    signature_inputs,
    signature_outputs,
)

from tfskin.registry import get_model, model_names
from tfskin.serving.export import export_model
from tfskin.training import build_model, resolve_config

CASES = [(name, preset) for name in model_names() for preset in get_model(name).presets if preset.startswith("tiny")]
# The steps longest to trace run with --run-slow (as before the contract test), so the default tier costs no more;
# the default still exports and serves every registered model, and test_cyclegan.py / test_pix2pixhd.py take
# one eager step of each by default.
SLOW_STEPS = {("cyclegan", "tiny"), ("pix2pixhd", "tiny"), ("pix2pixhd", "tiny_semantic")}


def _model(name, preset):
    return build_model(resolve_config(name, preset))


@pytest.mark.parametrize(("name", "preset"), [
    pytest.param(n, p, id=f"{n}-{p}", marks=pytest.mark.slow if (n, p) in SLOW_STEPS else ()) for n, p in CASES])
def test_fit_step_trains_both_players_and_keras_round_trip_keeps_outputs(name, preset, tmp_path):
    model = _model(name, preset)
    check_one_fit_step(model, random_batch(model))
    loaded = check_keras_round_trip(model, tmp_path)  # after the step: the weights are not the initial ones
    assert int(loaded.train_step_counter.numpy()) == 1


def check_output_contract(model, outputs: dict, n: int, where: str):
    """Images (n, H, W, 3) float32 in [0, 1], a mask (n, H, W, 1) exactly when the model makes 4 channels, PNG
    bytes one per example."""
    h, w = model.image_size
    if "image" in outputs:
        image = outputs["image"]
        assert image.shape == (n, h, w, 3) and image.dtype == np.float32, f"{where}: {image.shape} {image.dtype}"
        assert 0.0 <= image.min() and image.max() <= 1.0, f"{where}: image outside [0, 1]"
        assert ("mask" in outputs) == (model.channels == 4), f"{where}: outputs {sorted(outputs)}"
    if "mask" in outputs:
        assert outputs["mask"].shape == (n, h, w, 1) and 0.0 <= outputs["mask"].min() <= outputs["mask"].max() <= 1
    assert any(key.endswith("_png_bytes") for key in outputs), f"{where}: no PNG output"
    for key in outputs:
        if key.endswith("_png_bytes"):
            assert outputs[key].shape == (n,), f"{where}: {key} {outputs[key].shape}"


def test_every_export_answers_in_one_fresh_process_without_tfskin(tmp_path):
    """All models' SavedModels are called in one child process (one TensorFlow import for all)."""
    cases, expected = [], []
    for name, preset in CASES:
        model = _model(name, preset)
        path = export_model(model, tmp_path / "models" / f"{name}_{preset}")
        assert path.name == "1" and path.parent.name == f"{name}_{preset}"
        inputs = signature_inputs(model)
        in_process = signature_outputs(model, inputs)
        signatures = list(model.export_signatures())
        for signature in signatures:
            check_output_contract(model, in_process[signature], 3, f"{name}/{preset} {signature}")
            cases.append((path, signature, inputs[signature]))
            expected.append((f"{name}/{preset} {signature}", signatures, in_process[signature],
                             in_process[signatures[0]]))
    served, report = call_in_fresh_process(cases, tmp_path / "child")
    assert report["tfskin_imported"] is False
    failures = []
    for (where, signatures, outputs, default), got, seen in zip(expected, served, report["cases"], strict=True):
        try:
            assert seen["signatures"] == sorted([*signatures, "serving_default"]), seen["signatures"]
            assert seen["default_outputs"] == sorted(default), "serving_default is not the first signature"
            check_same_outputs(got, outputs, "served")
        except AssertionError as err:
            failures.append(f"{where}: {err}")
    assert not failures, "\n".join(failures)
