"""``train(config, run_dir)``: strategy, precision, the model's inputs, fit, callbacks, checkpoints, resume, export.

The runner builds the model (a ``keras.Model`` that loads no data) and, from its family's ``input_kind``, the
input object (``tfskin.inputs``) whose batches it hands to ``fit``.

Backends: TensorFlow is the default. Under ``KERAS_BACKEND=jax`` the same runner trains through Keras' JAX
trainer and the stateless GAN step (``tfskin.gan.jax_step``), on one device (``--strategy default``) or on every
device JAX sees (``--strategy data-parallel``: ``keras.distribution.DataParallel``, variables replicated, each
global batch split over the devices; several hosts once the user's launcher has called
``jax.distributed.initialize()``): the input pipeline stays tf.data (fed to the trainer as NumPy global batches),
checkpoints are ``ckpt-<step>.npz`` archives of the whole training state (``tfskin.checkpointing``), a resumed
run continues exactly, and the end-of-run export is written by a child process on the TensorFlow backend from
the final checkpoint (the serving signatures are tf.* code). ``mirrored`` and ``tpu`` are tf.distribute strategies
(TensorFlow only); ``data-parallel`` is JAX only."""

import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path

import keras

from tfskin import callbacks as cb
from tfskin.checkpointing import RunCheckpoints, latest_checkpoint
from tfskin.config import STEP_SECTIONS, DataConfig, OptimizerConfig, RunConfig, TrainConfig
from tfskin.data.sources import check_dataset
from tfskin.errors import CheckpointError, ConfigError
from tfskin.gan.lr_schedule import adam_pair
from tfskin.inputs import build_inputs
from tfskin.inputs.baselines import quality_baselines, write_baselines
from tfskin.registry import get_model
from tfskin.runs import CONFIG_FILE, export_run, load_trained_model, read_run_config
from tfskin.runtime import check_strategy, data_parallel, make_strategy, precision_policy, resolve_precision
from tfskin.serving.export import export_model
from tfskin.serving.versions import next_version

__all__ = ["TrainResult", "build_model", "load_trained_model", "read_run_config", "resolve_config", "train",
           "validate"]

FIXED_SAMPLES = 32
REFERENCE_IMAGES = 256


@dataclasses.dataclass
class TrainResult:
    """Where a finished (or stopped) run left its outputs."""

    run_dir: Path
    step: int
    checkpoint: str
    sample_grid: Path
    log_dir: Path
    export_path: Path = None
    images_per_second: float = float("nan")
    final_logs: dict = dataclasses.field(default_factory=dict)
    colour_history: dict = dataclasses.field(default_factory=dict)  # step -> colour distances to real images
    baselines: dict = dataclasses.field(default_factory=dict)  # no-op baselines (tfskin.inputs.baselines)


def resolve_config(model: str, preset: str = None, *, data: dict = None, train: dict = None,
                   model_overrides: dict = None, optimizer: dict = None, augment: dict = None, ema: dict = None,
                   r1: dict = None) -> RunConfig:
    """Start from a model's preset and apply overrides, one section per concern: the image size and channel
    count are data settings, the seed a training setting, learning rates and betas optimizer settings,
    discriminator augmentation, generator EMA and R1 their own sections."""
    spec = get_model(model)
    chosen = spec.preset(preset or spec.default_preset)
    data_values = {**chosen.data, **{k: v for k, v in (data or {}).items() if v is not None}}
    train_values = {**chosen.train, **{k: v for k, v in (train or {}).items() if v is not None}}
    optimizer_values = {**chosen.optimizer, **{k: v for k, v in (optimizer or {}).items() if v is not None}}
    overrides = dict(model_overrides or {})
    misplaced = sorted(set(overrides) & {"image_size", "channels", "seed"})
    if misplaced:
        raise ConfigError(f"{model}: {', '.join(misplaced)} come(s) from the data and train settings (--image-size, "
                          f"data.channels, --seed), not the model settings")
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(chosen.model_config)})
    if unknown:
        raise ConfigError(f"{model}: the model settings have no {', '.join(unknown)}")
    data_config = DataConfig(**{**DataConfig().to_dict(), **data_values})
    train_config = with_resolved_precision(TrainConfig(**{**TrainConfig().to_dict(), **train_values}))
    optimizer_config = OptimizerConfig(**{**OptimizerConfig().to_dict(), **optimizer_values})
    model_config = dataclasses.replace(chosen.model_config, **overrides) if overrides else chosen.model_config
    given = {"augment": augment, "ema": ema, "r1": r1}
    step_sections = {name: section(**{**getattr(chosen, name),
                                      **{k: v for k, v in (given[name] or {}).items() if v is not None}})
                     for name, section in STEP_SECTIONS.items()}
    config = RunConfig(model=model, preset=chosen.name, model_config=model_config, data=data_config,
                       train=train_config, optimizer=optimizer_config, **step_sections)
    validate(config)
    return config


