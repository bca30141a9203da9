"""Write a model's serving endpoints as a SavedModel in TF Serving's ``<base>/<name>/<version>/`` layout.

The serving endpoints are TensorFlow code (``tf.io.encode_png``, ``tf.TensorSpec`` inputs), so a SavedModel is
written on the TensorFlow backend. A run trained on Keras' JAX backend has backend-neutral checkpoints
(``tfskin.checkpointing``): ``export_run_on_tensorflow`` exports it from a child process on the TF backend,
with the same signatures as a TF-trained run's."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import keras

from tfskin.errors import ConfigError
from tfskin.serving.batching import PER_MODEL_FILE, batching_params_text, fixed_size_inputs
from tfskin.serving.versions import check_free_version, next_version


def export_model(model, model_dir, version: int = None, card: dict = None) -> Path:
    """Export ``model.export_signatures()`` to ``model_dir/<version>`` and return that path.

    The first signature is also ``serving_default``. The SavedModel is written to a temporary folder next to
    the target and renamed into place, so TF Serving (which polls the folder) never sees half a model.

    Models whose signatures all take fixed-size inputs also get ``batching_params.pbtxt`` (TF Serving's
    per-model batching, :mod:`tfskin.serving.batching`); models that take any image size are left unbatched.

    Every export carries ``assets.extra/tfskin_model_card.json`` (see :mod:`tfskin.serving.card`): the model's
    config, versions and signatures always; ``card`` adds run information (model, preset, resolved config,
    data, steps, quality figures). Without ``card``, an export inside a run directory (``RUN/export/NAME``)
    reads that run's ``config.json`` and ``quality.json``.
    """
    from tfskin.serving.card import build_card, write_card

    if keras.backend.backend() != "tensorflow":
        raise ConfigError(f"SavedModel export runs on the TensorFlow backend (the serving signatures are tf.* code), "
                          f"not {keras.backend.backend()}; export the run with `KERAS_BACKEND=tensorflow tfskin "
                          f"export --run RUN` (its checkpoints load on either backend)")
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    check_free_version(model_dir, version)
    version = next_version(model_dir) if version is None else int(version)
    target = model_dir / str(version)
    archive = keras.export.ExportArchive()
    archive.track(model)
    signatures = model.export_signatures()
    for name, (fn, specs) in signatures.items():
        archive.add_endpoint(name, fn, input_signature=specs)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.tmp-", dir=model_dir))
    try:
        archive.write_out(str(staging), verbose=False)
        write_card(staging, build_card(model, staging, card=card, model_dir=model_dir))
        if fixed_size_inputs(signatures):
            (staging / PER_MODEL_FILE).write_text(batching_params_text())
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def export_run_on_tensorflow(run_dir, model_dir, version: int = None) -> Path:
    """Export a run's latest checkpoint from a child process on the TensorFlow backend (``tfskin export`` with
    ``KERAS_BACKEND=tensorflow``): how a run trained on another backend gets its SavedModel. Returns the
    version folder; a failure raises ``ConfigError`` with the child's last error line."""
    model_dir = Path(model_dir)
    version = next_version(model_dir) if version is None else int(version)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    command = [sys.executable, "-m", "tfskin.cli", "export", "--run", str(run_dir), "--out", str(model_dir),
               "--version", str(version)]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        raise ConfigError(f"exporting {run_dir} on the TensorFlow backend failed (exit status {result.returncode}): "
                          f"{(errors or lines or ['no output'])[-1].strip()}")
    return model_dir / str(version)
