"""The training step's hooks (``GAN.discriminate``, ``GAN.finish_step``): discriminator augmentation with ADA's
controller, the generator EMA and R1; off by default, and then the step is the plain one, bit for bit."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfskin import losses
from tfskin.config import AugmentConfig, ConfigError, EMAConfig, R1Config, RunConfig
from tfskin.data.pipeline import draw_latents
from tfskin.gan import augment as augment_lib
from tfskin.inputs import build_inputs
from tfskin.models.dcgan.config import DCGANConfig
from tfskin.models.dcgan.model import DCGAN
from tfskin.registry import get_model, model_names
from tfskin.runs import export_run
from tfskin.training import build_model, load_trained_model, resolve_config, train

BATCH = 8


def _config(**sections):
    return resolve_config("dcgan", "tiny", train={"export_at_end": False}, **sections)


def _batch(model, config):
    stream = build_inputs(model.input_kind, config, model.training_latent_spec()).batches(0)
    return {k: np.asarray(v) for k, v in next(iter(stream)).items()}


# --- configuration --------------------------------------------------------------------------------------------


def test_step_sections_round_trip_and_old_config_files_load_with_them_off():
    config = _config(augment={"kind": "ada", "disabled": ("hue",)}, ema={"halflife_images": 500, "rampup": 0.05},
                     r1={"gamma": 2.0, "interval": 4})
    again = RunConfig.from_dict(json.loads(config.to_json()), DCGANConfig)
    assert again == config
    assert again.augment.disabled == ("hue",) and again.ema.rampup == 0.05
    old = json.loads(config.to_json())
    for name in ("augment", "ema", "r1"):
        del old[name]
    old_config = RunConfig.from_dict(old, DCGANConfig)
    assert (old_config.augment, old_config.ema, old_config.r1) == (AugmentConfig(), EMAConfig(), R1Config())
    assert not (old_config.augment.enabled or old_config.ema.enabled or old_config.r1.enabled)


@pytest.mark.parametrize("section, values, message", [
    (AugmentConfig, {"kind": "mixup"}, "augment.kind"),
    (AugmentConfig, {"target": 1.5}, "augment.target"),
    (AugmentConfig, {"max_p": -0.1}, "augment.max_p"),
    (AugmentConfig, {"interval": 0}, "augment.interval"),
    (EMAConfig, {"halflife_images": -1}, "ema.halflife_images"),
    (EMAConfig, {"rampup": 0.0}, "ema.rampup"),
    (R1Config, {"gamma": -1.0}, "r1.gamma"),
    (R1Config, {"interval": 0}, "r1.interval"),
])
def test_invalid_step_settings_are_config_errors(section, values, message):
    with pytest.raises(ConfigError, match=message):
        section(**values)


def test_unknown_disabled_transforms_are_refused_when_the_model_is_configured():
    with pytest.raises(ConfigError, match="unknown transform.*sharpen"):
        build_model(_config(augment={"kind": "ada", "disabled": ("hue", "sharpen")}))


def test_r1_is_refused_for_wasserstein_critics():
    with pytest.raises(ConfigError, match="Wasserstein"):
        resolve_config("progan", "tiny", r1={"gamma": 1.0})
    with pytest.raises(ConfigError, match="Wasserstein"):
        resolve_config("dcgan", "tiny", model_overrides={"loss": "wasserstein"}, r1={"gamma": 1.0})
    resolve_config("dcgan", "tiny", model_overrides={"loss": "hinge"}, r1={"gamma": 1.0})


# --- draws ----------------------------------------------------------------------------------------------------


def test_uniform_draws_leave_every_other_latent_unchanged():
    spec = {"noise": ((4,), "normal"), "fake_labels": ((), ("categorical", 3, None)), "gp_noise": ((1,), "normal")}
    seed = tf.constant([3, 7], tf.int64)
    plain = draw_latents(spec, 6, seed)
    # names that sort before, between and after the others
    more = {**spec, "augment_real": ((5,), "uniform"), "g_draws": ((5,), "uniform"), "z_draws": ((2,), "uniform")}
    drawn = draw_latents(more, 6, seed)
    for name in spec:
        np.testing.assert_array_equal(plain[name].numpy(), drawn[name].numpy())
    a, g = drawn["augment_real"].numpy(), drawn["g_draws"].numpy()
    assert a.shape == (6, 5) and drawn["z_draws"].shape == (6, 2)
    assert 0.0 <= a.min() and a.max() < 1.0
    assert not np.array_equal(a, g)  # each uniform latent has its own stream


# --- augment none: the plain step -----------------------------------------------------------------------------


class PlainDCGAN(DCGAN):
    """The step as it was before the hooks: the discriminator called directly, the counter incremented."""

    def discriminator_losses(self, batch, fakes):
        real_logits = self.discriminator(batch["images"], training=True)
        fake_logits = self.discriminator(fakes["images"], training=True)
        return {"d_loss": losses.nonsaturating_discriminator_loss(real_logits, fake_logits),
                "d_real": keras.ops.mean(keras.ops.sigmoid(real_logits)),
                "d_fake": keras.ops.mean(keras.ops.sigmoid(fake_logits))}

    def generator_losses(self, batch, fakes):
        return {"g_loss": losses.nonsaturating_generator_loss(self.discriminator(fakes["images"], training=True))}

    def train_step(self, data):
        batch = self._batch_of(data)
        with tf.GradientTape() as g_tape:
            fakes = self.generate(batch, training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as tape:
                    d_losses = self.discriminator_losses(batch, tf.nest.map_structure(tf.stop_gradient, fakes))
                self._minimize(tape, self.discriminator_optimizer, d_losses["d_loss"], self.discriminator_variables)
            g_losses = self.generator_losses(batch, fakes)
        self._minimize(g_tape, self.generator_optimizer, g_losses["g_loss"], self.generator_variables)
        self.train_step_counter.assign_add(1)
        return self._track({**d_losses, **g_losses})


def _two_steps(model, batch):
    for _ in range(2):
        logs = model.train_on_batch(batch, return_dict=True)
    return [np.array(v.numpy()) for v in model.weights], logs


def test_with_the_hooks_off_the_step_is_the_plain_step_exactly():
    config = _config()
    hooked = build_model(config)
    plain = PlainDCGAN(config.model_config, image_shape=config.data.image_shape, seed=config.train.seed)
    plain.compile(generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  discriminator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    plain.build_for_training()
    plain.set_weights(hooked.get_weights())
    batch = _batch(hooked, config)
    assert sorted(batch) == ["images", "labels", "noise"]  # no augmentation draws
    hooked_weights, hooked_logs = _two_steps(hooked, batch)
    plain_weights, plain_logs = _two_steps(plain, batch)
    assert len(hooked_weights) == len(plain_weights)
    for a, b in zip(hooked_weights, plain_weights):
        np.testing.assert_array_equal(a, b)
    assert hooked_logs == plain_logs


# --- EMA ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rampup", [None, pytest.param(0.5, marks=pytest.mark.slow)])
def test_ema_weights_are_the_analytic_average_of_the_raw_weights(rampup):
    halflife = 20.0
    config = _config(ema={"halflife_images": halflife, "rampup": rampup})
    model = build_model(config)
    batch = _batch(model, config)
    pairs = model._ema_pairs
    trained = [v for v, _ in pairs if v.trainable]
    expected = [np.array(v.numpy(), np.float64) for v in trained]
    for step in range(3):
        model.train_on_batch(batch, return_dict=True)
        life = halflife if rampup is None else min(halflife, step * BATCH * rampup)
        beta = 0.5 ** (BATCH / max(life, 1e-8))
        expected = [beta * e + (1 - beta) * v.numpy() for e, v in zip(expected, trained)]
    shadows = [s for v, s in pairs if v.trainable]
    assert any(not np.allclose(s.numpy(), v.numpy()) for s, v in zip(shadows, trained))  # a real average
    for shadow, value in zip(shadows, expected):
        np.testing.assert_allclose(shadow.numpy(), value, rtol=1e-5, atol=1e-6)
    for variable, shadow in pairs:  # BatchNorm statistics: copied
        if not variable.trainable:
            np.testing.assert_array_equal(shadow.numpy(), variable.numpy())


@pytest.mark.slow
def test_inference_weights_swap_the_ema_in_and_back():
    config = _config(ema={"halflife_images": 1000.0})
    model = build_model(config)
    model.train_on_batch(_batch(model, config), return_dict=True)
    raw = [v.numpy().copy() for v, _ in model._ema_pairs]
    noise = np.random.default_rng(0).standard_normal((2, config.model_config.latent_dim)).astype("float32")
    before = model(noise)["image"].numpy()
    with model.inference_weights():
        for (variable, shadow) in model._ema_pairs:
            if variable.trainable:  # BatchNorm statistics: re-estimated for the EMA weights (test below)
                np.testing.assert_array_equal(variable.numpy(), shadow.numpy())
        inside = model(noise)["image"].numpy()
    assert not np.allclose(before, inside)
    for (variable, _), value in zip(model._ema_pairs, raw):
        np.testing.assert_array_equal(variable.numpy(), value)


@pytest.mark.parametrize("name", ["dcgan", pytest.param("acgan", marks=pytest.mark.slow)])
def test_the_ema_generator_gets_batch_norm_statistics_of_its_own_activations(name):
    """The EMA weights are an average whose activations the raw generator's BatchNorm statistics (which the EMA
    copies) do not describe: inside ``inference_weights`` every BatchNorm layer holds its inputs' statistics
    under the EMA weights, so on a large batch inference mode gives what batch statistics give."""
    config = resolve_config(name, "tiny", train={"export_at_end": False}, ema={"halflife_images": 1e6},
                            optimizer={"generator_learning_rate": 0.01})
    model = build_model(config)  # the EMA stays near the initial weights while the raw ones move far
    batch = _batch(model, config)
    for _ in range(3):
        model.train_on_batch(batch)
    inputs = model.batch_norm_inputs(512)
    inputs[0] = model.draw_noise(512, seed=model.seed + 1)  # not the noise the statistics were estimated on
    with model.inference_weights():
        inference = keras.ops.convert_to_numpy(model.generator(inputs, training=False))
        batch_statistics = keras.ops.convert_to_numpy(model.generator(inputs, training=True))
    assert np.abs(inference - batch_statistics).mean() < 0.1 * np.abs(batch_statistics).mean()


@pytest.mark.slow
@pytest.mark.parametrize("name", model_names())
def test_every_model_swaps_its_ema_generator_in_and_back(name):
    """Every model's EMA generator goes in (BatchNorm statistics re-estimated where the model can draw its
    generator's inputs) and out again."""
    config = resolve_config(name, "tiny", ema={"halflife_images": 10.0})
    model = build_model(config)
    raw = [v.numpy().copy() for v, _ in model._ema_pairs]
    with model.inference_weights():
        pass
    for (variable, _), value in zip(model._ema_pairs, raw):
        np.testing.assert_array_equal(variable.numpy(), value)