def with_resolved_precision(train_config: TrainConfig) -> TrainConfig:
    """``precision="auto"`` replaced by what this machine should train in, with the reason (both go to
    config.json and the first log line); an explicit precision is kept and its reason is "requested"."""
    if train_config.precision != "auto" and train_config.precision_reason:
        return train_config
    name, reason = resolve_precision(train_config.precision, train_config.strategy)
    return train_config.replace(precision=name, precision_reason=reason)


def validate(config: RunConfig):
    """Raise ``ConfigError`` when the run cannot train: the model's architecture must make the data's images
    and the model may reject settings it cannot train with."""
    config.model_config.check_image_shape(config.data.image_size, config.data.channels)
    check_strategy(config.train.strategy, config.train.batch_size)
    check_dataset(config.data.name, config.data.classes)
    model_class = get_model(config.model).model_class
    if config.r1.enabled and model_class.wasserstein_critic(config.model_config):
        raise ConfigError(f"{config.model}: R1 (--r1-gamma {config.r1.gamma}) is for discriminators with a "
                          f"non-Wasserstein loss; this model trains a Wasserstein critic")
    model_class.validate_run(config)


def build_model(config: RunConfig):
    """The run's GAN with its optimizers, under the run's precision policy (call inside a strategy scope)."""
    spec = get_model(config.model)
    keras.utils.set_random_seed(config.train.seed)  # the initial weights are part of the run's identity
    with precision_policy(config.train.precision):
        model = spec.build(config.model_config, config.data.image_shape, seed=config.train.seed)
        model.configure_step(config.augment, config.ema, config.r1, batch_size=config.train.batch_size)
        generator_optimizer, discriminator_optimizer = adam_pair(config.optimizer, config.train.steps)
        model.compile(generator_optimizer=generator_optimizer, discriminator_optimizer=discriminator_optimizer,
                      jit_compile=config.train.jit_compile)
        model.build_for_training()
    return model


def _prepare_run_dir(run_dir: Path, config: RunConfig, resume: bool):
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ConfigError(f"run dir {run_dir} is not writable: {err.strerror}") from None
    config_path = run_dir / CONFIG_FILE
    has_checkpoint = latest_checkpoint(run_dir / "checkpoints") is not None
    if resume:
        if not has_checkpoint:
            raise CheckpointError(f"--resume: no checkpoint in {run_dir / 'checkpoints'}")
        # Only the length of the run may change on resume; anything else would not be a continuation.
        changed = resume_differences(read_run_config(run_dir), config)
        if changed:
            raise ConfigError(f"--resume: settings differ from {config_path} ({'; '.join(changed)}); only --steps "
                              f"may change on resume")
    elif has_checkpoint:
        raise ConfigError(f"run dir {run_dir} already holds a run; pass --resume to continue it or choose "
                          f"another --run-dir")
    tmp = config_path.with_suffix(".json.tmp")
    tmp.write_text(config.to_json())
    os.replace(tmp, config_path)


