"""Progressive GANs: the logged gradient penalty, image sizes, the stage schedule, fade-in alpha and phase freezing
across resume, learning."""

import numpy as np
import pytest
import tensorflow as tf
from gan_harness import eager_step_logs, preset_model
from keras import ops

from tfskin.classes import CLASS_NAMES
from tfskin.config import ConfigError
from tfskin.gan.staged import Phase, StageSchedule
from tfskin.models.progan.config import ProGANConfig
from tfskin.models.progan.model import FrozenProGAN, ProGAN
from tfskin.registry import get_model
from tfskin.training import build_model, load_trained_model, resolve_config, train


def _batch(model, n=4, seed=0, labels=True):
    rng = np.random.default_rng(seed)
    config = model.config
    h, w = model.image_size
    batch = {"images": rng.uniform(-1, 1, (n, h, w, model.channels)).astype("float32"),
             "noise": rng.normal(size=(n, config.latent_dim)).astype("float32")}
    if labels:
        batch.update(labels=rng.integers(0, 8, n).astype("int32"),
                     fake_labels=rng.integers(0, config.num_classes, n).astype("int32"),
                     gp_noise=rng.normal(size=(n, 1)).astype("float32"))
    return batch


def test_schedule_is_explicit_and_pure():
    schedule = StageSchedule([Phase(0, 0, 3), Phase(1, 4, 2), Phase(2, 2, 1)])
    assert schedule.total_steps == 12
    got = [schedule.at(step) for step in range(14)]
    assert got[:3] == [(0, 1.0)] * 3
    assert got[3:9] == [(1, 0.25), (1, 0.5), (1, 0.75), (1, 1.0), (1, 1.0), (1, 1.0)]
    assert got[9:12] == [(2, 0.5), (2, 1.0), (2, 1.0)]
    assert got[12:] == [(2, 1.0)] * 2  # the last stage continues
    model = preset_model(ProGAN, "progan", "tiny")
    assert [(p.stage, p.transition_steps, p.stable_steps) for p in model.stage_schedule(8).phases] == [
        (0, 0, 4), (1, 4, 4), (2, 4, 4)]


def test_one_step_logs_a_gradient_penalty_and_each_variant_makes_its_image_size():
    model = build_model(resolve_config("progan", "tiny"))
    assert eager_step_logs(model, _batch(model))["gradient_penalty"] >= 0
    batch = _batch(model, seed=1)
    assert model(batch["noise"], batch["fake_labels"])["image"].shape == (4, 16, 16, 3)
    frozen = build_model(resolve_config("progan_frozen", "tiny"))
    assert frozen(_batch(frozen, labels=False)["noise"])["image"].shape == (4, 32, 32, 3)


@pytest.mark.parametrize("label_mode", ["melanoma", "class"])
def test_a_score_of_the_class_alone_cannot_move_the_critics_wasserstein_estimate(monkeypatch, label_mode):
    """The critic sees the label, and the gradient penalty constrains only the image: if real and fake carried
    classes in different shares, a score of the label alone would raise the estimate without bound (the PGAN's
    critic diverged that way when its fakes' classes were drawn uniformly and the data's were not)."""
    changes = {} if label_mode == "melanoma" else {"label_mode": "class", "num_classes": 8,
                                                   "class_names": tuple(CLASS_NAMES)}
    model = preset_model(ProGAN, "progan", "tiny", **changes)
    assert model.config.fake_label_prior == "real"
    mel = int(ops.convert_to_numpy(model.model_labels(np.array([CLASS_NAMES.index("MEL")])))[0])
    batch = _batch(model)
    batch["labels"] = np.full(4, CLASS_NAMES.index("MEL"), "int32")  # every real image a melanoma
    batch["fake_labels"] = np.full(4, 1 - mel, "int32")  # and every prior-drawn class another one
    fakes = model.generate(batch)
    plain = float(model.discriminator_losses(batch, fakes)["wasserstein"])
    critic_call = model.discriminator.call

    def with_a_class_score(image, one_hot, **kwargs):
        score, classes = critic_call(image, one_hot, **kwargs)
        return score + 100.0 * ops.cast(one_hot[:, mel:mel + 1], score.dtype), classes

    monkeypatch.setattr(model.discriminator, "call", with_a_class_score)
    shifted = float(model.discriminator_losses(batch, fakes)["wasserstein"])
    assert shifted == pytest.approx(plain, abs=1e-3)


