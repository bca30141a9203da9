"""Lazy R1 on TensorFlow: the discriminator's input gradient is taken only on the steps R1 is due, and the
training numbers are those of taking it on every step and weighting it 0 in between."""

import numpy as np
import pytest
import tensorflow as tf
from numerics import float_arrays, max_abs_diff, rounding_tolerance

from tfskin.gan import base, r1
from tfskin.inputs import build_inputs
from tfskin.training import build_model, resolve_config

INTERVAL, STEPS = 4, 8


def _config():
    return resolve_config("dcgan", "tiny", train={"export_at_end": False, "precision": "float32"},
                          r1={"gamma": 1.0, "interval": INTERVAL})


def _batch(model, config):
    stream = build_inputs(model.input_kind, config, model.training_latent_spec()).batches(0)
    return {k: np.asarray(v) for k, v in next(iter(stream)).items()}


def _counting(monkeypatch):
    """Counts executions (not traces) of R1's backward pass, in eager and in compiled steps."""
    calls = tf.Variable(0, dtype=tf.int64, trainable=False)
    original = r1.input_gradient

    def counted(*args, **kwargs):
        calls.assign_add(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(r1, "input_gradient", counted)
    return calls


def _train(config, steps=STEPS):
    """``steps`` graph-mode steps on one batch; returns the model and each step's logs."""
    model = build_model(config)
    batch = _batch(model, config)
    return model, [model.train_on_batch(batch, return_dict=True) for _ in range(steps)]


def test_an_off_interval_discriminator_loss_takes_no_input_gradient(monkeypatch):
    calls = _counting(monkeypatch)
    config = _config()
    model = build_model(config)
    batch = _batch(model, config)
    fakes = model.generate(batch)
    due = model.discriminator_step_losses(batch, fakes)  # step 0: due
    assert int(calls.numpy()) == 1 and float(due["r1_penalty"]) > 0
    model.train_step_counter.assign(1)
    off = model.discriminator_step_losses(batch, fakes)
    assert int(calls.numpy()) == 1  # not taken again
    assert float(off["d_loss"]) == pytest.approx(float(model.discriminator_losses(batch, fakes)["d_loss"]), rel=1e-6)


@pytest.mark.slow
def test_compiled_steps_take_the_input_gradient_only_when_due(monkeypatch):
    calls = _counting(monkeypatch)
    model, logs = _train(_config())
    assert int(model.train_step_counter.numpy()) == STEPS
    assert int(calls.numpy()) == STEPS // INTERVAL  # steps 0 and 4
    # each train_on_batch logs its own step: the penalty where it was due
    assert all(float(logs[step]["r1_penalty"]) > 0 for step in range(0, STEPS, INTERVAL))


@pytest.mark.slow
def test_lazy_steps_equal_steps_that_take_the_gradient_every_time(monkeypatch):
    config = _config()
    with monkeypatch.context() as patch:
        def every_step(self, run, x, score):  # what the step did before: the norm always, weighted 0 off-interval
            out, grad = r1.output_and_input_gradient(run, x, lambda o: r1.logit_sum(score(o)))
            return out, r1.squared_gradient_norm(grad)

        patch.setattr(base.GAN, "_run_with_r1", every_step)
        reference, reference_logs = _train(config)
    lazy, lazy_logs = _train(config)
    expected, got = float_arrays(reference.weights), float_arrays(lazy.weights)
    tolerance = rounding_tolerance(expected, steps=STEPS)
    start = float_arrays(build_model(config).weights)
    assert max_abs_diff(expected, start) > 100 * tolerance  # the steps moved the weights far beyond it
    assert max_abs_diff(expected, got) <= tolerance
    for step in range(STEPS):
        assert float(lazy_logs[step]["d_loss"]) == pytest.approx(float(reference_logs[step]["d_loss"]), rel=1e-4)


@pytest.mark.slow
@pytest.mark.numerics
def test_lazy_r1_split_over_two_replicas_equals_one_device():
    """The due/off-interval branch is taken alike on every replica (tolerance as in tests/test_distribution.py)."""
    from tfskin.runtime import make_strategy

    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    config = resolve_config("dcgan", "tiny", train={"export_at_end": False, "precision": "float32"},
                            r1={"gamma": 1.0, "interval": 2})
    batch, models = None, []
    for strategy in (tf.distribute.get_strategy(), make_strategy("mirrored")):
        with strategy.scope():
            model = build_model(config)
        batch = batch or _batch(model, config)
        model.fit(tf.data.Dataset.from_tensors(batch).repeat(), steps_per_epoch=4, epochs=1, verbose=0)
        models.append(model)
    single, mirrored = (float_arrays(m.weights) for m in models)
    assert max_abs_diff(single, mirrored) <= rounding_tolerance(single, steps=4)