# --- R1 -------------------------------------------------------------------------------------------------------


def test_r1_is_the_squared_gradient_norm_at_real_images_scaled_when_due():
    gamma, interval = 3.0, 2
    config = _config(r1={"gamma": gamma, "interval": interval})
    model = build_model(config)
    batch = _batch(model, config)
    fakes = model.generate(batch)
    images = tf.constant(batch["images"])
    with tf.GradientTape() as tape:
        tape.watch(images)
        score = tf.reduce_sum(model.discriminator(images, training=True))
    direct = float(tf.reduce_mean(tf.reduce_sum(tf.square(tape.gradient(score, images)), axis=[1, 2, 3])))
    plain = float(model.discriminator_losses(batch, fakes)["d_loss"])

    due = model.discriminator_step_losses(batch, fakes)  # step 0: due
    assert float(due["r1_penalty"]) == pytest.approx(direct, rel=1e-5)
    assert direct > 0
    assert float(due["d_loss"]) == pytest.approx(plain + gamma / 2 * interval * direct, rel=1e-5)
    model.train_step_counter.assign(1)  # not due: the plain loss
    assert float(model.discriminator_step_losses(batch, fakes)["d_loss"]) == pytest.approx(plain, rel=1e-6)


@pytest.mark.slow
def test_r1_changes_the_discriminator_update():
    """The penalty is differentiated again (a nested tape): with R1 the discriminator moves differently."""
    updates = []
    for r1 in (None, {"gamma": 10.0, "interval": 1}):
        config = _config(r1=r1) if r1 else _config()
        model = build_model(config)
        model.train_on_batch(_batch(model, config), return_dict=True)
        updates.append([v.numpy() for v in model.discriminator.trainable_variables])
    assert any(not np.allclose(a, b) for a, b in zip(*updates))