def resume_differences(saved: RunConfig, config: RunConfig) -> list:
    """``section.field: saved -> requested`` for every setting that differs between a run's saved config and the
    one it would resume with, ``train.steps`` aside (the one setting a resume may change)."""
    sections = [("train", dataclasses.replace(saved.train, steps=config.train.steps), config.train),
                ("model", saved.model_config, config.model_config), ("data", saved.data, config.data),
                ("optimizer", saved.optimizer, config.optimizer)]
    sections += [(name, getattr(saved, name), getattr(config, name)) for name in STEP_SECTIONS]
    out = []
    for section, old, new in sections:
        if old == new:
            continue
        if dataclasses.is_dataclass(old) and type(old) is type(new):
            out += [f"{section}.{f.name}: {getattr(old, f.name)!r} -> {getattr(new, f.name)!r}"
                    for f in dataclasses.fields(old) if getattr(old, f.name) != getattr(new, f.name)]
        else:
            out.append(f"{section}: {old!r} -> {new!r}")
    return out


def train(config: RunConfig, run_dir, *, resume: bool = False, stream=None, export_dir=None) -> TrainResult:
    """Train (or resume) a run; returns where everything was written."""
    stream = stream or sys.stdout
    run_dir = Path(run_dir)
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise ConfigError(f"tfskin train runs on the TensorFlow or JAX backend, not KERAS_BACKEND={backend}")
    if backend == "jax" and config.train.strategy in ("mirrored", "tpu"):
        raise ConfigError(f"--strategy {config.train.strategy} is a tf.distribute strategy, which the JAX backend "
                          f"does not use; on JAX tfskin train runs on one device (--strategy default) or on every "
                          f"device (--strategy data-parallel), or train with --strategy {config.train.strategy} on "
                          f"the TensorFlow backend (unset KERAS_BACKEND)")
    if config.train.precision == "auto":
        config = config.replace(train=with_resolved_precision(config.train))
    validate(config)
    strategy = make_strategy(config.train.strategy)
    replicas = strategy.num_replicas_in_sync
    distribution = None
    if config.train.strategy == "data-parallel":  # JAX (validate refuses it elsewhere)
        distribution = data_parallel(config.train.batch_size)
        replicas = len(distribution.device_mesh.devices.flatten())
    if config.train.batch_size % replicas:
        raise ConfigError(f"batch size {config.train.batch_size} is not divisible by the {replicas} replicas of "
                          f"--strategy {config.train.strategy}")
    _prepare_run_dir(run_dir, config, resume)
    # Data-parallel: the model is built, restored, trained and checkpointed under the distribution, so every
    # variable is created replicated over the devices and Keras' JAX trainer shards each global batch over them.
    with distribution.scope() if distribution is not None else contextlib.nullcontext():
        return _train_run(config, run_dir, strategy, replicas, backend, resume, stream, export_dir)


