"""pix2pixHD: logged losses and boundaries computed in the export (semantic and semantic + instance), inputs from
the label-map code, joint flips, the VGG19 loss with a local weights file, resume, mirrored and mixed precision
steps, new label maps."""


import keras
import numpy as np
import pytest
import tensorflow as tf
from gan_harness import check_one_fit_step, eager_step_logs, logged_scalars, signature_functions
from numerics import check_mirrored_within_split_spread, float_arrays, on_two_halves

from tfskin.config import ConfigError
from tfskin.data.instances import boundary_map
from tfskin.data.labelmaps import LESION, NUM_LABELS
from tfskin.inputs.label_maps import conditioned_examples, make_batches
from tfskin.models.pix2pixhd import new_maps, vgg
from tfskin.models.pix2pixhd.config import Pix2PixHDConfig
from tfskin.models.pix2pixhd.model import Pix2PixHD
from tfskin.registry import get_model
from tfskin.runtime import make_strategy
from tfskin.training import build_model, load_trained_model, resolve_config, train

TINY_TRAIN = {"export_at_end": False, "log_every": 1, "sample_every": 1000}


def _maps(config, n=4):
    """Real phantom maps (label ids, instance ids, boundary) of a run config, and their images."""
    batch = next(conditioned_examples(config).take(n).batch(n).as_numpy_iterator())
    return batch


def _batch(config, n=4):
    maps = _maps(config, n)
    batch = {"images": maps["image"].astype("float32") / 127.5 - 1.0,
             "label_map": maps["label_map"].astype("int32")}
    if config.model_config.use_instance:
        batch["boundary"] = maps["boundary"].astype("float32")
    return batch, maps


@pytest.mark.parametrize("preset", [pytest.param("tiny_semantic", marks=pytest.mark.slow), "tiny"])
def test_one_step_logs_feature_matching_and_l1_and_the_export_computes_boundaries(preset):
    config = resolve_config("pix2pixhd", preset)
    model = build_model(config)
    batch, maps = _batch(config)
    logs = eager_step_logs(model, batch)
    assert logs["g_feat"] > 0 and logs["l1"] > 0
    label_ids = maps["label_map"][..., 0].astype("int32")
    synthesize = signature_functions(model)["synthesize"]
    if preset == "tiny_semantic":
        served, expected = synthesize(label_map=label_ids), model(label_ids)
    else:  # the boundary map is computed inside the signature from instance ids, as the data pipeline does
        served = synthesize(label_map=label_ids, instance_map=maps["instance_map"][..., 0].astype("int32"))
        expected = model(label_ids, maps["boundary"])
    assert served["image"].shape == (4, 32, 32, 3)
    np.testing.assert_allclose(np.asarray(served["image"]), np.asarray(expected["image"]), atol=1e-5)


def test_paper_presets_and_config_checks():
    spec = get_model("pix2pixhd")
    instance = spec.preset("paper1024x512_instance")
    semantic = spec.preset("paper1024x512_semantic").model_config
    m = instance.model_config
    assert instance.image_shape == (512, 1024, 3) and instance.data["name"] == "isic2018_task1_2"
    assert (m.generator_filters, m.downsamplings, m.residual_blocks, m.num_d, m.lambda_feat) == (64, 4, 9, 3, 10.0)
    assert m.input_channels == NUM_LABELS + 1 and semantic.input_channels == NUM_LABELS
    with pytest.raises(ConfigError, match="divisible"):
        Pix2PixHDConfig().check_image_shape((40, 64), 3)
    with pytest.raises(ConfigError, match="too small"):
        Pix2PixHDConfig(num_d=4).check_image_shape((32, 32), 3)


def test_inputs_come_from_the_label_map_code_and_flip_with_the_image():
    config = resolve_config("pix2pixhd", "tiny", data={"shuffle_buffer": 1})
    maps = _maps(config, 4)
    assert set(np.unique(maps["label_map"])) <= set(range(NUM_LABELS)) and LESION in maps["label_map"]
    for inst, b in zip(maps["instance_map"], maps["boundary"], strict=False):
        np.testing.assert_array_equal(boundary_map(inst).numpy(), b)
    batch = next(iter(make_batches(config, start_step=0)))
    for i in range(4):  # each image was flipped/transposed together with its maps
        image = np.round((batch["images"][i].numpy() + 1) * 127.5)
        poses = [lambda x: x, lambda x: x[::-1], lambda x: x[:, ::-1], lambda x: x[::-1, ::-1]]
        poses += [lambda x, p=p: np.transpose(p(x), (1, 0, 2)) for p in poses]
        matches = [p for p in poses if np.abs(p(maps["image"][i].astype(float)) - image).max() <= 1]
        assert matches, f"example {i}: no dihedral pose of the source image matches"
        np.testing.assert_array_equal(matches[0](maps["label_map"][i]), batch["label_map"][i].numpy())
        np.testing.assert_array_equal(matches[0](maps["boundary"][i]), batch["boundary"][i].numpy())


