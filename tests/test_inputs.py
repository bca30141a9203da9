"""The runner's input objects (``tfskin.inputs``): one per family, chosen by the model's ``input_kind``."""

import numpy as np
import pytest

from tfskin.config import ConfigError
from tfskin.inputs import build_inputs
from tfskin.inputs.images import LabelledImages, NoiseAndImages
from tfskin.inputs.label_maps import LabelMaps
from tfskin.inputs.unpaired import UnpairedDomains
from tfskin.registry import get_model, model_names
from tfskin.training import resolve_config

FAMILIES = {"dcgan": NoiseAndImages, "ddgan": NoiseAndImages, "lapgan": NoiseAndImages,
            "progan_frozen": NoiseAndImages, "acgan": LabelledImages, "progan": LabelledImages,
            "cyclegan": UnpairedDomains, "pix2pixhd": LabelMaps}


@pytest.mark.parametrize("name", model_names())
def test_each_family_gets_its_input_object(name):
    model_class = get_model(name).model_class
    inputs = build_inputs(model_class.input_kind, resolve_config(name, "tiny"), {})
    assert type(inputs) is FAMILIES[name]


def test_an_unknown_input_kind_is_refused():
    with pytest.raises(ConfigError, match="no input object"):
        build_inputs("paired_videos", resolve_config("dcgan", "tiny"))


def test_labelled_preview_is_fixed_by_the_run_seed_and_cycles_the_classes():
    spec = {"noise": ((16,), "normal"), "fake_labels": ((), ("categorical", 8, None))}
    first = LabelledImages(resolve_config("acgan", "tiny"), spec).preview(16)
    again = LabelledImages(resolve_config("acgan", "tiny"), spec).preview(16)
    other = LabelledImages(resolve_config("acgan", "tiny", train={"seed": 1}), spec).preview(16)
    np.testing.assert_array_equal(first["noise"], again["noise"])
    assert not np.array_equal(first["noise"], other["noise"]) and first["noise"].shape == (16, 16)
    assert list(first["label"]) == list(range(8)) * 2


def test_noise_batches_resume_at_their_step_and_carry_the_model_random_inputs():
    config = resolve_config("dcgan", "tiny", train={"batch_size": 4})
    spec = {"noise": ((16,), "normal")}
    stream = iter(NoiseAndImages(config, spec).batches(0))
    next(stream)
    second = next(stream)
    resumed = next(iter(NoiseAndImages(config, spec).batches(1)))
    assert sorted(second) == ["images", "labels", "noise"] and second["images"].shape == (4, 32, 32, 3)
    for key in second:
        np.testing.assert_array_equal(np.asarray(second[key]), np.asarray(resumed[key]))
    preview = np.asarray(NoiseAndImages(config, spec).preview(8)["noise"])
    assert preview.shape == (8, 16)
    np.testing.assert_array_equal(preview, np.asarray(NoiseAndImages(config, spec).preview(8)["noise"]))
    reseeded = NoiseAndImages(config.replace(train=config.train.replace(seed=1)), spec).preview(8)["noise"]
    assert not np.array_equal(preview, np.asarray(reseeded))