def test_stage_variable_selects_the_inference_stage_and_alpha_blends():
    model = preset_model(ProGAN, "progan", "tiny")
    noise, labels = np.random.default_rng(0).normal(size=(2, 16)).astype("float32"), np.array([0, 1], "int32")
    stage0 = np.asarray(model(noise, labels)["image"])
    # stage 0 is 4x4, upsampled to 16x16: constant 4x4 tiles
    assert np.allclose(stage0[:, :4, :4], stage0[:, :1, :1])
    model.set_phase(1, 0.0)
    faded_out = np.asarray(model(noise, labels)["image"])
    np.testing.assert_allclose(faded_out, stage0, atol=1e-5)  # alpha 0: the new 8x8 layers do not show yet
    model.set_phase(1, 1.0)
    assert not np.allclose(np.asarray(model(noise, labels)["image"]), stage0, atol=1e-3)


def _progan_config(steps, **train):
    return resolve_config("progan", "tiny", data={"num_examples": 64},
                          train={"steps": steps, "export_at_end": False, "log_every": 1, "sample_every": 100,
                                 "checkpoint_every": 2, **train})


def _weights(run_dir):
    _, model = load_trained_model(run_dir)
    return model, [np.array(v.numpy()) for v in model.weights]


@pytest.mark.slow
def test_progan_resumes_mid_transition_at_the_same_alpha(tmp_path):
    full = train(_progan_config(10), tmp_path / "full")
    assert full.step == 10
    train(_progan_config(6), tmp_path / "split")  # stops in the 8x8 fade-in (steps 4..7)
    model, _ = _weights(tmp_path / "split")
    assert model.current_stage == 1 and int(model.stage.numpy()) == 1
    assert float(model.alpha.numpy()) == pytest.approx(0.75)  # the alpha step 6 will use, from the checkpoint
    resumed = train(_progan_config(10), tmp_path / "split", resume=True)
    assert resumed.step == 10
    model_full, w_full = _weights(tmp_path / "full")
    model_resumed, w_resumed = _weights(tmp_path / "split")
    assert float(model_resumed.alpha.numpy()) == float(model_full.alpha.numpy()) == 1.0
    for a, b in zip(w_full, w_resumed, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # TensorBoard holds the schedule scalars
    tags = set()
    for path in (tmp_path / "full" / "logs").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(v.tag for v in event.summary.value)
    assert {"schedule/alpha", "schedule/stage", "schedule/resolution_height"} <= tags


@pytest.mark.slow
def test_phase_frozen_layers_stop_changing(tmp_path):
    config = lambda steps: resolve_config("progan_frozen", "tiny", data={"num_examples": 64},
                                          train={"steps": steps, "export_at_end": False, "log_every": 1,
                                                 "sample_every": 100, "checkpoint_every": 4})
    train(config(4), tmp_path / "run")
    _, phase1 = load_trained_model(tmp_path / "run")
    before = {v.path: np.array(v.numpy()) for v in phase1.weights}
    train(config(8), tmp_path / "run", resume=True)
    _, phase2 = load_trained_model(tmp_path / "run")
    after = {v.path: np.array(v.numpy()) for v in phase2.weights}
    assert phase2.current_stage == 1
    frozen = [layer for s in (phase2.generator, phase2.discriminator) for layer in s.stage_layers(0)
              if layer not in s.stage_layers(1)]
    frozen_paths = [v.path for layer in frozen for v in layer.weights]
    assert frozen_paths
    for path in frozen_paths:  # phase-1 layers (incl. BatchNorm statistics) unchanged in phase 2
        np.testing.assert_array_equal(before[path], after[path], err_msg=path)
    new = [v.path for s in (phase2.generator, phase2.discriminator) for layer in s.stage_layers(1)
           for v in layer.weights]
    assert any(not np.array_equal(before[p], after[p]) for p in new)


def test_paper_presets():
    cfg = get_model("progan").preset("paper256").model_config
    assert cfg.base_size((256, 256)) == (4, 4) and cfg.resolution(cfg.num_stages - 1, (256, 256)) == (256, 256)
    assert resolve_config("progan", "paper256").optimizer.to_dict() == {
        "generator_learning_rate": 1e-3, "discriminator_learning_rate": 1e-3, "beta_1": 0.0, "beta_2": 0.99,
        "constant_fraction": 1.0}
    assert (cfg.gp_weight, cfg.drift_weight) == (10.0, 0.001)
    frozen = preset_model(FrozenProGAN, "progan_frozen", "paper64")
    assert [frozen.config.resolution(s, frozen.image_size) for s in range(3)] == [(16, 16), (32, 32), (64, 64)]
    g = {layer.name: layer.count_params() for layer in frozen.generator.convs}
    assert [g["project"], g["up1"], g["up2"], g["up3"]] == [819_200, 2_097_152, 524_288, 131_072]
    assert frozen.generator.to_image[2].count_params() == 3_072 + 3
    with pytest.raises(ConfigError, match="divisible"):
        ProGAN(ProGANConfig(feature_maps=(8, 8, 8)), image_shape=(18, 18, 3))


def test_a_preset_fitted_to_a_short_run_grows_from_4x4_to_full_size_within_it():
    quick = get_model("progan").preset("quick")
    batch = quick.train["batch_size"]
    at_preset = ProGAN(quick.model_config, image_shape=(32, 32, 3))
    assert at_preset.stage_schedule(batch).phases[0].name == "2x2"  # its five blocks start at 2x2 for 32x32
    assert at_preset.stage_schedule(batch).full_from >= 900  # 900 steps end while 8x8 fades in

    fitted = quick.model_config.fitted_to((32, 32), steps=900, batch_size=batch)
    assert fitted.feature_maps == quick.model_config.feature_maps[-4:]
    assert fitted.transition_images == fitted.stabilise_images == 900 * batch // 8
    schedule = ProGAN(fitted, image_shape=(32, 32, 3)).stage_schedule(batch)
    assert [p.name for p in schedule.phases] == ["4x4", "8x8", "16x16", "32x32"]
    assert schedule.full_from == 6 * 113 and schedule.total_steps <= 900  # 1,800 images = 113 steps a phase
    with pytest.raises(ConfigError, match="24x24"):
        quick.model_config.fitted_to((24, 24), steps=900, batch_size=batch)
    with pytest.raises(ConfigError, match="need 7 feature_maps"):
        quick.model_config.fitted_to((256, 256), steps=900, batch_size=batch)


def test_a_run_that_ends_before_the_last_stage_is_faded_in_says_so():
    model = preset_model(ProGAN, "progan", "tiny")  # phases of 4 steps at batch 8: 16x16 fully in from step 17
    notice = model.schedule_notice(6, 8)
    assert "fully faded in only at step 17" in notice and "stage 1 (8x8, fading in at alpha 0.50" in notice
    assert "ends in stage 1 (8x8; stages 0-2)" in model.schedule_notice(10, 8)
    assert model.schedule_notice(16, 8) is not None and model.schedule_notice(17, 8) is None


def test_the_runner_prints_the_schedule_warning(tmp_path):
    import io

    out = io.StringIO()
    train(_progan_config(2, checkpoint_every=2), tmp_path / "run", stream=out)
    assert "warning: progan trains 2 steps but its schedule reaches its last stage (16x16)" in out.getvalue()
