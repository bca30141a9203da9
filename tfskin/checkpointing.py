"""Full-state checkpoints of a GAN run: every network, both optimizers (with loss-scale state), the step
counter and the sampling seed. Writes go through ``tf.train.CheckpointManager``, whose index file is
replaced atomically after the data files are complete, so a kill mid-write leaves the previous checkpoint
as the latest one."""

from pathlib import Path

import tensorflow as tf

from tfskin.errors import CheckpointError  # noqa: F401 (raised here; importers use this name)


def make_checkpoint(model) -> tf.train.Checkpoint:
    return tf.train.Checkpoint(
        model=model,
        generator_optimizer=model.generator_optimizer,
        discriminator_optimizer=model.discriminator_optimizer,
    )


class RunCheckpoints:
    """Checkpoints of one run directory (``<run_dir>/checkpoints``)."""

    def __init__(self, model, run_dir, keep: int = 3):
        self.directory = Path(run_dir) / "checkpoints"
        self.checkpoint = make_checkpoint(model)
        self.model = model
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.directory), max_to_keep=keep)

    @property
    def latest(self):
        return self.manager.latest_checkpoint

    def save(self) -> str:
        """Write a checkpoint of the current step. A write that fails (a full disk, a quota, a read-only
        folder) raises ``CheckpointError`` naming the folder and the cause; the index still points at the
        last complete checkpoint, and the half-written files of this one are removed."""
        step = int(self.model.train_step_counter.numpy())
        try:
            return self.manager.save(checkpoint_number=step)
        except (tf.errors.ResourceExhaustedError, tf.errors.PermissionDeniedError, tf.errors.UnknownError,
                tf.errors.InternalError, tf.errors.FailedPreconditionError, OSError) as err:
            for partial in self.directory.glob(f"ckpt-{step}.*"):
                partial.unlink(missing_ok=True)
            cause = _first_line(getattr(err, "message", None) or str(err))
            if "space" in cause.lower() or isinstance(err, tf.errors.ResourceExhaustedError):
                cause = f"the disk is full ({cause})"
            raise CheckpointError(f"cannot write the step-{step} checkpoint to {self.directory}: {cause}; "
                                  f"the last good checkpoint is {self.latest or 'none'}") from None

    def restore_latest(self) -> int:
        """Restore the newest checkpoint; returns its step. Raises CheckpointError naming the path."""
        path = self.latest
        if path is None:
            raise CheckpointError(f"no checkpoint in {self.directory}")
        restore(self.checkpoint, path)
        return int(self.model.train_step_counter.numpy())


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
    """Restore only the model (no optimizers) from a run's latest checkpoint, for sampling and export."""
    directory = Path(run_dir) / "checkpoints"
    path = tf.train.latest_checkpoint(str(directory))
    if path is None:
        raise CheckpointError(f"no checkpoint in {directory}")
    checkpoint = tf.train.Checkpoint(model=model)
    try:
        checkpoint.restore(path).expect_partial().assert_existing_objects_matched()
    except Exception as err:  # TF raises many types (OpError, IndexError, ...) for a bad file
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"cannot read checkpoint {path}: {first_line}") from None
    return path
