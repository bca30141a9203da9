"""No reachable traceback: every bad input the CLI can be given ends as exit status 2 and one line on stderr
(``tfskin CMD: error: ...``), or, where skipping is what a user wants, a warning line per kind of skipped input
and the good inputs still done. The flag checks that need no TensorFlow run in one subprocess that must not
import it (that is what makes them answer at once); the cases that need a model run in the e2e tier."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tfskin.cli import main

ROOT = Path(__file__).resolve().parents[1]

# (argv, what the one stderr line must say); {tmp} is a scratch folder, {run} a fake run dir of a dcgan run
# whose export folder {run}/models already holds version 1.
PRE_TENSORFLOW = [
    (["train", "--model", "nope"], "unknown model 'nope'"),
    (["train", "--preset", "nope"], "no preset 'nope'"),
    (["train", "--preset", "tiny", "--data", "nope"], "unknown dataset 'nope'"),
    (["train", "--preset", "tiny", "--classes", "FOO"], "no class 'FOO'"),
    (["train", "--image-size", "50"], r"must be divisible by 2\*\*4"),
    (["train", "--image-size", "ax3"], "is not N or HxW"),
    (["train", "--image-size", "100000"], "sides must be <= 8192"),
    (["train", "--steps", "0"], "--steps: must be >= 1"),
    (["train", "--batch-size", "-1"], "--batch-size: must be >= 1"),
    (["train", "--precision", "fp8"], "--precision: invalid choice"),
    (["sample", "--run", "{tmp}/none", "--out", "{tmp}/o"], "not a tfskin run directory"),
    (["sample", "--run", "{run}", "--out", "{tmp}/o", "--n", "0"], "--n: must be >= 1"),
    (["export", "--run", "{tmp}/none"], "not a tfskin run directory"),
    (["export", "--run", "{run}", "--version", "0"], "--version: must be >= 1"),
    (["export", "--run", "{run}", "--out", "{run}/models", "--version", "1"], "version .*/1 already exists"),
    (["labelmaps", "--out", "{tmp}/l", "--n", "0"], "--n: must be >= 1"),
    (["labelmaps", "--out", "{tmp}/l", "--num-real", "0"], "--num-real: must be >= 1"),
    (["labelmaps", "--out", "{tmp}/l", "--preset", "nope"], "no preset 'nope'"),
    (["labelmaps", "--out", "{tmp}/l", "--data", "nope"], "unknown dataset 'nope'"),
    (["labelmaps", "--out", "{tmp}/l", "--image-size", "0"], "is not N or HxW"),
    (["translate", "--savedmodel", "{run}/models/dcgan", "--input", "{tmp}/none", "--out", "{tmp}/t"],
     "--input: input folder .* not found"),
    (["translate", "--savedmodel", "{run}/models/dcgan", "--input", "{tmp}", "--out", "{tmp}/t",
      "--batch-size", "0"], "--batch-size: must be >= 1"),
    (["translate", "--savedmodel", "{run}/models/dcgan", "--input", "{tmp}", "--instance-maps", "{tmp}",
      "--out", "{tmp}/t"], "--instance-maps goes with --label-maps"),
]
# The serving extra missing (tensorflow-serving-api not installed): blocked in the child before this case.
WITHOUT_SERVING_EXTRA = (["serving-config", "--model-base", "{run}/models", "--out", "{tmp}/models.config"],
                         r"pip install 'tfskin\[serving\]'")

_CHILD = textwrap.dedent("""
    import contextlib, io, json, sys
    from tfskin.cli import main
    cases, blocked = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    results = []
    for argv in cases + [blocked]:
        if argv is blocked:
            sys.modules["tensorflow_serving"] = None  # what a missing package looks like to an import
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(argv)
        results.append({"argv": argv, "code": code, "stderr": err.getvalue()})
    print(json.dumps({"results": results, "tensorflow_imported": "tensorflow" in sys.modules}))