@pytest.mark.slow
def test_vgg_loss_reads_a_local_weights_file_and_fails_clearly_without_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))
    with pytest.raises(ConfigError, match="--vgg-weights none"):
        vgg.resolve_weights("imagenet")
    assert vgg.resolve_weights("auto") is None and "without the VGG perceptual loss" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="not found"):
        vgg.resolve_weights(str(tmp_path / "missing.h5"))
    # a weights file written from an untrained VGG19 stands in for the ImageNet one (nothing is downloaded)
    keras.utils.set_random_seed(0)
    source = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
    weights = tmp_path / "vgg19.weights.h5"
    source.save_weights(weights)
    config = resolve_config("pix2pixhd", "tiny_semantic", model_overrides={"vgg_weights": str(weights)})
    model = build_model(config)
    np.testing.assert_array_equal(model.vgg.get_layer("block3_conv1").kernel.numpy(),
                                  source.get_layer("block3_conv1").kernel.numpy())
    batch, _ = _batch(config)
    x = batch["images"]
    assert float(vgg.vgg_loss(model.vgg, x, x)) == 0.0 and float(vgg.vgg_loss(model.vgg, x, -x)) > 0.0
    logs = check_one_fit_step(model, batch)
    assert logs["g_vgg"] > 0
    assert not any(v is w for v in model.vgg.weights for w in model.generator_variables)


@pytest.mark.numerics
@pytest.mark.slow
def test_resume_equals_an_uninterrupted_run(tmp_path):
    config = lambda steps: resolve_config("pix2pixhd", "tiny", train={**TINY_TRAIN, "steps": steps})
    full = train(config(4), tmp_path / "full")
    train(config(2), tmp_path / "split")
    train(config(4), tmp_path / "split", resume=True)
    _, a = load_trained_model(full.run_dir)
    _, b = load_trained_model(tmp_path / "split")
    for x, y in zip(a.weights, b.weights, strict=False):
        np.testing.assert_array_equal(x.numpy(), y.numpy())  # exact: same kernels, same order
    assert (tmp_path / "full" / "samples" / "maps_step_0000004.png").is_file()


@pytest.mark.slow
@pytest.mark.numerics
def test_mirrored_step_equals_single_device_step():
    """Tolerance: the measured spread of the kernels at per-replica shapes (tests/numerics.py), as for CycleGAN;
    pix2pixHD normalises per image, so its step on two halves of the batch is the mirrored arithmetic."""
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    config = resolve_config("pix2pixhd", "tiny")
    batch, _ = _batch(config, 8)

    def run(strategy, model_class=Pix2PixHD):
        keras.utils.set_random_seed(3)
        with strategy.scope():
            model = model_class(config.model_config, image_shape=config.data.image_shape)
            model.compile(keras.optimizers.SGD(0.1, momentum=0.5), keras.optimizers.SGD(0.1, momentum=0.5))
            model.build_for_training()
        initial = float_arrays(model.trainable_weights)
        model.fit(tf.data.Dataset.from_tensors(batch).repeat(), steps_per_epoch=2, epochs=1, verbose=0,
                  shuffle=False)
        return initial, model

    single_device = tf.distribute.get_strategy()
    initial, single = run(single_device)
    _, mirrored = run(make_strategy("mirrored"))
    _, halves = run(single_device, on_two_halves(Pix2PixHD))
    check_mirrored_within_split_spread(initial, single, mirrored, single, halves, steps=2)


@pytest.mark.slow
def test_mixed_precision_trains_finitely():
    config = resolve_config("pix2pixhd", "tiny", train={"precision": "mixed_bfloat16"})
    model = build_model(config)
    batch, maps = _batch(config)
    logs = check_one_fit_step(model, batch, steps=2)
    assert all(np.isfinite(v) for v in logs.values())
    assert model(maps["label_map"], maps["boundary"])["image"].dtype == "float32"


