"""The shipped deployment files agree on one layout: every path a TF Serving flag or models.config names is
resolved through the mounts of docker-compose.yml and k8s/deployment.yaml to a file of a rendered export/
folder, and `tfskin serving-config` writes the base paths the shipped models.config has. Each mutation below
changes a path in one file only, and the check must then fail."""

import shutil
from pathlib import Path, PurePosixPath

import pytest
import yaml

from tfskin.cli import build_parser
from tfskin.serving.models_config import parse_models_config, render_models_config

EXPORT = Path(__file__).resolve().parents[2] / "export"
CONFIG_FLAGS = ("model_config_file", "monitoring_config_file", "batching_parameters_file")


class LayoutError(AssertionError):
    pass


def render_export(tmp_path: Path, source: Path = EXPORT) -> Path:
    """A copy of export/ with a one-version SavedModel folder for every model models.config names."""
    export = tmp_path / "export"
    shutil.copytree(source, export)
    for config in parse_models_config((export / "models.config").read_text()).model_config_list.config:
        version = export / "models" / config.name / "1"
        version.mkdir(parents=True, exist_ok=True)
        (version / "saved_model.pb").write_bytes(b"")
    return export


def _flags(args) -> dict:
    return dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)


def _resolve(mounts: list, container_path: str) -> Path:
    """The host path behind ``container_path`` (longest mount prefix), or LayoutError when nothing is mounted."""
    path = PurePosixPath(container_path)
    best = None
    for target, host in mounts:
        target = PurePosixPath(target)
        if (path == target or target in path.parents) and (best is None or len(target.parts) > len(best[0].parts)):
            best = (target, host)
    if best is None:
        raise LayoutError(f"{container_path} is on no mounted volume")
    return best[1].joinpath(*path.relative_to(best[0]).parts)


def compose_layout(export: Path):
    service = yaml.safe_load((export / "docker-compose.yml").read_text())["services"]["tf-serving"]
    mounts = [(v.split(":")[1], (export / v.split(":")[0]).resolve()) for v in service["volumes"]]
    return mounts, _flags(service["command"]), None


def k8s_layout(export: Path):
    """The claim holds the contents of export/ (as the manifest's comment says); subPath mounts a folder of it."""
    docs = {d["kind"]: d for d in yaml.safe_load_all((export / "k8s" / "deployment.yaml").read_text())}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    claims = {v["name"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    container = pod["containers"][0]
    mounts = []
    for m in container["volumeMounts"]:
        if m["name"] not in claims:
            raise LayoutError(f"volume {m['name']} is not the export claim")
        mounts.append((m["mountPath"], export.joinpath(*PurePosixPath(m.get("subPath", "")).parts)))
    probe_model = container["readinessProbe"]["httpGet"]["path"].split("/")[3]
    return mounts, _flags(container["args"]), probe_model


def check_layout(mounts, flags, export: Path, probe_model=None):
    for flag in CONFIG_FLAGS:
        if flag not in flags:
            raise LayoutError(f"--{flag} is not passed")
        if not _resolve(mounts, flags[flag]).is_file():
            raise LayoutError(f"--{flag}={flags[flag]} is no file in the mounted layout")
    config = parse_models_config(_resolve(mounts, flags["model_config_file"]).read_text())
    names = set()
    for model in config.model_config_list.config:
        folder = _resolve(mounts, model.base_path)
        if not (folder / "1" / "saved_model.pb").is_file():
            raise LayoutError(f"base_path {model.base_path} of {model.name} holds no versions in the mounted layout")
        names.add(model.name)
    if probe_model is not None and probe_model not in names:
        raise LayoutError(f"the readiness probe asks for {probe_model}, not a model of models.config")


def check_serving_config(export: Path):
    """`tfskin serving-config` with its defaults writes the base paths of the shipped models.config."""
    args = build_parser().parse_args(["serving-config"])
    written = parse_models_config(render_models_config(export / "models", container_base=args.container_base))
    shipped = parse_models_config((export / "models.config").read_text())
    paths = lambda config: {c.name: c.base_path for c in config.model_config_list.config}
    if paths(written) != paths(shipped):
        raise LayoutError(f"serving-config writes {paths(written)}, models.config has {paths(shipped)}")


def check_kserve(export: Path):
    """KServe serves one model folder (export/models/NAME with its versions) under its metadata.name."""
    service = yaml.safe_load((export / "k8s" / "inferenceservice.yaml").read_text())
    name = service["metadata"]["name"]
    uri = service["spec"]["predictor"]["tensorflow"]["storageUri"]
    if uri.rstrip("/").rsplit("/", 1)[-1] != name or not (export / "models" / name / "1").is_dir():
        raise LayoutError(f"storageUri {uri} is not the model folder export/models/{name}")


def check_all(export: Path):
    for layout in (compose_layout, k8s_layout):
        check_layout(*layout(export)[:2], export, probe_model=layout(export)[2])
    check_serving_config(export)
    check_kserve(export)


def test_shipped_files_agree_on_one_layout(tmp_path):
    export = render_export(tmp_path)
    check_all(export)
    mounts, _, _ = k8s_layout(export)
    assert _resolve(mounts, "/models/dcgan") == export / "models" / "dcgan"  # not /models/models/dcgan


MUTATIONS = [
    ("k8s/deployment.yaml", "              subPath: models\n", ""),  # the layout: models at /models/models/NAME
    ("k8s/deployment.yaml", "--model_config_file=/config/", "--model_config_file=/models/"),
    ("k8s/deployment.yaml", "--batching_parameters_file=/config/", "--batching_parameters_file=/etc/"),
    ("k8s/deployment.yaml", "path: /v1/models/dcgan", "path: /v1/models/gan"),
    ("docker-compose.yml", "./models:/models:ro", "./models:/srv/models:ro"),
    ("docker-compose.yml", ".:/config:ro", "./models:/config:ro"),
    ("docker-compose.yml", "--monitoring_config_file=/config/", "--monitoring_config_file=/models/"),
    ("models.config", 'base_path: "/models/dcgan"', 'base_path: "/models/models/dcgan"'),
    ("k8s/inferenceservice.yaml", "storageUri: gs://BUCKET/tfskin/dcgan", "storageUri: gs://BUCKET/tfskin"),
]


@pytest.mark.parametrize("file,old,new", MUTATIONS, ids=[f"{m[0]}:{m[2] or 'removed'}" for m in MUTATIONS])
def test_a_path_changed_in_one_file_only_is_caught(tmp_path, file, old, new):
    export = render_export(tmp_path)
    text = (export / file).read_text()
    assert old in text, f"the mutation no longer applies to {file}"
    (export / file).write_text(text.replace(old, new))
    with pytest.raises(LayoutError):
        check_all(export)


def test_serving_config_default_is_checked(tmp_path, monkeypatch):
    export = render_export(tmp_path)
    import tfskin.serving.cli as serving_cli

    real = serving_cli.register

    def register(subparsers):  # the CLI's --container-base default changed, nothing else
        real(subparsers)
        subparsers.choices["serving-config"].set_defaults(container_base="/srv")

    monkeypatch.setattr(serving_cli, "register", register)
    with pytest.raises(LayoutError, match="serving-config writes"):
        check_serving_config(export)
