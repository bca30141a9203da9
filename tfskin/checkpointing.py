"""Full-state checkpoints of a GAN run: every network, both optimizers (with loss-scale state), the step
counter and the sampling seed, in ``<run_dir>/checkpoints``. The format follows the Keras backend the run
trains on; ``RunCheckpoints(model, run_dir)`` picks it:

* TensorFlow (the default): ``tf.train.Checkpoint`` files (``ckpt-<step>.index`` / ``.data-*``) written through
  ``tf.train.CheckpointManager``, whose index file is replaced atomically after the data files are complete,
  so a kill mid-write leaves the previous checkpoint as the latest one.
* JAX (``KERAS_BACKEND=jax``): ``tf.train.Checkpoint`` cannot hold JAX variables, so each checkpoint is one
  NumPy archive, ``ckpt-<step>.npz`` (see :class:`NpzRunCheckpoints`), written to a temporary name and renamed
  into place (atomic), the last ``keep`` kept. It holds the values of every variable of the training state:
  the model's (weights, BatchNorm statistics, the step counter, seed-generator states, stage variables), both
  optimizers' and the loss trackers'. The archive is backend-neutral: either backend can load its weights,
  so a JAX-trained run is sampled with ``tfskin sample`` on either backend and exported on TensorFlow.
"""

import os
import re
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfskin.errors import CheckpointError  # noqa: F401 (raised here; importers use this name)

NPZ_FORMAT = "tfskin-npz-checkpoint/1"
_NPZ_NAME = re.compile(r"ckpt-(\d+)\.npz")
_WRITE_ERRORS = (tf.errors.ResourceExhaustedError, tf.errors.PermissionDeniedError, tf.errors.UnknownError,
                 tf.errors.InternalError, tf.errors.FailedPreconditionError, OSError)


def make_checkpoint(model) -> tf.train.Checkpoint:
    return tf.train.Checkpoint(
        model=model,
        generator_optimizer=model.generator_optimizer,
        discriminator_optimizer=model.discriminator_optimizer,
    )


class RunCheckpoints:
    """Checkpoints of one run directory (``<run_dir>/checkpoints``): ``tf.train.Checkpoint`` files on the
    TensorFlow backend; on any other backend an instance of :class:`NpzRunCheckpoints` (same interface)."""

    def __new__(cls, model, run_dir, keep: int = 3):
        if cls is RunCheckpoints and keras.backend.backend() != "tensorflow":
            cls = NpzRunCheckpoints
        return super().__new__(cls)

    def __init__(self, model, run_dir, keep: int = 3):
        self.directory = Path(run_dir) / "checkpoints"
        self.checkpoint = make_checkpoint(model)
        self.model = model
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory), max_to_keep=keep)

    @property
    def latest(self):
        return self.manager.latest_checkpoint

    @property
    def latest_step(self):
        """The step of the latest checkpoint (None when there is none)."""
        return _step_of(self.latest)

    def save(self) -> str:
        """Write a checkpoint of the current step. A write that fails (a full disk, a quota, a read-only
        folder) raises ``CheckpointError`` naming the folder and the cause; the index still points at the
        last complete checkpoint, and the half-written files of this one are removed."""
        step = int(self.model.train_step_counter.numpy())
        try:
            return self.manager.save(checkpoint_number=step)
        except _WRITE_ERRORS as err:
            for partial in self.directory.glob(f"ckpt-{step}.*"):
                partial.unlink(missing_ok=True)
            raise self._write_error(step, err) from None

    def _write_error(self, step: int, err) -> CheckpointError:
        cause = _first_line(getattr(err, "message", None) or str(err))
        if "space" in cause.lower() or isinstance(err, tf.errors.ResourceExhaustedError):
            cause = f"the disk is full ({cause})"
        return CheckpointError(f"cannot write the step-{step} checkpoint to {self.directory}: {cause}; "
                               f"the last good checkpoint is {self.latest or 'none'}")

    def restore_latest(self) -> int:
        """Restore the newest checkpoint; returns its step. Raises CheckpointError naming the path."""
        path = self.latest
        if path is None:
            if latest_npz_checkpoint(self.directory):
                raise CheckpointError(f"{self.directory} holds checkpoints of a run trained on Keras' JAX backend "
                                      f"(ckpt-<step>.npz); resume it with KERAS_BACKEND=jax")
            raise CheckpointError(f"no checkpoint in {self.directory}")
        restore(self.checkpoint, path)
        return int(self.model.train_step_counter.numpy())


