"""One config section per concern: the model config holds architecture and loss weights, the image shape comes
from ``data``, the seed from ``train``, Adam and its schedule from ``optimizer``; config.json files of the
earlier layout (recorded in tests/fixtures/layout1 from ``tfskin train ... --preset tiny --steps 2`` and
``--preset quick --dry-run`` before the change) still load, sample, export and resume."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from tfskin.config import LAYOUT, ConfigError, OptimizerConfig, RunConfig
from tfskin.registry import get_model, model_names
from tfskin.training import build_model, resolve_config

LAYOUT1 = Path(__file__).parent / "fixtures" / "layout1"
# What layout 1 kept in the model config besides the architecture and loss weights.
COPIES = {"image_size", "channels", "seed", "learning_rate", "discriminator_learning_rate", "beta_1", "beta_2",
          "constant_steps", "decay_steps"}


# Defaults changed on purpose since layout 1 was recorded, which a recorded run keeps: progan's fakes took
# uniformly drawn classes (now the real batch's; see ProGANConfig).
CHANGED_DEFAULTS = {"progan": {"fake_label_prior": "uniform"}}
#: Presets that gained a generator EMA after layout 1 (whose run folders load with it off, as recorded)
EMA_SINCE_LAYOUT1 = ("dcgan/quick", "acgan/quick")


def _layout1(name: str) -> dict:
    return json.loads((LAYOUT1 / f"{name}.json").read_text())


def _kept(old: dict) -> dict:
    """The model overrides that give today's resolved preset the values a layout-1 run recorded and keeps."""
    kept = {key: old["model_config"][key] for key in CHANGED_DEFAULTS.get(old["model"], {})}
    assert kept == CHANGED_DEFAULTS.get(old["model"], {})  # the recording holds the old default
    return kept


def _read(values: dict) -> RunConfig:
    return RunConfig.from_dict(values, get_model(values["model"]).config_class)


@pytest.mark.parametrize("model", model_names())
def test_config_json_states_each_value_once(model):
    spec = get_model(model)
    for preset in spec.presets:
        written = resolve_config(model, preset).to_dict()
        assert written["layout"] == LAYOUT
        assert not COPIES & set(written["model_config"]), f"{model}/{preset}: {COPIES & set(written['model_config'])}"
        for section in ("data", "train", "optimizer"):
            shared = set(written["model_config"]) & set(written[section])
            assert not shared, f"{model}/{preset}: {shared} in model_config and {section}"
        assert _read(json.loads(json.dumps(written))) == resolve_config(model, preset)


@pytest.mark.parametrize("name", ["dcgan-tiny", "cyclegan-tiny", "progan-tiny", "pix2pixhd-tiny"])
def test_layout1_config_reads_as_the_same_run_in_the_current_layout(name):
    old = _layout1(name)
    assert "layout" not in old and {"image_size", "seed", "learning_rate"} <= set(old["model_config"])
    upgraded = _read(old)
    assert upgraded == resolve_config(old["model"], old["preset"], train={"steps": old["train"]["steps"]},
                                      model_overrides=_kept(old))
    assert upgraded.optimizer.generator_learning_rate == old["model_config"]["learning_rate"]
    assert upgraded.optimizer.beta_1 == old["model_config"]["beta_1"]


def test_layout1_schedule_becomes_the_fraction_of_the_run():
    old = _layout1("cyclegan-quick")
    assert (old["model_config"]["constant_steps"], old["model_config"]["decay_steps"]) == (900, 300)
    upgraded = _read(old)
    assert upgraded.optimizer.constant_fraction == 0.75
    assert upgraded.optimizer.schedule_steps(upgraded.train.steps) == (900, 300)
    expected = resolve_config("cyclegan", "quick")  # the precision "auto" resolved to may differ by machine
    assert upgraded.replace(train=expected.train) == expected
    assert upgraded.train.replace(precision=expected.train.precision,
                                  precision_reason=expected.train.precision_reason) == expected.train


def test_a_newer_layout_is_refused():
    values = resolve_config("dcgan", "tiny").to_dict()
    values["layout"] = LAYOUT + 1
    with pytest.raises(ConfigError, match="newer"):
        _read(values)


def test_misplaced_settings_name_their_section():
    with pytest.raises(ConfigError, match="data and train settings"):
        resolve_config("dcgan", "tiny", model_overrides={"seed": 3})
    with pytest.raises(ConfigError, match="no learning_rate"):
        resolve_config("dcgan", "tiny", model_overrides={"learning_rate": 1e-3})
    with pytest.raises(ConfigError, match="constant_fraction"):
        OptimizerConfig(constant_fraction=1.5)


