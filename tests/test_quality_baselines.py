"""No-op baselines beside the run's quality figures: each is what it says it is, computed by the same code as
the figure it goes with (checked against direct computations), and the end-of-training summary and
TensorBoard show them."""

import io
import json

import keras
import numpy as np
import pytest
from array_inputs import ArrayInputs

from tfskin.color_stats import colour_distances
from tfskin.inputs import domains
from tfskin.inputs.baselines import COLOUR_BINS, quality_baselines, summary_lines, write_baselines
from tfskin.inputs.unpaired import UnpairedDomains
from tfskin.training import resolve_config, train


def test_noise_to_image_baselines_are_the_real_floor_and_the_mean_colour():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (300, 8, 8, 3)).astype(np.uint8)
    inputs = ArrayInputs(images)
    reference = inputs.reference_images(256)
    baselines = quality_baselines(inputs, {}, reference, 32)
    assert set(baselines.colour) == {"real_held_out", "mean_colour"} and baselines.class_share is None
    held_out = baselines.colour["real_held_out"]["wasserstein"]["mean"]
    assert held_out == pytest.approx(colour_distances(reference, images[256:288], bins=COLOUR_BINS)
                                     ["wasserstein"]["mean"])
    # W1 between a channel's values and one colour is the mean absolute deviation from it
    mean = np.round(reference.reshape(-1, 3).mean(0))
    deviation = np.abs(reference.reshape(-1, 3).astype(np.float64) - mean).mean(0).mean()
    assert baselines.colour["mean_colour"]["wasserstein"]["mean"] == pytest.approx(deviation, rel=1e-6)
    assert held_out < deviation / 5
    scalars = baselines.scalars()
    assert scalars["colour_wasserstein_baseline_mean_colour"] == pytest.approx(deviation, rel=1e-6)
    line = summary_lines(baselines.to_dict())[0]
    assert "real images outside the reference batch" in line and "real mean colour" in line


def _scorer_model(path):
    """A (N, 2) softmax whose second column grows with redness: saved as .keras for ``load_scorer``."""
    inputs = keras.Input((None, None, 3))
    redness = keras.layers.GlobalAveragePooling2D()(inputs)
    logits = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant([[-0.05, 0.05], [0.05, -0.05],
                                                                                     [0.0, 0.0]]),
                                bias_initializer=keras.initializers.Constant([2.0, -2.0]))(redness)
    keras.Model(inputs, keras.layers.Softmax()(logits)).save(path)
    return path


def _first_of_class(config, name, n):
    size = tuple(config.data.image_size)
    return next(domains.class_domain(config.data, name, size).take(n).batch(n).as_numpy_iterator())["image"]


@pytest.mark.slow
def test_cyclegan_class_share_uses_the_runs_classifier_on_outputs_inputs_and_real_images(tmp_path):
    config = resolve_config("cyclegan", "tiny", model_overrides={
        "filter_classifier": str(_scorer_model(tmp_path / "red.keras")), "filter_alpha": 0.5})
    inputs = UnpairedDomains(config)
    preview = inputs.preview(32)
    reference = inputs.reference_images(256)
    baselines = quality_baselines(inputs, preview, reference, 32)
    nevi, melanomas = _first_of_class(config, "NV", len(preview["images_a"])), _first_of_class(config, "MEL", 32)
    scorer = domains.load_scorer(tmp_path / "red.keras", "MEL")
    share = baselines.class_share
    assert share["inputs"] == pytest.approx(np.mean(scorer(nevi) > 0.5))
    assert share["inputs_probability"] == pytest.approx(np.mean(scorer(nevi)))
    assert share["real"] == pytest.approx(np.mean(scorer(melanomas) > 0.5))  # unfiltered domain B
    assert share["real_probability"] == pytest.approx(np.mean(scorer(melanomas)))
    as_outputs = baselines.output_scores({"image": nevi / 255.0})
    assert {k: as_outputs[k] for k in ("class_share", "class_probability")} == pytest.approx(
        {"class_share": share["inputs"], "class_probability": share["inputs_probability"]})
    report = write_baselines(tmp_path / "q.json", baselines, {0: {"class_share": 0.1, "class_probability": 0.2},
                                                              8: {"class_share": 0.6, "class_probability": 0.55}})
    assert json.loads((tmp_path / "q.json").read_text()) == json.loads(json.dumps(report))
    lines = "\n".join(summary_lines(report))
    assert "the inputs, untranslated" in lines
    assert "share judged MEL" in lines and "step 0: 10% (mean p 0.20) -> step 8: 60% (mean p 0.55)" in lines
    assert f"untranslated inputs {share['inputs']:.0%} (mean p {share['inputs_probability']:.2f})" in lines
    assert "real MEL (class MEL, unfiltered)" in lines


