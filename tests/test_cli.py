"""The tfskin command: train / sample / export / models, and one-line errors with non-zero exits."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tfskin.cli import main

TINY = ["--model", "dcgan", "--preset", "tiny", "--steps", "2"]


def test_models_lists_models_and_presets(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "dcgan" in out and "quick (default)" in out and "paper192x256_mask" in out


def test_dry_run_prints_resolved_config(capsys, tmp_path):
    assert main(["train", *TINY, "--image-size", "32x64", "--dry-run", "--run-dir", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    config = json.loads(out[: out.rindex("}") + 1])
    assert config["data"]["image_size"] == [32, 64] and "image_size" not in config["model_config"]
    assert not (tmp_path / "r").exists()


def test_train_sample_export_resume(capsys, tmp_path):
    run = tmp_path / "run"
    assert main(["train", *TINY, "--run-dir", str(run), "--no-export"]) == 0
    out = capsys.readouterr().out
    for label in ("samples:", "tensorboard:", "checkpoint:", "colour distance"):
        assert label in out
    assert main(["train", "--run-dir", str(run), "--resume", "--steps", "3"]) == 0
    assert "done: step 3" in capsys.readouterr().out

    assert main(["sample", "--run", str(run), "--n", "5", "--out", str(tmp_path / "s")]) == 0
    pngs = sorted(p.name for p in (tmp_path / "s").glob("*.png"))
    assert pngs == [f"sample_{i:05d}.png" for i in range(5)]  # only samples: the grid goes beside the folder
    assert (tmp_path / "s.grid.png").is_file()
    assert np.asarray(Image.open(tmp_path / "s" / pngs[0])).shape == (32, 32, 3)

    assert main(["export", "--run", str(run), "--out", str(tmp_path / "models" / "dcgan")]) == 0
    assert main(["export", "--run", str(run), "--out", str(tmp_path / "models" / "dcgan")]) == 0
    versions = sorted(p.name for p in (tmp_path / "models" / "dcgan").iterdir())
    assert versions == ["1", "2"]
    assert (tmp_path / "models" / "dcgan" / "2" / "saved_model.pb").exists()


def test_sample_writes_masks_for_four_channel_models(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "dcgan", "--preset", "tiny_mask", "--steps", "1", "--run-dir", str(run),
                 "--no-export"]) == 0
    assert main(["sample", "--run", str(run), "--n", "2", "--out", str(tmp_path / "s")]) == 0
    mask = np.asarray(Image.open(tmp_path / "s" / "sample_00000_mask.png"))
    assert mask.shape == (32, 48) and set(np.unique(mask)) <= {0, 255}


@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "nope"], "unknown model 'nope'; valid models: .*dcgan"),
    (["train", "--preset", "nope"], "no preset 'nope'; valid presets:"),
    (["train", "--image-size", "50"], r"must be divisible by 2\*\*4"),
    (["train", "--image-size", "ax3"], "is not N or HxW"),
    (["train", "--image-size", "100000", "--dry-run"], "sides must be <= 8192"),
    (["train", "--data", "nope", "--preset", "tiny", "--run-dir", "{tmp}/r"], "unknown dataset 'nope'"),
    (["train", "--resume"], "--resume needs --run-dir"),
    (["train", "--resume", "--run-dir", "{tmp}/none"], "no tfskin run directory|not a tfskin run directory"),
    (["sample", "--run", "{tmp}/none", "--out", "{tmp}/o"], "not a tfskin run directory"),
    (["sample", "--run", "{tmp}", "--out", "{tmp}/o", "--n", "0"], "--n: must be >= 1"),
    (["export", "--run", "{tmp}", "--version", "0"], "--version: must be >= 1"),
    (["export", "--run", "{tmp}", "--version", "-1"], "--version: must be >= 1"),
    (["train", "--steps", "99999999999999999999", "--dry-run"], "train.steps must be <= "),
    (["train", "--preset", "tiny", "--classes", "FOO", "--dry-run"], "unknown class 'FOO'|no class 'FOO'"),
    (["train", "--preset", "tiny", "--data", "nope", "--dry-run"], "unknown dataset 'nope'"),
    (["train", "--preset", "tiny", "--num-d", "2"], "--num-d do\\(es\\) not apply to --model dcgan"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_console_script_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tfskin.cli", "train", "--model", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("tfskin train: error: unknown model 'nope'; valid models: ")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_sample_refuses_class_for_unconditional_models(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *TINY, "--steps", "1", "--run-dir", str(run), "--no-export"]) == 0
    capsys.readouterr()
    assert main(["sample", "--run", str(run), "--class", "MEL", "--out", str(tmp_path / "s")]) == 2
    assert "dcgan is not class-conditional" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("resume") / "run"
    assert main(["train", *TINY, "--steps", "1", "--run-dir", str(run), "--no-export"]) == 0
    return run


@pytest.mark.parametrize("flags, named", [
    (["--model", "cyclegan"], "--model cyclegan differs from the run's dcgan"),
    (["--preset", "quick"], "--preset quick differs from the run's tiny"),
    (["--image-size", "64"], "--image-size 64x64 differs from the run's 32x32"),
    (["--batch-size", "16"], "--batch-size 16 differs from the run's 8"),
    (["--data", "isic2019"], "--data isic2019 differs from the run's phantoms"),
    (["--classes", "MEL"], "--classes MEL differs from the run's None"),
    (["--precision", "mixed_float16"], "--precision mixed_float16 differs from the run's float32"),
    (["--seed", "7"], "--seed 7 differs from the run's 0"),
    (["--domain-a", "MEL"], "--domain-a MEL differs"),
])
def test_resume_refuses_any_changed_flag_but_steps(tiny_run, flags, named, capsys):
    capsys.readouterr()
    assert main(["train", "--run-dir", str(tiny_run), "--resume", *flags]) == 2
    err = capsys.readouterr().err
    assert named in err and "only --steps may change on resume" in err and len(err.strip().splitlines()) == 1


def test_resume_accepts_unchanged_flags_and_rejects_zero_steps(tiny_run, capsys):
    assert main(["train", "--run-dir", str(tiny_run), "--resume", "--model", "dcgan", "--seed", "0",
                 "--precision", "auto", "--steps", "1"]) == 0
    assert "nothing to train" in capsys.readouterr().out
    assert main(["train", "--run-dir", str(tiny_run), "--resume", "--steps", "0"]) == 2
    assert "argument --steps: must be >= 1, got 0" in capsys.readouterr().err


def test_a_bug_keeps_its_traceback(monkeypatch, capsys):
    """Only user errors become one line; anything else (here a KeyError in library code) is a bug."""
    import tfskin.cli as cli

    def broken(args):
        raise KeyError("internal")

    monkeypatch.setattr(cli, "_cmd_models", broken)
    assert main(["models"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "this is a bug in tfskin" in err


def test_writing_where_it_cannot_is_one_line(tiny_run, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    capsys.readouterr()
    assert main(["export", "--run", str(tiny_run), "--out", str(blocker / "models" / "dcgan")]) == 2
    assert main(["sample", "--run", str(tiny_run), "--n", "2", "--out", str(blocker / "samples")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith(("tfskin export: error:", "tfskin sample: error:")) for line in err)
    assert "Traceback" not in "".join(err)


def test_a_full_disk_while_checkpointing_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    """The second checkpoint write fails as SaveV2 does on a full disk: one line, and the first checkpoint
    still resumes to the end."""
    import tensorflow as tf

    real_save, calls = tf.train.CheckpointManager.save, []

    def save_then_fill_the_disk(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise tf.errors.ResourceExhaustedError(None, None, "ckpt-3.data-00000-of-00001: No space left on device")
        return real_save(self, *args, **kwargs)

    run = tmp_path / "run"
    monkeypatch.setattr(tf.train.CheckpointManager, "save", save_then_fill_the_disk)
    assert main(["train", *TINY, "--steps", "3", "--run-dir", str(run), "--no-export"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "the disk is full" in err and "ckpt-2" in err
    monkeypatch.setattr(tf.train.CheckpointManager, "save", real_save)
    assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith("ckpt-2")
    assert main(["train", "--run-dir", str(run), "--resume", "--steps", "3"]) == 0
    assert "done: step 3" in capsys.readouterr().out