# --- new label maps --------------------------------------------------------------------------------------------

def test_distorted_and_combined_maps_follow_the_training_conventions():
    config = resolve_config("pix2pixhd", "tiny")
    real = _maps(config, 8)
    distorted = new_maps.new_label_maps(real["label_map"], real["instance_map"], num=6, mode="distort", seed=1)
    combined = new_maps.new_label_maps(real["label_map"], real["instance_map"], num=6, mode="combine", seed=1)
    for maps in (distorted, combined):
        assert maps["label_map"].shape == (6, 32, 32, 1) and maps["label_map"].dtype == np.uint8
        assert maps["label_map"].max() < NUM_LABELS
        for labels, inst, b in zip(maps["label_map"], maps["instance_map"], maps["boundary"], strict=False):
            np.testing.assert_array_equal(boundary_map(inst).numpy(), b)
            assert (inst // 1000).max() < NUM_LABELS  # class * 1000 + k ids, class = the region's majority label
            assert np.mean(inst // 1000 == labels.astype(np.int32)) > 0.8
    # new maps are new: none equals a real one
    for labels in np.concatenate([distorted["label_map"], combined["label_map"]]):
        assert not any(np.array_equal(labels, r) for r in real["label_map"])
    # combine keeps the first map's lesion outline and takes its attributes from the second
    for (i, j), labels in zip(combined["sources"], combined["label_map"], strict=False):
        np.testing.assert_array_equal(labels >= LESION, real["label_map"][i] >= LESION)
        attributes = set(np.unique(labels)) - {0, 1, 2}
        assert attributes <= set(np.unique(real["label_map"][j]))


@pytest.mark.slow
def test_labelmaps_command_synthesizes_new_images_from_a_trained_run(tmp_path, capsys):
    from tfskin.cli import main

    run = train(resolve_config("pix2pixhd", "tiny", train={**TINY_TRAIN, "steps": 2}), tmp_path / "run")
    assert main(["labelmaps", "--run", str(run.run_dir), "--out", str(tmp_path / "new"), "--n", "3",
                 "--mode", "combine", "--num-real", "8"]) == 0
    assert sorted(p.name for p in (tmp_path / "new").glob("image_*.png")) == [
        "image_00000.png", "image_00001.png", "image_00002.png"]
    assert (tmp_path / "new" / "grid.png").is_file()
    with np.load(tmp_path / "new" / "maps.npz") as maps:
        assert maps["label_map"].shape == (3, 32, 32, 1)


@pytest.mark.slow
def test_short_run_learns_to_render_label_maps(tmp_path):
    """32x32 phantoms, the quick preset's networks, 200 steps: the L1 distance of the synthesis to the target
    image falls, and on held-out maps the synthesis from an image's own map is closer to that image than the
    synthesis from another image's map (the generator follows the map, not only the average lesion)."""
    config = resolve_config("pix2pixhd", "quick", data={"image_size": (32, 32), "num_examples": 256},
                            train={"steps": 200, "log_every": 25, "sample_every": 200, "export_at_end": False})
    result = train(config, tmp_path / "run")
    l1 = logged_scalars(result.log_dir, "l1")
    _, model = load_trained_model(tmp_path / "run")
    held_out = resolve_config("pix2pixhd", "quick", data={"image_size": (32, 32), "num_examples": 64,
                                                          "split": "validation"})
    maps = _maps(held_out, 64)
    real = maps["image"] / 255.0
    own = model.synthesize(maps["label_map"], maps["instance_map"])
    other = np.roll(np.arange(64), 1)
    swapped = model.synthesize(maps["label_map"][other], maps["instance_map"][other])
    l1_own = float(np.mean(np.abs(own - real)))
    l1_swapped = float(np.mean(np.abs(swapped - real)))
    print(f"pix2pixhd learning: train l1 {l1[0]:.3f} -> {l1[-1]:.3f}; held-out L1 own map {l1_own:.4f} vs "
          f"another image's map {l1_swapped:.4f}")
    assert l1[-1] < 0.8 * l1[0], l1
    assert l1_own < 0.95 * l1_swapped  # an untrained or map-blind generator gives a ratio of about 1