# --- ADA ------------------------------------------------------------------------------------------------------


def _ada_model(optimizer=None, **augment):
    config = resolve_config("dcgan", "tiny", train={"export_at_end": False}, optimizer=optimizer,
                            augment={"kind": "ada", "interval": 1, "speed_images": 80, **augment})
    return config, build_model(config)


@pytest.mark.slow
def test_ada_p_rises_while_the_discriminator_memorises_its_real_images():
    config, model = _ada_model()
    batch = _batch(model, config)
    real = tf.constant(batch["images"])  # a tiny fixed set the discriminator learns to call real
    optimizer = keras.optimizers.Adam(1e-2)

    @tf.function
    def memorise():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softplus(-model.discriminator(real, training=True)))
        variables = model.discriminator.trainable_variables
        optimizer.apply(tape.gradient(loss, variables), variables)

    for _ in range(30):
        memorise()
    ps = []
    for _ in range(3):
        logs = model.train_on_batch(batch, return_dict=True)
        ps.append(float(logs["ada_p"]))
    assert float(logs["ada_rt"]) > 0.6
    assert ps[0] > 0 and ps == sorted(ps) and ps[-1] > ps[0]
    assert ps[-1] <= config.augment.max_p


@pytest.mark.slow
def test_ada_p_falls_when_the_discriminator_cannot_tell():
    # A discriminator that cannot tell: its logit bias shifted so that half the real images score below 0, and
    # (almost) not trained further.
    config, model = _ada_model(optimizer={"discriminator_learning_rate": 1e-12})
    batch = _batch(model, config)
    logit = model.discriminator.get_layer("logit")
    logits = model.discriminator(batch["images"], training=True).numpy().ravel()
    logit.bias.assign(logit.bias.numpy() - np.median(logits))
    model.ada_p.assign(0.5)
    ps = []
    for _ in range(3):
        logs = model.train_on_batch(batch, return_dict=True)
        ps.append(float(logs["ada_p"]))
    assert float(logs["ada_rt"]) < 0.6
    assert ps == sorted(ps, reverse=True) and ps[-1] < 0.5


