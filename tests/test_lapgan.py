"""LAPGAN: logged levels and per-example noise planes, pyramid shapes, level-by-level training with resume per
level, learning on phantoms."""

import numpy as np
import pytest
from gan_harness import check_one_fit_step, eager_step_logs, preset_model, weights_of

from tfskin.config import ConfigError
from tfskin.models.lapgan.config import LAPGANConfig
from tfskin.models.lapgan.model import LAPGAN
from tfskin.training import build_model, load_trained_model, resolve_config, train


def _batch(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    batch = {k: rng.normal(size=tuple(v.shape)).astype("float32") for k, v in model.example_batch(n).items()}
    batch["images"] = np.clip(batch["images"], -1, 1)
    return batch


def test_one_step_logs_each_level_and_residual_planes_follow_each_examples_own_noise():
    model = build_model(resolve_config("lapgan", "tiny"))
    logs = eager_step_logs(model, _batch(model))
    assert {"d_loss_level0", "d_loss_level2", "g_loss_level1"} <= set(logs)
    noise = _batch(model, seed=1)["noise"]
    expected = model(noise)
    assert expected["image"].shape == (4, 24, 32, 3) and expected["mask"].shape == (4, 24, 32, 1)
    single = model(noise[1:2])  # the residual planes depend on each example's own noise only
    np.testing.assert_allclose(np.asarray(single["image"])[0], np.asarray(expected["image"])[1], atol=1e-5)


def test_paper_pyramid_shapes():
    model = preset_model(LAPGAN, "lapgan", "paper192x256_mask")
    cfg = model.config
    assert cfg.base_size(model.image_size) == (6, 8) and cfg.num_levels == 5 and model.channels == 4
    assert [cfg.resolution(k, model.image_size) for k in range(5)] == [(6, 8), (12, 16), (24, 32), (48, 64), (96, 128)]
    assert model.generators[0].output_shape == (None, 6, 8, 4)
    assert [layer.name for layer in model.generators[0].layers if "dense" in layer.name] == ["dense0", "dense1"]
    assert len([layer for layer in model.generators[3].layers if layer.name.startswith("conv")]) == 3
    d = model.discriminators[4]
    assert len([layer for layer in d.layers if layer.name.startswith("conv")]) == 2 and d.layers[-1].name == "logit"
    assert model.generators[4].get_layer("conv2").activation.__name__ == "linear"
    out = model(np.zeros((1, 100), "float32"))
    assert out["image"].shape == (1, 192, 256, 3) and out["mask"].shape == (1, 192, 256, 1)
    with pytest.raises(ConfigError, match="divisible"):
        LAPGAN(LAPGANConfig(), image_shape=(100, 256, 4))
    with pytest.raises(ConfigError, match="train_levels"):
        LAPGANConfig(train_levels=(7,))


def test_only_the_chosen_levels_train():
    model = preset_model(LAPGAN, "lapgan", "tiny", train_levels=(1,))
    model.compile(generator_optimizer=__import__("keras").optimizers.Adam(1e-3),
                  discriminator_optimizer=__import__("keras").optimizers.Adam(1e-3))
    model.build_for_training()
    before = [weights_of([g]) for g in model.generators]
    logs = check_one_fit_step(model, _batch(model))
    assert "d_loss_level1" in logs
    after = [weights_of([g]) for g in model.generators]
    changed = [any(not np.array_equal(a, b) for a, b in zip(x, y, strict=True))
               for x, y in zip(before, after, strict=True)]
    assert changed == [False, True, False]


@pytest.mark.slow
def test_sequential_levels_resume_per_level(tmp_path):
    def config(steps):
        return resolve_config("lapgan", "tiny", data={"num_examples": 64},
                              model_overrides={"level_schedule": "sequential"},
                              train={"steps": steps, "export_at_end": False, "log_every": 1, "sample_every": 100,
                                     "checkpoint_every": 2})
    full = train(config(8), tmp_path / "full")  # 4 steps per level: level 0, then level 1 from step 4
    train(config(6), tmp_path / "split")
    _, mid = load_trained_model(tmp_path / "split")
    assert mid.active_levels == (1,)
    train(config(8), tmp_path / "split", resume=True)
    _, a = load_trained_model(full.run_dir)
    _, b = load_trained_model(tmp_path / "split")
    for x, y in zip(a.weights, b.weights, strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6)
    untrained = build_model(config(8))  # level 2 is not reached in 8 steps: still at its initial weights
    for x, y in zip(untrained.generators[2].weights, a.generators[2].weights, strict=True):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
