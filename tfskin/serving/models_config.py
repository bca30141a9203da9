"""TF Serving's ``--model_config_file`` (``models.config``): written from what is exported, read for labels.

``write_models_config(base)`` lists every ``<base>/<name>/`` holding numbered SavedModel versions, with a
version policy and a ``stable`` label on the newest version, so the file never drifts from what was exported.
Labels and policies already in the file are kept when it is rewritten (a label whose version is gone moves to
the newest). The text is checked by parsing it with TF Serving's own ``ModelServerConfig`` proto.
"""

import re
from pathlib import Path

from tfskin.serving.errors import ModelBaseError
from tfskin.serving.repository import model_folders, version_folders

LABEL_PATTERN = re.compile(r"[a-zA-Z0-9_]+")
# The deployment layout shared by export/docker-compose.yml and export/k8s/deployment.yaml: export/models/ is
# mounted at /models, the export/ folder (models.config and the other config files) at /config.
DEFAULT_CONTAINER_BASE = "/models"
CONTAINER_CONFIG_DIR = "/config"


def parse_models_config(text: str):
    """models.config text -> ModelServerConfig proto (strict, like tensorflow_model_server)."""
    from google.protobuf import text_format

    try:
        from tensorflow_serving.config import model_server_config_pb2
    except ImportError:
        raise ModelBaseError("models.config is checked with TF Serving's own ModelServerConfig proto, from the "
                             "serving extra: pip install 'tfskin[serving]' (tensorflow-serving-api)") from None
    config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as err:
        raise ModelBaseError(f"invalid models.config: {err}") from None
    return config


def read_models_config(path):
    path = Path(path)
    if not path.is_file():
        raise ModelBaseError(f"model config file {path} not found")
    return parse_models_config(path.read_text())


def labels_from_config(path) -> dict:
    """model name -> {label: version} from a models.config file."""
    config = read_models_config(path)
    return {c.name: dict(c.version_labels) for c in config.model_config_list.config}


def find_models_config(base):
    """``models.config`` in the model base or next to it (``export/models.config`` for ``export/models``)."""
    base = Path(base)
    for candidate in (base / "models.config", base.parent / "models.config"):
        if candidate.is_file():
            return candidate
    return None


def _policy_text(policy) -> str:
    which = policy.WhichOneof("policy_choice") if policy is not None else None
    if which == "all":
        return "all {}"
    if which == "specific":
        return "specific { " + " ".join(f"versions: {v}" for v in policy.specific.versions) + " }"
    num = policy.latest.num_versions if which == "latest" and policy.latest.num_versions else 1
    return f"latest {{ num_versions: {num} }}"


def render_models_config(base, container_base: str = DEFAULT_CONTAINER_BASE, previous=None,
                         label: str = "stable") -> str:
    """The models.config text for everything under ``base``; ``previous`` (a ModelServerConfig) keeps its
    policies and labels. ``container_base`` is where the base is mounted in the serving container."""
    base = Path(base)
    models = model_folders(base)
    if not models:
        raise ModelBaseError(f"no exported models under {base} (expected {base}/NAME/VERSION/saved_model.pb)")
    if not LABEL_PATTERN.fullmatch(label):
        raise ModelBaseError(f"version label {label!r} must match [a-zA-Z0-9_]+")
    old = {c.name: c for c in previous.model_config_list.config} if previous is not None else {}
    lines = ["# Written by `tfskin serving-config` from the SavedModels under "
             f"{base.as_posix()}; rerun it after exporting.",
             f"# TF Serving: --model_config_file={CONTAINER_CONFIG_DIR}/models.config (the policy keeps the newest "
             "version loaded;",
             f"# labels may only name loaded versions, so the '{label}' label points at the newest).",
             "model_config_list {"]
    for name, folder in models.items():
        versions = sorted(version_folders(folder))
        newest = versions[-1]
        prior = old.get(name)
        labels = dict(prior.version_labels) if prior is not None else {}
        labels = {k: (v if v in versions else newest) for k, v in labels.items()}
        labels.setdefault(label, newest)
        policy = _policy_text(prior.model_version_policy if prior is not None and
                              prior.HasField("model_version_policy") else None)
        if policy.startswith("latest"):  # a label must name a loaded version: keep enough versions loaded
            oldest_labelled = min(labels.values())
            needed = len([v for v in versions if v >= oldest_labelled])
            current = int(re.search(r"\d+", policy).group())
            policy = f"latest {{ num_versions: {max(current, needed)} }}"
        lines += ["  config {",
                  f'    name: "{name}"',
                  f'    base_path: "{container_base.rstrip("/")}/{name}"',
                  '    model_platform: "tensorflow"',
                  f"    model_version_policy {{ {policy} }}"]
        for key, value in sorted(labels.items()):
            lines.append(f'    version_labels {{ key: "{key}" value: {value} }}')
        lines.append("  }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    parse_models_config(text)  # never write what TF Serving would refuse
    return text


def write_models_config(base, out, container_base: str = DEFAULT_CONTAINER_BASE, label: str = "stable") -> Path:
    """(Re)write ``out`` for everything under ``base``, keeping the labels and policies already in ``out``."""
    out = Path(out)
    previous = read_models_config(out) if out.is_file() else None
    text = render_models_config(base, container_base=container_base, previous=previous, label=label)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(out)
    return out