""")


def _fill(argv, tmp, run):
    return [a.replace("{tmp}", str(tmp)).replace("{run}", str(run)) for a in argv]


def _fake_run(tmp_path) -> Path:
    run = tmp_path / "run"
    (run / "models" / "dcgan" / "1").mkdir(parents=True)
    (run / "models" / "dcgan" / "1" / "saved_model.pb").write_bytes(b"")
    (run / "models" / "1").mkdir()
    (run / "config.json").write_text(json.dumps({"model": "dcgan"}))
    return run


def test_every_pre_tensorflow_error_is_one_line_exit_2_without_importing_tensorflow(tmp_path):
    run = _fake_run(tmp_path)
    cases = [_fill(argv, tmp_path, run) for argv, _ in PRE_TENSORFLOW]
    blocked = _fill(WITHOUT_SERVING_EXTRA[0], tmp_path, run)
    proc = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(cases), json.dumps(blocked)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    import re

    for result, (_, message) in zip(report["results"], PRE_TENSORFLOW + [WITHOUT_SERVING_EXTRA]):
        lines = result["stderr"].strip().splitlines()
        assert result["code"] == 2 and len(lines) == 1, result
        assert lines[0].startswith(f"tfskin {result['argv'][0]}: error: ") and re.search(message, lines[0]), result
    assert not report["tensorflow_imported"]


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("sweep") / "run"
    assert main(["train", "--model", "dcgan", "--preset", "tiny", "--steps", "2", "--run-dir", str(run)]) == 0
    return run


def _one_line_error(capfd, command):
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tfskin {command}: error: "), err
    return err[0]


@pytest.mark.e2e
def test_resume_with_nothing_to_train_exports_nothing_new(dcgan_run, capfd):
    before = sorted(p.name for p in (dcgan_run / "export" / "dcgan").iterdir())
    assert before == ["1"]
    assert main(["train", "--run-dir", str(dcgan_run), "--resume"]) == 0
    out = capfd.readouterr().out
    assert "nothing to train" in out and "exported:    nothing new" in out
    assert sorted(p.name for p in (dcgan_run / "export" / "dcgan").iterdir()) == before
    assert main(["export", "--run", str(dcgan_run), "--out", str(dcgan_run / "export" / "dcgan"),
                 "--version", "1"]) == 2
    assert "already exists" in _one_line_error(capfd, "export")


@pytest.mark.e2e
def test_translate_skips_what_it_cannot_translate_and_writes_the_rest(tmp_path, capfd):
    from tfskin.registry import get_model
    from tfskin.serving.export import export_model

    spec = get_model("cyclegan")
    model = spec.build(spec.presets["tiny"].model_config, spec.presets["tiny"].image_shape)
    model.build_for_training()
    export_model(model, tmp_path / "cyclegan")
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(folder / "dot.png")  # too small to reflect-pad
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(folder / "good.png")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"not a png")
    assert main(["translate", "--savedmodel", str(tmp_path / "cyclegan"), "--input", str(folder),
                 "--out", str(tmp_path / "out")]) == 0
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("tfskin translate: warning: skipped") for line in err), err
    for name in ("notes.txt", "broken.png", "dot.png"):
        assert sum(name in line for line in err) == 1, name
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.png"]
    assert (tmp_path / "out.grid.png").is_file()  # beside the translations, not among them
    (folder / "good.png").unlink()
    assert main(["translate", "--savedmodel", str(tmp_path / "cyclegan"), "--input", str(folder),
                 "--out", str(tmp_path / "out2")]) == 2  # nothing translatable is an error
    assert "no image" in capfd.readouterr().err.strip().splitlines()[-1]


@pytest.mark.e2e
def test_reproduce_dry_run_prints_no_tfds_warnings_for_absent_data(tmp_path):
    # a child process: in-process, pytest's logging capture would swallow absl's warnings
    proc = subprocess.run([sys.executable, "-m", "tfskin.cli", "reproduce", "pollastri2020", "--dry-run", "--data",
                           "isic2018_task1_2"], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "TFSKIN_DATA_DIR": str(tmp_path / "empty")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "isic2018_task1_2 --manual-dir" in proc.stdout  # reported as not prepared, on stdout
    assert "WARNING" not in proc.stderr and "Variant folder" not in proc.stderr, proc.stderr


@pytest.mark.jax
def test_jax_backend_export_runs_the_tensorflow_child_export(dcgan_run, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tfskin.cli", "export", "--run", str(dcgan_run), "--out",
                           str(tmp_path / "dcgan")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "dcgan" / "1" / "saved_model.pb").is_file() and "exported SavedModel" in proc.stdout