def test_cyclegan_baseline_is_the_untranslated_inputs_and_without_a_classifier_no_class_share():
    config = resolve_config("cyclegan", "tiny")
    inputs = UnpairedDomains(config)
    preview, reference = inputs.preview(8), inputs.reference_images(256)
    baselines = quality_baselines(inputs, preview, reference, 8)
    nevi = _first_of_class(config, "NV", 8)  # domain A, as the preview holds it
    assert baselines.colour["untranslated_inputs"] == colour_distances(reference, nevi, bins=COLOUR_BINS)
    assert baselines.class_share is None and "no classifier in this run" in baselines.no_class_share
    assert "share judged the target class: none" in "\n".join(summary_lines(baselines.to_dict()))


@pytest.mark.slow
def test_the_train_summary_and_tensorboard_show_the_baselines(tmp_path, capsys):
    from tfskin.cli import main

    assert main(["train", "--model", "cyclegan", "--preset", "tiny", "--steps", "2", "--no-export",
                 "--run-dir", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "colour distance of fixed samples" in out and "the inputs, untranslated" in out
    report = json.loads((tmp_path / "run" / "quality_baselines.json").read_text())
    assert "untranslated_inputs" in report["colour"]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "run" / "logs"), size_guidance={"tensors": 0}).Reload()
    tags = events.Tags()["tensors"]
    assert "quality/colour_wasserstein" in tags and "quality/colour_wasserstein_baseline_untranslated_inputs" in tags


@pytest.mark.slow
def test_train_result_carries_the_baselines(tmp_path):
    result = train(resolve_config("dcgan", "tiny", train={"steps": 1, "export_at_end": False}), tmp_path / "run",
                   stream=io.StringIO())
    assert set(result.baselines["colour"]) >= {"mean_colour"}
    assert (tmp_path / "run" / "quality_baselines.json").is_file()


@pytest.mark.slow
def test_pix2pixhd_baseline_paints_each_label_its_real_mean_colour():
    from tfskin.inputs.baselines import _label_map_mean_colours
    from tfskin.inputs.label_maps import LabelMaps

    inputs = LabelMaps(resolve_config("pix2pixhd", "tiny"))
    preview, reference = inputs.preview(8), inputs.reference_images(256)
    baselines = quality_baselines(inputs, preview, reference, 8)
    assert {"label_map_mean_colours", "mean_colour"} <= set(baselines.colour)
    ref = next(inputs.examples.take(len(reference)).batch(len(reference)).as_numpy_iterator())
    maps, labels = np.asarray(preview["label_map"])[..., 0], ref["label_map"][..., 0]
    painted = _label_map_mean_colours(inputs.examples, preview["label_map"], len(reference))
    for label in np.unique(maps):
        expected = np.round(ref["image"][labels == label].mean(0))
        np.testing.assert_array_equal(painted[maps == label], np.broadcast_to(expected, painted[maps == label].shape))
    assert baselines.colour["label_map_mean_colours"] == colour_distances(reference, painted, bins=COLOUR_BINS)
