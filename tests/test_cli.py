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
    assert config["data"]["image_size"] == [32, 64] and config["model_config"]["image_size"] == [32, 64]
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
    pngs = sorted(p.name for p in (tmp_path / "s").glob("sample_*.png"))
    assert len(pngs) == 5 and (tmp_path / "s" / "grid.png").exists()
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
    (["train", "--data", "nope", "--preset", "tiny", "--run-dir", "{tmp}/r"], "unknown dataset 'nope'"),
    (["train", "--resume"], "--resume needs --run-dir"),
    (["train", "--resume", "--run-dir", "{tmp}/none"], "no tfskin run directory|not a tfskin run directory"),
    (["sample", "--run", "{tmp}/none", "--out", "{tmp}/o"], "not a tfskin run directory"),
    (["sample", "--run", "{tmp}", "--out", "{tmp}/o", "--n", "0"], "--n must be >= 1"),
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
