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


def load_trained_model(run_dir):
    """(config, model) with the weights of the run's latest checkpoint, for sampling and export."""
    config = read_run_config(run_dir)
    with precision_policy(config.train.precision):
        model = get_model(config.model).build(config.model_config, config.data.image_shape, seed=config.train.seed)
        model.build_for_training()
    restore_model_weights(model, run_dir)
    model.after_restore()
    return config, model