class NpzRunCheckpoints(RunCheckpoints):
    """The run's checkpoints as ``ckpt-<step>.npz`` NumPy archives (every backend but TensorFlow).

    Keys: ``<group>/<index>`` for the groups ``model`` (``model.variables``), ``generator_optimizer``,
    ``discriminator_optimizer`` (their ``variables``) and ``metrics`` (``model.metrics_variables``), in Keras'
    variable order, which is fixed by the model's code and config and is the same on every backend (the layer walk
    ``get_weights`` also follows). Variable paths are not the keys because Keras makes layer and
    optimizer names unique per process (``dcgan_1/...``, ``adam_2/...``); they are stored beside the values
    (``<group>/paths``) for people reading the file, and restoring checks each variable's count and shape.
    ``format``, ``step`` and ``backend`` describe the file.
    """

    def __init__(self, model, run_dir, keep: int = 3):
        self.directory = Path(run_dir) / "checkpoints"
        self.model = model
        self.keep = keep

    @property
    def latest(self):
        return latest_npz_checkpoint(self.directory)

    def save(self) -> str:
        """Write ``ckpt-<step>.npz`` (to a temporary name, then renamed into place), then drop all but the newest
        ``keep``. A failed write raises ``CheckpointError`` like the TF path and leaves no partial file."""
        _sync_state(self.model)
        step = int(self.model.train_step_counter.numpy())
        path = self.directory / f"ckpt-{step}.npz"
        tmp = self.directory / f".ckpt-{step}.npz.tmp-{os.getpid()}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            arrays = {"format": np.array(NPZ_FORMAT), "step": np.array(step, np.int64),
                      "backend": np.array(keras.backend.backend())}
            for group, variables in training_state(self.model).items():
                arrays[f"{group}/paths"] = np.array([v.path for v in variables], dtype=str)
                for i, variable in enumerate(variables):
                    arrays[f"{group}/{i}"] = _host_value(variable.value)
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise self._write_error(step, err) from None
        for old in npz_checkpoints(self.directory)[:-self.keep] if self.keep else []:
            old.unlink(missing_ok=True)
        for leftover in self.directory.glob(".ckpt-*.npz.tmp-*"):  # of a process killed mid-write
            leftover.unlink(missing_ok=True)
        return str(path)

    def restore_latest(self) -> int:
        path = self.latest
        if path is None:
            if tf.train.latest_checkpoint(str(self.directory)):
                raise CheckpointError(f"{self.directory} holds TensorFlow checkpoints; resume this run on the "
                                      f"TensorFlow backend (unset KERAS_BACKEND, now {keras.backend.backend()})")
            raise CheckpointError(f"no checkpoint in {self.directory}")
        restore_npz(path, training_state(self.model))
        return int(self.model.train_step_counter.numpy())


def training_state(model) -> dict:
    """group -> variables: everything a stateless (JAX) step carries, so restoring it continues exactly."""
    state = {"model": list(model.variables)}
    if model.generator_optimizer is not None:
        state["generator_optimizer"] = list(model.generator_optimizer.variables)
        state["discriminator_optimizer"] = list(model.discriminator_optimizer.variables)
    state["metrics"] = list(model.metrics_variables)
    return state


def _host_value(value) -> np.ndarray:
    """A variable's whole value as one NumPy array. Under ``--strategy data-parallel`` (JAX) every variable is
    replicated on each device, and a replicated array reads as one copy (also across hosts, where the array is
    not fully addressable); a value sharded over several hosts' devices is first gathered from every process."""
    if keras.backend.backend() == "jax":
        import jax

        if isinstance(value, jax.Array) and not value.is_fully_addressable and not value.is_fully_replicated:
            from jax.experimental import multihost_utils

            value = multihost_utils.process_allgather(value, tiled=True)
    return np.asarray(keras.ops.convert_to_numpy(value))