@pytest.mark.slow
def test_ada_p_and_its_accumulators_follow_the_interval():
    config, model = _ada_model(interval=3)
    batch = _batch(model, config)
    assert {"augment_real", "augment_fake", "augment_generator"} <= set(batch)
    model.ada_p.assign(0.5)
    for step in range(1, 4):
        model.train_on_batch(batch, return_dict=True)
        if step < 3:
            assert float(model.ada_p.numpy()) == 0.5 and float(model.ada_count.numpy()) == step * BATCH
    assert float(model.ada_count.numpy()) == 0.0
    # one adjustment, towards more augmentation when r_t is above the target, less when below
    moved = float(model.ada_p.numpy()) - 0.5
    assert moved != 0 and np.sign(moved) == np.sign(float(model.ada_rt.numpy()) - config.augment.target)


def test_augmentation_reaches_the_discriminator():
    """With p > 0 the discriminator sees transformed inputs (the hook applies ``augment``), at p = 0 the same."""
    config, model = _ada_model()
    batch = _batch(model, config)
    seen = []
    network = lambda x: seen.append(np.array(x)) or model.discriminator(x, training=True)
    model.discriminate(network, batch["images"], batch, "real")
    model.ada_p.assign(1.0)
    model.discriminate(network, batch["images"], batch, "real")
    np.testing.assert_array_equal(seen[0], batch["images"])
    assert not np.allclose(seen[1], batch["images"])


