"""Reading a run directory back: its resolved config and its trained model (for sampling, export, sources)."""

import json
from pathlib import Path

from tfskin.checkpointing import restore_model_weights
from tfskin.config import RunConfig
from tfskin.errors import CheckpointError, ConfigError
from tfskin.registry import get_model
from tfskin.runtime import precision_policy

CONFIG_FILE = "config.json"


def read_run_config(run_dir) -> RunConfig:
    """The ``RunConfig`` a run was trained with (``<run_dir>/config.json``)."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{run_dir} is not a tfskin run directory (no {CONFIG_FILE})")
    try:
        values = json.loads(path.read_text())
        return RunConfig.from_dict(values, get_model(values["model"]).config_class)
    except (json.JSONDecodeError, KeyError, TypeError, ConfigError) as err:
        raise CheckpointError(f"cannot read {path}: {err}") from None


def load_trained_model(run_dir, precision: str = None, raw_generator: bool = False):
    """(config, model) with the weights of the run's latest checkpoint, for sampling and export. ``precision``
    replaces the run's own policy for the model built here (the checkpoint's variables are float32 either way).
    A run that kept a generator EMA (``ema.halflife_images``) is loaded with the EMA weights in its generator,
    unless ``raw_generator``: the weights the optimizer trained."""
    config = read_run_config(run_dir)
    with precision_policy(precision or config.train.precision):
        model = get_model(config.model).build(config.model_config, config.data.image_shape, seed=config.train.seed)
        model.configure_step(config.augment, config.ema, config.r1, batch_size=config.train.batch_size)
        model.build_for_training()
    restore_model_weights(model, run_dir)
    model.after_restore()
    if not raw_generator:
        model.load_ema_weights()
    return config, model


def export_run(run_dir, model_dir, version: int = None, raw_generator: bool = False) -> Path:
    """Export a run's latest checkpoint to ``model_dir/<version>``: what ``tfskin export`` and the end of
    ``tfskin train`` both do. On the TensorFlow backend the generator is rebuilt in float32 whatever the run
    trained in: with mixed-precision activations (bfloat16 keeps 8 bits of mantissa) the served images depended
    on which kernels the serving process picked (up to 2 PNG levels between processes); in float32 they agree
    to ~1e-7. On another backend the same export runs in a child process on TensorFlow. The EMA generator is
    exported when the run kept one, unless ``raw_generator``."""
    import keras

    from tfskin.serving.card import run_card
    from tfskin.serving.export import check_free_version, export_model, export_run_on_tensorflow

    check_free_version(model_dir, version)
    if keras.backend.backend() != "tensorflow":
        if raw_generator:
            raise ConfigError("exporting the raw generator runs on the TensorFlow backend (unset KERAS_BACKEND)")
        return export_run_on_tensorflow(run_dir, model_dir, version=version)
    _, model = load_trained_model(run_dir, precision="float32", raw_generator=raw_generator)
    return export_model(model, model_dir, version=version, card=run_card(run_dir))
