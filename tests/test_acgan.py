"""ACGAN: logged accuracies and label conditioning, per-class sampling, the paper layout, and learning on phantoms."""

import numpy as np
import pytest
from gan_harness import eager_step_logs, preset_model

from tfskin.config import ConfigError
from tfskin.inputs import build_inputs
from tfskin.models.acgan.config import ACGANConfig
from tfskin.models.acgan.model import ACGAN
from tfskin.training import build_model, load_trained_model, resolve_config, train


def _batch(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    config = model.config
    h, w = model.image_size
    return {
        "images": rng.uniform(-1, 1, (n, h, w, model.channels)).astype("float32"),
        "labels": rng.integers(0, config.num_classes, n).astype("int32"),
        "noise": rng.normal(size=(n, config.latent_dim)).astype("float32"),
        "fake_labels": rng.integers(0, config.num_classes, n).astype("int32"),
    }


def test_one_step_logs_auxiliary_accuracies_and_the_label_conditions_the_output():
    model = build_model(resolve_config("acgan", "tiny"))
    logs = eager_step_logs(model, _batch(model))
    assert 0.0 <= logs["aux_acc_fake"] <= 1.0 and 0.0 <= logs["aux_acc_real"] <= 1.0
    batch = _batch(model, seed=1)
    expected = model(batch["noise"], batch["fake_labels"])
    other = model(batch["noise"], (batch["fake_labels"] + 1) % 8)
    assert not np.allclose(np.asarray(other["image"]), np.asarray(expected["image"]))


def test_per_class_sampling_and_preview_layout():
    model = preset_model(ACGAN, "acgan", "tiny")
    out = model.sample(5, seed=1, label="mel")
    assert out["image"].shape == (5, 32, 32, 3) and set(out["label"]) == {0}
    assert set(model.sample(3, seed=1, label=3)["label"]) == {3}
    with pytest.raises(ValueError, match="valid classes: MEL, NV"):
        model.sample(2, label="XYZ")
    config = resolve_config("acgan", "tiny")
    fixed = build_inputs(model.input_kind, config, model.latent_spec()).preview(32)
    assert list(fixed["label"][:8]) == list(range(8)) and list(fixed["label"][8:16]) == list(range(8))
    assert model.preview(fixed)["image"].shape == (32, 32, 32, 3)


def test_paper128_layout():
    model = preset_model(ACGAN, "acgan", "paper128")
    assert model.generator.output_shape == (None, 128, 128, 3)
    assert [o[1:] for o in model.discriminator.output_shape] == [(1,), (8,)]
    assert model.generator.get_layer("project").output.shape[-1] == 8 * 8 * 768
    assert model.config.adversarial_weight == 1.0 and model.config.auxiliary_weight == 1.0
    with pytest.raises(ConfigError, match="class names"):
        ACGANConfig(num_classes=3)
    with pytest.raises(ConfigError, match="divisible"):
        ACGAN(ACGANConfig(), image_shape=(100, 128, 3))


def test_loss_weights_are_separate():
    heavy = preset_model(ACGAN, "acgan", "tiny", auxiliary_weight=3.0, adversarial_weight=0.5)
    batch = _batch(heavy)
    fakes = heavy.generate(batch)
    d = heavy.discriminator_losses(batch, fakes)
    g = heavy.generator_losses(batch, fakes)
    np.testing.assert_allclose(float(d["d_loss"]), 0.5 * float(d["d_adv"]) + 3.0 * float(d["d_aux"]), rtol=1e-5)
    np.testing.assert_allclose(float(g["g_loss"]), 0.5 * float(g["g_adv"]) + 3.0 * float(g["g_aux"]), rtol=1e-5)


@pytest.mark.slow
def test_acgan_learns_classes_and_colours_on_phantoms(tmp_path):
    """The auxiliary classifier recognises the generator's intended class far above chance (1/8) after a
    short run, and the fixed samples' colour distance to real phantoms falls."""
    config = resolve_config(
        "acgan", "tiny", data={"num_examples": 512},
        train={"steps": 250, "batch_size": 16, "sample_every": 250, "log_every": 50, "checkpoint_every": 250,
               "export_at_end": False},
    )
    untrained = build_model(config)
    result = train(config, tmp_path / "run")
    _, model = load_trained_model(tmp_path / "run")

    def fake_accuracy(m):
        rng = np.random.default_rng(3)
        labels = np.arange(256) % 8
        noise = rng.standard_normal((256, 16)).astype("float32")
        images = m.generator([noise, np.eye(8, dtype="float32")[labels]], training=False)
        return float(np.mean(np.argmax(np.asarray(m.classify(images)), -1) == labels))

    before, after = fake_accuracy(untrained), fake_accuracy(model)
    w0, w1 = (result.colour_history[s]["wasserstein"]["mean"] for s in (0, 250))
    print(f"acgan auxiliary accuracy on generated images: {before:.3f} -> {after:.3f}; "
          f"colour Wasserstein-1 {w0:.1f} -> {w1:.1f}")
    assert before < 0.3, before
    assert after > 0.6, (before, after)
    assert w1 < 0.6 * w0, (w0, w1)
