"""Training callbacks: terminal progress, TensorBoard scalars and sample grids, checkpoints, NaN guard, and
the JAX backend's per-step state sync."""

import math
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfskin.color_stats import colour_distances
from tfskin.errors import NonFiniteLossError  # noqa: F401 (raised here; importers use this name)
from tfskin.imaging import sample_grid, save_png


def _current_step(model) -> int:
    return int(model.train_step_counter.numpy())


class JaxStateSync(keras.callbacks.Callback):
    """Keras' JAX backend: during ``fit`` the trainer keeps the model's state (weights, step counter, optimizer
    slots) outside its variables and writes it back only at the end of an epoch. Placed first among the
    callbacks, this writes it back after every step, so the callbacks after it read the current values, and
    what they assign (a staged model's stage and alpha) is what the next step starts from."""

    def on_train_batch_end(self, batch, logs=None):
        self.model.jax_state_sync()


class StopAtStep(keras.callbacks.Callback):
    """Ends ``fit`` exactly when the run's step counter reaches ``total_steps``."""

    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        if _current_step(self.model) >= self.total_steps:
            self.model.stop_training = True


class StageScheduler(keras.callbacks.Callback):
    """Drives a ``StagedGAN`` through its ``StageSchedule``: before each step it sets the stage and fade-in
    alpha of that step (retracing the train function when the stage changes), and after each step it sets
    those of the next step, so a checkpoint written at step k holds the stage and alpha step k will use and a
    resumed run continues in the same phase at the same alpha."""

    def __init__(self, schedule, stream=None):
        super().__init__()
        self.schedule = schedule
        self.stream = stream

    def _apply(self, step: int):
        stage, alpha = self.schedule.at(step)
        if self.model.set_phase(stage, alpha):
            self.model.make_train_function(force=True)
            if self.stream is not None:
                phase = self.schedule.phase_at(step)
                print(f"step {step}: entering {phase.name} (stage {stage})", file=self.stream, flush=True)

    def on_train_begin(self, logs=None):
        self._apply(_current_step(self.model))

    def on_train_batch_begin(self, batch, logs=None):
        self._apply(_current_step(self.model))

    def on_train_batch_end(self, batch, logs=None):
        self._apply(_current_step(self.model))


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss, naming the loss and the step; no checkpoint is written
    after it, so the last good checkpoint stays the latest."""

    def __init__(self):
        super().__init__()
        self.failure = None

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not math.isfinite(float(value)):
                self.failure = f"loss {name} became {float(value)} at step {_current_step(self.model)}"
                self.model.stop_training = True
                raise NonFiniteLossError(self.failure)


class Progress(keras.callbacks.Callback):
    """One terminal line every ``every`` steps: step, images/s over the last ``every`` steps (the first window
    includes tracing; later ones are the steady rate), losses, ETA at that rate."""

    def __init__(self, total_steps: int, batch_size: int, every: int, stream=None):
        super().__init__()
        self.total_steps, self.batch_size, self.every = total_steps, batch_size, every
        self.stream = stream or sys.stdout
        self.images_per_second = float("nan")  # over the most recent window

    def on_train_begin(self, logs=None):
        self._last = (time.perf_counter(), _current_step(self.model))

    def on_train_batch_end(self, batch, logs=None):
        step = _current_step(self.model)
        if step % self.every and step < self.total_steps:
            return
        now = time.perf_counter()
        t_last, s_last = self._last
        elapsed, done = now - t_last, step - s_last
        if done <= 0 or elapsed <= 0:
            return
        self._last = (now, step)
        self.images_per_second = done * self.batch_size / elapsed
        eta = (self.total_steps - step) * elapsed / done
        losses = "  ".join(f"{k} {float(v):.4f}" for k, v in sorted((logs or {}).items()))
        print(f"step {step:>6}/{self.total_steps}  {_rate(self.images_per_second):>8} img/s  {losses}  "
              f"ETA {_duration(eta)}", file=self.stream, flush=True)


def _rate(value: float) -> str:
    """Four significant digits (0.02000, 12.35, 987.6), whole numbers from 1000 on."""
    return f"{value:.0f}" if value >= 1000 else f"{value:#.4g}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


class TensorBoardLogger(keras.callbacks.Callback):
    """Scalars (losses, learning rates, images/s) every ``every`` steps into ``<run_dir>/logs``."""

    def __init__(self, log_dir, every: int, progress: Progress = None):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(log_dir))
        self.every = every
        self.progress = progress

    def on_train_batch_end(self, batch, logs=None):
        step = _current_step(self.model)
        if step % self.every:
            return
        with self.writer.as_default(step=step):
            for name, value in (logs or {}).items():
                tf.summary.scalar(f"loss/{name}", float(value))
            for label, opt in (("generator", self.model.generator_optimizer),
                               ("discriminator", self.model.discriminator_optimizer)):
                tf.summary.scalar(f"learning_rate/{label}", float(keras.ops.convert_to_numpy(opt.learning_rate)))
            if self.progress is not None and math.isfinite(self.progress.images_per_second):
                tf.summary.scalar("throughput/images_per_second", self.progress.images_per_second)
            if hasattr(self.model, "schedule_scalars"):  # staged models: resolution / level and fade-in alpha
                for name, value in self.model.schedule_scalars().items():
                    tf.summary.scalar(f"schedule/{name}", float(value))
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.writer.flush()


class SampleGrid(keras.callbacks.Callback):
    """Generator outputs on one fixed input batch, every ``every`` steps: a PNG in ``<run_dir>/samples`` and an
    image in TensorBoard, so progress is comparable across steps."""

    def __init__(self, render, run_dir, every: int, writer=None, real_images=None, make_grid=sample_grid,
                 name: str = "samples", file_prefix: str = "", baselines=None):
        super().__init__()
        self.render = render  # () -> what ``make_grid`` takes (default: a dict of [0, 1] arrays)
        self.make_grid = make_grid
        self.name, self.file_prefix = name, file_prefix  # TensorBoard tag; PNG name prefix
        self.sample_dir = Path(run_dir) / "samples"
        self.every = every
        self.writer = writer
        self.real_images = real_images  # uint8 reference batch for a cheap colour-distance curve
        self.last_path = None
        self.colour_history = {}  # step -> colour distances of the fixed samples to the reference batch
        # no-op baselines logged beside the curve (``tfskin.inputs.baselines.QualityBaselines``) and the scores
        # of the outputs they go with (step -> e.g. the target-class share)
        self.baselines = baselines
        self.baseline_history = {}

    def write(self, step: int) -> Path:
        outputs = self.render()
        grid = self.make_grid(outputs)
        self.last_path = save_png(grid, self.sample_dir / f"{self.file_prefix}step_{step:07d}.png")
        distances = None
        if self.real_images is not None:
            distances = colour_distances(self.real_images, outputs["image"], bins=32)
            self.colour_history[step] = distances
        scores = {}
        if self.baselines is not None:
            scores = self.baselines.output_scores(outputs)
            if scores:
                self.baseline_history[step] = scores
        if self.writer is not None:
            with self.writer.as_default(step=step):
                tf.summary.image(self.name, grid[np.newaxis], max_outputs=1)
                if distances is not None:
                    tf.summary.scalar("quality/colour_js_divergence", distances["js_divergence"]["mean"])
                    tf.summary.scalar("quality/colour_wasserstein", distances["wasserstein"]["mean"])
                if self.baselines is not None:  # constant lines beside the curves they are the no-op of
                    for tag, value in {**self.baselines.scalars(), **scores}.items():
                        tf.summary.scalar(f"quality/{tag}", value)
            self.writer.flush()
        return self.last_path

    def on_train_batch_end(self, batch, logs=None):
        step = _current_step(self.model)
        if step % self.every == 0:
            self.write(step)


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Saves the full training state every ``every`` steps."""

    def __init__(self, checkpoints, every: int):
        super().__init__()
        self.checkpoints = checkpoints
        self.every = every

    def on_train_batch_end(self, batch, logs=None):
        if _current_step(self.model) % self.every == 0:
            self.checkpoints.save()