def test_both_players_get_their_own_learning_rate_and_the_model_its_shape_and_seed():
    config = resolve_config("dcgan", "tiny", train={"seed": 7},
                            optimizer={"discriminator_learning_rate": 1e-3, "beta_2": 0.99})
    model = build_model(config)
    assert float(model.generator_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(model.discriminator_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(model.discriminator_optimizer.beta_2) == pytest.approx(0.99)
    assert model.image_shape == (32, 32, 3) and model.seed == 7
    assert model.generator.output_shape == (None, 32, 32, 3)


def _learning_rates_at(model, step: int) -> tuple:
    for optimizer in (model.generator_optimizer, model.discriminator_optimizer):
        optimizer.iterations.assign(step)
    return (float(keras.ops.convert_to_numpy(model.generator_optimizer.learning_rate)),
            float(keras.ops.convert_to_numpy(model.discriminator_optimizer.learning_rate)))


def test_cyclegan_quick_decays_to_zero_at_the_last_step_of_any_run_length():
    """The quick preset used to fix 900 constant + 300 decaying steps, so ``--steps 600`` ended at the full
    rate; the schedule is now 3/4 of the run constant, then linear to 0 at the run's last step."""
    for steps, constant in ((600, 450), (1200, 900)):
        config = resolve_config("cyclegan", "quick", train={"steps": steps})
        assert config.optimizer.schedule_steps(steps) == (constant, steps - constant)
        model = build_model(config)
        assert _learning_rates_at(model, constant) == pytest.approx((2e-4, 2e-4))
        halfway = _learning_rates_at(model, constant + (steps - constant) // 2)
        assert halfway == pytest.approx((1e-4, 1e-4))
        assert _learning_rates_at(model, steps) == (0.0, 0.0)


@pytest.mark.slow
def test_a_decaying_run_ends_at_learning_rate_zero(tmp_path):
    """Through the runner: a tiny cyclegan run with the quick preset's schedule; the optimizers restored from
    its last checkpoint stand at step 8 with learning rate 0."""
    from tfskin.checkpointing import RunCheckpoints
    from tfskin.training import train

    config = resolve_config("cyclegan", "tiny", train={"steps": 8, "export_at_end": False},
                            optimizer={"constant_fraction": 0.75})
    train(config, tmp_path / "run", stream=open("/dev/null", "w"))
    model = build_model(config)
    assert RunCheckpoints(model, tmp_path / "run").restore_latest() == 8
    assert int(model.generator_optimizer.iterations.numpy()) == 8
    for optimizer in (model.generator_optimizer, model.discriminator_optimizer):
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == 0.0


def test_keras_files_of_the_earlier_layout_load():
    """``.keras`` files of earlier releases kept the shape and seed in the model's config."""
    from tfskin.models.dcgan.model import DCGAN

    old = _layout1("dcgan-tiny")["model_config"]
    model = DCGAN.from_config({"config": old, "name": "dcgan"})
    assert model.image_shape == (32, 32, 3) and model.seed == 0
    again = DCGAN.from_config(model.get_config())
    assert again.image_shape == model.image_shape and again.config == model.config


@pytest.mark.slow
def test_a_run_folder_of_the_earlier_layout_loads_samples_exports_and_resumes(tmp_path):
    """A tiny DCGAN run whose config.json is the recorded layout-1 file (its checkpoints are unchanged by the
    layout): ``tfskin sample``, export and ``--resume`` work on it."""
    import tensorflow as tf

    from tfskin.runs import CONFIG_FILE, load_trained_model, read_run_config
    from tfskin.serving.export import export_model
    from tfskin.training import train

    run = tmp_path / "run"
    train(resolve_config("dcgan", "tiny", train={"steps": 2, "export_at_end": False}), run,
          stream=open("/dev/null", "w"))
    (run / CONFIG_FILE).write_text(json.dumps(_layout1("dcgan-tiny")))

    config, model = load_trained_model(run)
    assert config.optimizer == OptimizerConfig() and model.image_shape == (32, 32, 3)
    samples = model.sample(3, seed=1)
    assert samples["image"].shape == (3, 32, 32, 3) and np.isfinite(samples["image"]).all()
    noise = np.random.default_rng(0).normal(size=(2, 16)).astype("float32")
    served = tf.saved_model.load(str(export_model(model, tmp_path / "export" / "dcgan")))
    out = served.signatures["generate"](noise=tf.constant(noise))
    np.testing.assert_allclose(out["image"].numpy(), np.asarray(model(noise)["image"]), atol=1e-5)

    resumed = train(read_run_config(run).replace(train=config.train.replace(steps=3)), run, resume=True,
                    stream=open("/dev/null", "w"))
    assert resumed.step == 3
    assert json.loads((run / CONFIG_FILE).read_text())["layout"] == LAYOUT


def test_every_preset_keeps_its_values():
    """``presets.json``: every preset resolved by the release before the change (``train.precision`` pinned
    to float32); read through the layout-1 reader it is exactly what the preset resolves to now."""
    recorded = _layout1("presets")
    assert len(recorded) == sum(len(get_model(m).presets) for m in model_names())
    for key, old in recorded.items():
        model, preset = key.split("/")
        ema = {"halflife_images": 0} if key in EMA_SINCE_LAYOUT1 else None
        assert _read(old) == resolve_config(model, preset, train={"precision": "float32"},
                                            model_overrides=_kept(old), ema=ema), key
    assert resolve_config("progan", "tiny").model_config.fake_label_prior == "real"  # the new default
    for key in EMA_SINCE_LAYOUT1:
        assert resolve_config(*key.split("/")).ema.halflife_images == 2000