def test_every_discriminator_call_of_a_step_is_augmented_with_p_and_its_own_fresh_draws(monkeypatch):
    """The generator's pass is augmented as the discriminator's are (the same p, read before this step's
    update), each call site with its own draws from the batch, and the next batch of the training stream
    brings new ones: no site shares draws with another or repeats them from a step before."""
    config, model = _ada_model(interval=8)  # p moves only at step 8: fixed over these two steps
    model.ada_p.assign(0.3)
    calls, real_augment = [], augment_lib.augment
    def spy(x, draws, p, kind, **kwargs):
        calls.append((float(p), np.array(draws)))
        return real_augment(x, draws, p, kind, **kwargs)
    monkeypatch.setattr(augment_lib, "augment", spy)
    model.run_eagerly = True  # the spy sees values, not a trace
    stream = iter(build_inputs(model.input_kind, config, model.training_latent_spec()).batches(0))
    drawn = []
    for _ in range(2):
        batch = {k: np.asarray(v) for k, v in next(stream).items()}
        calls.clear()
        model.train_on_batch(batch)
        assert [p for p, _ in calls] == pytest.approx([0.3] * 3)  # real, fake, then the generator's pass
        for (_, draws), site in zip(calls, ("real", "fake", "generator")):
            np.testing.assert_array_equal(draws, batch["augment_" + site])
        drawn += [draws for _, draws in calls]
    assert not any(np.array_equal(a, b) for i, a in enumerate(drawn) for b in drawn[i + 1:])


def test_sites_without_draws_in_the_batch_draw_from_seed_and_step():
    config, model = _ada_model()
    batch = {"images": _batch(model, config)["images"]}
    first = np.array(model._augment_draws(batch, "real", batch["images"]))
    assert first.shape == (BATCH, first.shape[1]) and np.array_equal(
        first, np.array(model._augment_draws(batch, "real", batch["images"])))
    assert not np.array_equal(first, np.array(model._augment_draws(batch, "fake", batch["images"])))
    model.train_step_counter.assign(1)
    assert not np.array_equal(first, np.array(model._augment_draws(batch, "real", batch["images"])))


@pytest.mark.slow
@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_with_every_hook_on(name):
    """Each model's discriminator calls go through the hook at declared sites: one step with augmentation at
    p = 0.5, EMA and R1 (not for the Wasserstein critic) has finite losses and moves p and the EMA."""
    wasserstein = get_model(name).model_class.wasserstein_critic(get_model(name).preset("tiny").model_config)
    config = resolve_config(name, "tiny", augment={"kind": "ada", "interval": 1}, ema={"halflife_images": 10.0},
                            r1=None if wasserstein else {"gamma": 1.0, "interval": 1})
    model = build_model(config)
    model.ada_p.assign(0.5)
    batch = {k: np.asarray(v) for k, v in
             next(iter(build_inputs(model.input_kind, config, model.training_latent_spec()).batches(0))).items()}
    shadows = [s.numpy().copy() for s in model.ema_weights]
    logs = model.train_on_batch(batch, return_dict=True)
    assert all(np.isfinite(float(v)) for v in logs.values()), logs
    assert float(logs["ada_p"]) != 0.5
    assert ("r1_penalty" in logs) != wasserstein
    assert any(not np.array_equal(a, s.numpy()) for a, s in zip(shadows, model.ema_weights))


# --- runs: resume, sampling, export ---------------------------------------------------------------------------

# a low target: p rises from the first step, so the resumed run continues an augmenting one
_HOOKS = dict(augment={"kind": "ada", "interval": 1, "speed_images": 80, "target": 0.1}, ema={"halflife_images": 20.0},
              r1={"gamma": 1.0, "interval": 2})


def _run_config(steps, export=False):
    return resolve_config("dcgan", "tiny", data={"num_examples": 64},
                          train={"steps": steps, "export_at_end": export, "log_every": 1, "checkpoint_every": 2,
                                 "sample_every": 1000}, **_HOOKS)


