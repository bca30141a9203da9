"""The training runner: resume equals an uninterrupted run (even after a kill), NaN guard, run-dir errors."""

import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tensorflow as tf

from tfskin.callbacks import NonFiniteLossError
from tfskin.checkpointing import CheckpointError
from tfskin.config import ConfigError
from tfskin.training import load_trained_model, resolve_config, train

TINY = dict(data={"num_examples": 64}, train={"export_at_end": False, "log_every": 1})


def _config(steps, **train_overrides):
    return resolve_config("dcgan", "tiny", data=TINY["data"],
                          train={**TINY["train"], "steps": steps, **train_overrides})


def _weights(run_dir):
    _, model = load_trained_model(run_dir)
    return [v.numpy() for v in model.weights]


_TRAIN_SCRIPT = textwrap.dedent("""
    import sys
    from tfskin.training import resolve_config, train
    config = resolve_config("dcgan", "tiny", data={"num_examples": 64},
                            train={"steps": int(sys.argv[2]), "export_at_end": False, "log_every": 1,
                                   "checkpoint_every": 2, "sample_every": 1000})
    train(config, sys.argv[1], resume=sys.argv[3] == "resume")
""")


@pytest.mark.numerics
@pytest.mark.slow
def test_killed_then_resumed_run_equals_uninterrupted_run(tmp_path):
    steps = 30
    reference = train(_config(steps, checkpoint_every=2, sample_every=1000), tmp_path / "reference")
    assert reference.step == steps

    run_dir = tmp_path / "interrupted"
    proc = subprocess.Popen([sys.executable, "-c", _TRAIN_SCRIPT, str(run_dir), "100000", "fresh"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline:  # kill it as soon as a checkpoint or two exist, mid-run
        if tf.train.latest_checkpoint(str(run_dir / "checkpoints")):
            break
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = int(tf.train.latest_checkpoint(str(run_dir / "checkpoints")).rsplit("-", 1)[1])
    assert 0 < killed_at < steps, f"killed at step {killed_at}; the test needs a kill before step {steps}"

    subprocess.run([sys.executable, "-c", _TRAIN_SCRIPT, str(run_dir), str(steps), "resume"],
                   check=True, capture_output=True, timeout=300)
    for a, b in zip(_weights(reference.run_dir), _weights(run_dir)):
        np.testing.assert_array_equal(a, b)  # exact: same kernels, same order


@pytest.mark.slow
@pytest.mark.numerics
def test_resume_in_process_continues_to_the_same_weights(tmp_path):
    full = train(_config(4), tmp_path / "full")
    train(_config(2), tmp_path / "split")
    resumed = train(_config(4), tmp_path / "split", resume=True)
    assert resumed.step == 4
    for a, b in zip(_weights(full.run_dir), _weights(resumed.run_dir)):
        np.testing.assert_array_equal(a, b)  # exact: same kernels, same order
    # ... and a run with different weights really differs (the comparison can fail)
    other = train(_config(4, seed=7), tmp_path / "other")
    assert any(not np.allclose(a, b) for a, b in zip(_weights(full.run_dir), _weights(other.run_dir)))


def test_run_dir_holds_config_logs_samples_checkpoint(tmp_path):
    result = train(_config(2), tmp_path / "run")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"] == "dcgan" and config["train"]["steps"] == 2
    assert sorted(p.name for p in (tmp_path / "run" / "samples").glob("*.png")) == [
        "step_0000000.png", "step_0000002.png"]
    assert list((tmp_path / "run" / "logs").glob("events.out.tfevents.*"))
    assert result.checkpoint.endswith("ckpt-2")


def test_existing_run_needs_resume_and_resume_needs_a_checkpoint(tmp_path):
    train(_config(2), tmp_path / "run")
    with pytest.raises(ConfigError, match="--resume"):
        train(_config(2), tmp_path / "run")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        train(_config(2), tmp_path / "empty", resume=True)
    with pytest.raises(ConfigError, match="only --steps"):
        train(_config(4, seed=3), tmp_path / "run", resume=True)
    # the message names each changed setting (a reproduce budget resuming a run of another preset version)
    changed = resolve_config("dcgan", "tiny", data=TINY["data"], train={**TINY["train"], "steps": 4, "seed": 3},
                             ema={"halflife_images": 2000})
    with pytest.raises(ConfigError, match=r"\(train\.seed: 0 -> 3; ema\.halflife_images: 0\.0 -> 2000\)"):
        train(changed, tmp_path / "run", resume=True)


def test_corrupt_checkpoint_is_reported_by_path(tmp_path):
    train(_config(2), tmp_path / "run")
    for data_file in (tmp_path / "run" / "checkpoints").glob("ckpt-2.data-*"):
        data_file.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="ckpt-2"):
        load_trained_model(tmp_path / "run")


def test_unwritable_run_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="not writable"):
        train(_config(1), blocker / "run")


def test_nan_guard_names_loss_and_step_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    from tfskin.models.dcgan.model import DCGAN

    original = DCGAN.generator_losses

    def poisoned(self, batch, fakes):
        losses = original(self, batch, fakes)
        step = tf.cast(self.train_step_counter, tf.float32)
        losses["g_loss"] = losses["g_loss"] + tf.where(step >= 3.0, np.nan, 0.0)
        return losses

    monkeypatch.setattr(DCGAN, "generator_losses", poisoned)
    with pytest.raises(NonFiniteLossError, match=r"g_loss became nan at step 4"):
        train(_config(8, checkpoint_every=2), tmp_path / "run")
    latest = tf.train.latest_checkpoint(str(tmp_path / "run" / "checkpoints"))
    assert latest.endswith("ckpt-2")
    monkeypatch.setattr(DCGAN, "generator_losses", original)
    _, model = load_trained_model(tmp_path / "run")
    assert all(np.all(np.isfinite(v.numpy())) for v in model.weights if v.dtype != "int64")


def test_batch_size_must_divide_over_replicas(tmp_path):
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPU devices")
    with pytest.raises(ConfigError, match="not divisible by the 2 replicas"):
        train(_config(1, batch_size=7, strategy="mirrored"), tmp_path / "run")


@pytest.mark.slow
def test_jit_compile_flag_trains_with_xla(tmp_path):
    result = train(_config(2, jit_compile=True), tmp_path / "run")
    assert result.step == 2 and all(np.isfinite(v) for v in result.final_logs.values())
    _, model = load_trained_model(tmp_path / "run")
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["jit_compile"] is True