def _sync_state(model):
    """JAX: during ``fit`` Keras keeps the state outside the variables; put it back before reading them."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def npz_checkpoints(directory) -> list:
    """The complete ``ckpt-<step>.npz`` files in ``directory``, oldest step first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NPZ_NAME.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def latest_npz_checkpoint(directory):
    found = npz_checkpoints(directory)
    return str(found[-1]) if found else None


def latest_checkpoint(directory):
    """The latest checkpoint of either format in ``directory`` (None when there is none)."""
    return tf.train.latest_checkpoint(str(directory)) or latest_npz_checkpoint(directory)


def restore_npz(path, groups: dict):
    """Assign the values of ``path`` to ``groups`` (group -> variables, see ``training_state``); a missing group,
    a different variable count or shape, or an unreadable file raises ``CheckpointError`` naming the path."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files or str(data["format"]) != NPZ_FORMAT:
                raise ValueError(f"not a {NPZ_FORMAT} file")
            values = {}
            for group, variables in groups.items():
                paths = data[f"{group}/paths"] if f"{group}/paths" in data.files else None
                if paths is None:
                    raise ValueError(f"it has no {group} variables")
                if len(paths) != len(variables):
                    raise ValueError(f"it has {len(paths)} {group} variables, the model {len(variables)}")
                for i, variable in enumerate(variables):
                    value = data[f"{group}/{i}"]
                    if tuple(value.shape) != tuple(variable.shape):
                        raise ValueError(f"{group} variable {i} ({paths[i]}) has shape {value.shape}, the model's "
                                         f"{variable.path} {tuple(variable.shape)}")
                    values[id(variable)] = (variable, value)
    except Exception as err:  # zipfile, OSError, KeyError, ValueError, ... for a bad or foreign file
        raise CheckpointError(f"cannot read checkpoint {path}: {_first_line(str(err)) or type(err).__name__}") \
            from None
    for variable, value in values.values():
        # The stored dtype of the value the variable holds (JAX without x64 keeps int64 variables as int32).
        variable.assign(value.astype(keras.backend.standardize_dtype(variable.value.dtype)))


def _step_of(path):
    if path is None:
        return None
    match = re.search(r"ckpt-(\d+)(\.npz)?$", str(path))
    return int(match.group(1)) if match else None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def restore(checkpoint: tf.train.Checkpoint, path: str):
    try:
        status = checkpoint.restore(path)
        status.assert_existing_objects_matched()
    except Exception as err:  # TF raises many types (OpError, IndexError, ...) for a bad file
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"cannot read checkpoint {path}: {first_line}") from None


def restore_model_weights(model, run_dir) -> str:
    """Restore only the model (no optimizers) from a run's latest checkpoint, for sampling and export. An npz
    checkpoint (a JAX-trained run) loads on any backend; a ``tf.train.Checkpoint`` needs the TF backend."""
    directory = Path(run_dir) / "checkpoints"
    path = tf.train.latest_checkpoint(str(directory))
    npz = latest_npz_checkpoint(directory)
    if path is None or (npz is not None and keras.backend.backend() != "tensorflow"):
        if npz is None:
            raise CheckpointError(f"no checkpoint in {directory}")
        restore_npz(npz, {"model": list(model.variables)})
        return npz
    if keras.backend.backend() != "tensorflow":
        raise CheckpointError(f"{path} is a TensorFlow checkpoint, which the {keras.backend.backend()} backend "
                              f"cannot read; load this run on the TensorFlow backend (unset KERAS_BACKEND)")
    checkpoint = tf.train.Checkpoint(model=model)
    try:
        checkpoint.restore(path).expect_partial().assert_existing_objects_matched()
    except Exception as err:  # TF raises many types (OpError, IndexError, ...) for a bad file
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"cannot read checkpoint {path}: {first_line}") from None
    return path