def _all_weights(run_dir):
    _, model = load_trained_model(run_dir, raw_generator=True)
    # keyed by index and the path without the model's name (models built in one process get numbered names)
    return {f"{i}:{v.path.split('/', 1)[-1]}": v.numpy() for i, v in enumerate(model.weights)}, model


@pytest.mark.slow
@pytest.mark.numerics
def test_resume_is_exact_with_ada_ema_and_r1(tmp_path):
    train(_run_config(4), tmp_path / "full")
    train(_run_config(2), tmp_path / "split")
    train(_run_config(4), tmp_path / "split", resume=True)
    full, model = _all_weights(tmp_path / "full")
    resumed, _ = _all_weights(tmp_path / "split")
    assert full.keys() == resumed.keys()
    for key in full:
        np.testing.assert_array_equal(full[key], resumed[key], err_msg=key)
    assert float(model.ada_p.numpy()) > 0  # p moved, so its resume is covered
    assert any(k.endswith("ema_0") for k in full)


@pytest.mark.slow
def test_samples_and_exports_use_the_ema_generator_unless_asked_for_the_raw_one(tmp_path):
    result = train(_run_config(2, export=True), tmp_path / "run")
    _, ema_model = load_trained_model(tmp_path / "run")
    _, raw_model = load_trained_model(tmp_path / "run", raw_generator=True)
    for (variable, shadow) in ema_model._ema_pairs:
        if variable.trainable:  # BatchNorm statistics: re-estimated for the EMA weights
            np.testing.assert_array_equal(variable.numpy(), shadow.numpy())
    noise = np.random.default_rng(1).standard_normal((3, ema_model.config.latent_dim)).astype("float32")
    ema_images = ema_model(noise)["image"].numpy()
    raw_images = raw_model(noise)["image"].numpy()
    assert not np.allclose(ema_images, raw_images, atol=1e-4)

    def served(path):
        return tf.saved_model.load(str(path)).signatures["generate"](noise=tf.constant(noise))["image"].numpy()

    np.testing.assert_allclose(served(result.export_path), ema_images, atol=1e-5)  # the end-of-training export
    raw_export = export_run(tmp_path / "run", tmp_path / "raw", raw_generator=True)
    np.testing.assert_allclose(served(raw_export), raw_images, atol=1e-5)

    from tfskin.cli import main

    assert main(["export", "--run", str(tmp_path / "run"), "--out", str(tmp_path / "cli"), "--raw-generator"]) == 0
    np.testing.assert_allclose(served(tmp_path / "cli" / "1"), raw_images, atol=1e-5)


@pytest.mark.slow
@pytest.mark.numerics
def test_mirrored_hooked_step_equals_single_device_step():
    """ADA (p = 0.5, signs summed over replicas), EMA and R1 split over two replicas: the same weights and ADA
    accumulators as on one device (tolerance as in tests/test_distribution.py)."""
    from numerics import float_arrays, max_abs_diff, rounding_tolerance

    from tfskin.runtime import make_strategy

    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    config = _config(augment={"kind": "ada", "interval": 3, "speed_images": 80}, ema={"halflife_images": 20.0},
                     r1={"gamma": 1.0, "interval": 1})
    batch = None
    models = []
    for strategy in (tf.distribute.get_strategy(), make_strategy("mirrored")):
        with strategy.scope():
            model = build_model(config)
        model.ada_p.assign(0.5)
        batch = batch or _batch(model, config)
        model.fit(tf.data.Dataset.from_tensors(batch).repeat(), steps_per_epoch=2, epochs=1, verbose=0)
        models.append(model)
    single, mirrored = (float_arrays(m.weights) for m in models)
    assert max_abs_diff(single, mirrored) <= rounding_tolerance(single, steps=2)
    # the sign statistics of both replicas' real images, accumulated over the two steps
    assert float(models[1].ada_count.numpy()) == float(models[0].ada_count.numpy()) == 2 * BATCH
    assert float(models[1].ada_sign_sum.numpy()) == float(models[0].ada_sign_sum.numpy())
