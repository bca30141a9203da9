"""The model card every tfskin SavedModel carries: ``<version>/assets.extra/tfskin_model_card.json``.

TF Serving ignores ``assets.extra``; ``tfskin serve`` shows the card at ``GET /v1/models/NAME/card``. A card
holds what a deployer asks about a model: which model and preset, the resolved configuration, the training
data and steps, the tfskin and TensorFlow versions, the last quality figures, and each signature's inputs and
outputs (read back from the written ``saved_model.pb``, so it describes exactly what is served).
"""

import dataclasses
import json
import time
from pathlib import Path

CARD_DIR = "assets.extra"
CARD_NAME = "tfskin_model_card.json"
CARD_SCHEMA = 1


def card_path(version_dir) -> Path:
    return Path(version_dir) / CARD_DIR / CARD_NAME


def read_card(version_dir):
    """The card of one exported version, or None when it has none (an export from another tool)."""
    path = card_path(version_dir)
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _jsonable(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    return str(value)


def model_config_dict(model) -> dict:
    """The model's own config (a dataclass with ``to_dict``) as JSON-able values; {} when it has none."""
    config = getattr(model, "config", None)
    if config is None:
        return {}
    if hasattr(config, "to_dict"):
        return _jsonable(config.to_dict())
    return _jsonable(config)


def run_card(run_dir) -> dict:
    """What a tfskin run directory says about its model: config.json (model, preset, resolved config, data,
    steps), the last entry of quality.json (colour distances) and any metrics JSON written next to it
    (FID/KID with their feature network). Reads files only; {} when ``run_dir`` is not a run."""
    run_dir = Path(run_dir)
    config_file = run_dir / "config.json"
    if not config_file.is_file():
        return {}
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError):
        return {}
    train = config.get("train", {}) or {}
    card = {"run_dir": str(run_dir.resolve()), "model": config.get("model"), "preset": config.get("preset"),
            "resolved_config": config, "data": config.get("data"), "steps": train.get("steps")}
    quality = {}
    quality_file = run_dir / "quality.json"
    if quality_file.is_file():
        try:
            history = json.loads(quality_file.read_text())
            if history:
                last = max(history, key=int)
                quality["colour_distance"] = {"step": int(last), **history[last]}
        except (OSError, ValueError):
            pass
    for name in ("metrics.json", "generative_metrics.json"):
        metrics_file = run_dir / name
        if metrics_file.is_file():
            try:
                metrics = json.loads(metrics_file.read_text())
            except (OSError, ValueError):
                continue
            generative = metrics.get("generative", metrics)
            keep = {k: generative[k] for k in ("fid", "kid", "kid_std", "precision", "recall", "feature_network",
                                                "comparable_to_papers", "num_real", "num_synthetic")
                    if k in generative}
            if keep:
                quality["generative"] = keep
    if quality:
        card["quality"] = quality
    return card


def find_run_dir(model_dir):
    """The run directory an export sits in (``RUN/export/NAME``), or None."""
    for parent in list(Path(model_dir).resolve().parents)[:3]:
        if (parent / "config.json").is_file() and (parent / "checkpoints").exists():
            return parent
    return None


def signature_summary(saved_model_dir) -> dict:
    """name -> {inputs: {key: {dtype, shape}}, outputs: {...}, method_name} from ``saved_model.pb``."""
    from tfskin.serving.metadata import read_signature_defs

    out = {}
    for name, sig in sorted(read_signature_defs(saved_model_dir).items()):
        if name.startswith("__"):
            continue

        def tensors(infos):
            return {key: {"dtype": _dtype_name(info.dtype),
                          "shape": None if info.tensor_shape.unknown_rank
                          else [d.size for d in info.tensor_shape.dim]}
                    for key, info in sorted(infos.items())}

        out[name] = {"inputs": tensors(sig.inputs), "outputs": tensors(sig.outputs), "method_name": sig.method_name}
    return out


def _dtype_name(dtype_enum) -> str:
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(dtype_enum)


def build_card(model, saved_model_dir, card: dict = None, model_dir=None) -> dict:
    """The card for one export. ``card`` (from the caller: run info, data, steps, quality) wins over what is
    found here; without it, the run directory the export sits in (if any) is read."""
    import tensorflow as tf

    from tfskin import __version__

    base = {"schema": CARD_SCHEMA, "model_class": type(model).__name__,
            "model_config": model_config_dict(model),
            "image_shape": list(getattr(model, "image_shape", ())) or None,  # (H, W, C) the generator makes
            "tfskin_version": __version__, "tensorflow_version": tf.__version__,
            "keras_version": _keras_version(), "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if card is None and model_dir is not None:
        run_dir = find_run_dir(model_dir)
        if run_dir is not None:
            base.update(run_card(run_dir))
    if card:
        base.update(_jsonable(card))
    base["signatures"] = signature_summary(saved_model_dir)
    base.setdefault("model", getattr(getattr(model, "config", None), "name", None) or type(model).__name__.lower())
    return base


def _keras_version():
    try:
        import keras

        return keras.__version__
    except Exception:  # keras is a TensorFlow dependency; a card never fails for it
        return None


def write_card(saved_model_dir, card: dict) -> Path:
    path = card_path(saved_model_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
    return path