def _train_run(config, run_dir, strategy, replicas, backend, resume, stream, export_dir) -> TrainResult:
    with strategy.scope():
        model = build_model(config)
    checkpoints = RunCheckpoints(model, run_dir, keep=config.train.keep_checkpoints)
    start_step = checkpoints.restore_latest() if resume else 0
    model.after_restore()
    if start_step >= config.train.steps:
        print(f"run already at step {start_step} >= --steps {config.train.steps}; nothing to train", file=stream)

    inputs = build_inputs(model.input_kind, config, model.training_latent_spec())  # the model's family says which
    batches = inputs.batches(start_step)
    processes = 1
    if config.train.strategy == "data-parallel":
        # Several processes (hosts): Keras' DataParallel shards the tf.data stream, each process reading its
        # rows of every global batch (``distribute_dataset``: rebatch to batch / processes, then shard).
        import jax

        processes = jax.process_count()
    inputs.prepare(run_dir)

    log_dir = run_dir / "logs"
    fixed = inputs.preview(FIXED_SAMPLES)
    def render():  # the grid shows the EMA generator when the run keeps one
        with model.inference_weights():
            return {k: keras.ops.convert_to_numpy(v) for k, v in model.preview(fixed).items()}
    progress = cb.Progress(config.train.steps, config.train.batch_size, config.train.log_every, stream=stream)
    tensorboard = cb.TensorBoardLogger(log_dir, config.train.log_every, progress)
    reference = inputs.reference_images(REFERENCE_IMAGES)
    baselines = None if reference is None else quality_baselines(inputs, fixed, reference, FIXED_SAMPLES)
    samples = cb.SampleGrid(render, run_dir, config.train.sample_every, writer=tensorboard.writer,
                            real_images=reference, baselines=baselines)
    guard = cb.NonFiniteGuard()
    callbacks = [guard, cb.StopAtStep(config.train.steps)]
    if backend == "jax":
        callbacks.insert(0, cb.JaxStateSync())
    callbacks += model.training_callbacks(config, run_dir, inputs, stream=stream)
    callbacks += [progress, tensorboard, samples, cb.PeriodicCheckpoint(checkpoints, config.train.checkpoint_every)]

    if start_step == 0:
        samples.write(0)
    remaining = config.train.steps - start_step
    history_logs = {}
    if remaining > 0:
        share = f" ({config.train.batch_size // processes} per process, {processes} processes)" if processes > 1 else ""
        print(f"training {config.model} (preset {config.preset}) for {remaining} steps on {replicas} "
              f"replica(s), batch {config.train.batch_size}{share}, precision {config.train.precision} "
              f"({config.train.precision_reason or 'requested'}); run dir {run_dir}",
              file=stream, flush=True)
        notice = model.schedule_notice(config.train.steps, config.train.batch_size)
        if notice:
            print(f"warning: {notice}", file=stream, flush=True)
        steps_per_epoch = config.train.log_every
        epochs = -(-remaining // steps_per_epoch) + 1
        try:
            history = model.fit(batches, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0, shuffle=False,
                                callbacks=callbacks)
            history_logs = {k: v[-1] for k, v in history.history.items() if v}
        except cb.NonFiniteLossError as err:
            raise cb.NonFiniteLossError(
                f"{err}; training stopped, last good checkpoint: {checkpoints.latest or 'none'}") from None
        except KeyboardInterrupt:
            path = checkpoints.save()
            print(f"\ninterrupted at step {int(model.train_step_counter.numpy())}; saved {path}; "
                  f"continue with --resume", file=stream)
            raise
    step = int(model.train_step_counter.numpy())
    checkpoint = checkpoints.latest
    if checkpoint is None or checkpoints.latest_step != step:
        checkpoint = checkpoints.save()
    grid = samples.write(step)
    if samples.colour_history:
        quality_path = run_dir / "quality.json"
        previous = json.loads(quality_path.read_text()) if resume and quality_path.exists() else {}
        previous.update({str(k): v for k, v in samples.colour_history.items()})
        quality_path.write_text(json.dumps(previous, indent=2, sort_keys=True))
    baseline_report = {}
    if baselines is not None:
        baseline_report = write_baselines(run_dir / "quality_baselines.json", baselines, samples.baseline_history,
                                          resume)
    export_path = None
    model_dir = Path(export_dir) if export_dir else run_dir / "export" / config.model
    # a resumed run with nothing left to train exports nothing new (unless it has no export yet)
    if config.train.export_at_end and (remaining > 0 or next_version(model_dir) == 1):
        if backend == "tensorflow" and config.train.precision == "float32":
            with model.inference_weights():
                export_path = export_model(model, model_dir)
        else:  # the checkpoint just written, exported in float32 (a child process on TF for another backend)
            export_path = export_run(run_dir, model_dir)
    return TrainResult(run_dir=run_dir, step=step, checkpoint=checkpoint, sample_grid=grid, log_dir=log_dir,
                       export_path=export_path, images_per_second=progress.images_per_second,
                       final_logs=history_logs, colour_history=samples.colour_history, baselines=baseline_report)
