"""``model.train_on_batch`` (a user's own loop) works for every tfskin GAN: Keras hands ``train_step`` an
``(x, y, sample_weight)`` tuple there, where ``fit`` on a dataset of dicts hands it the dict."""

import io

import numpy as np
import pytest

from tests.gan_harness import changed, weights_of
from tfskin.callbacks import Progress
from tfskin.inputs import build_inputs
from tfskin.registry import model_names
from tfskin.training import build_model, resolve_config


# dcgan in the default tier; the other models run with --run-slow (each also passes the fit-step harness by default)
@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n == "dcgan" else pytest.mark.slow)
                                  for n in model_names()])
def test_train_on_batch_updates_both_players(name):
    config = resolve_config(name, "tiny")
    model = build_model(config)
    batch = next(iter(build_inputs(model.input_kind, config, model.latent_spec()).batches(0)))
    g_before = weights_of(model.generator_networks)
    d_before = weights_of(model.discriminator_networks)
    for _ in range(2):
        logs = model.train_on_batch(batch, return_dict=True)
    for loss in model.loss_names:
        assert np.isfinite(float(logs[loss])), (loss, logs)
    assert int(model.train_step_counter.numpy()) == 2
    assert changed(g_before, weights_of(model.generator_networks))
    assert changed(d_before, weights_of(model.discriminator_networks))


class _Counter:
    def __init__(self, value):
        self.value = value

    def numpy(self):
        return np.int64(self.value)


class _FakeModel:
    train_step_counter = _Counter(0)


def test_progress_reports_the_recent_window_with_enough_digits(monkeypatch):
    """The img/s on the progress line is over the last logging window (not from step 0, where tracing
    dominates) and keeps significant digits at small rates."""
    clock = iter([0.0, 100.0, 110.0, 120.0])  # begin; step 2 (slow, tracing); step 4; step 6
    monkeypatch.setattr("tfskin.callbacks.time.perf_counter", lambda: next(clock))
    stream = io.StringIO()
    progress = Progress(total_steps=6, batch_size=1, every=2, stream=stream)
    model = _FakeModel()
    progress.set_model(model)
    progress.on_train_begin()
    for step in (2, 4, 6):
        model.train_step_counter = _Counter(step)
        progress.on_train_batch_end(step - 1, {"d_loss": 1.0})
    lines = stream.getvalue().splitlines()
    assert "0.02000 img/s" in lines[0], lines[0]  # 2 images in 100 s
    assert "0.2000 img/s" in lines[1], lines[1]  # 2 images in the last 10 s, not 4 in 110 s
    assert progress.images_per_second == pytest.approx(0.2)
