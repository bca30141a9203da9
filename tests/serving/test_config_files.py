"""The shipped deployment files parse with TF Serving's own protos / as YAML and name what the README says;
the models.config writer keeps labels and never writes what TF Serving would refuse."""

from pathlib import Path

import pytest
import yaml
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from tfskin.serving.config_protos import (
    monitoring_config_class,
    parse_batching_parameters,
    parse_monitoring_config,
)
from tfskin.serving.errors import ModelBaseError
from tfskin.serving.models_config import labels_from_config, parse_models_config, write_models_config

EXPORT = Path(__file__).resolve().parents[2] / "export"


def test_models_config_parses_strictly():
    config = text_format.Parse((EXPORT / "models.config").read_text(), model_server_config_pb2.ModelServerConfig())
    models = {c.name: c for c in config.model_config_list.config}
    assert models and all(c.base_path == f"/models/{name}" for name, c in models.items())
    for c in models.values():
        assert c.model_platform == "tensorflow" and c.HasField("model_version_policy")
        assert "stable" in c.version_labels


def test_monitoring_and_batching_parse_strictly():
    monitoring = parse_monitoring_config((EXPORT / "monitoring.config").read_text())
    assert monitoring.prometheus_config.enable and monitoring.prometheus_config.path == "/monitoring/prometheus/metrics"
    batching = parse_batching_parameters((EXPORT / "batching_parameters.txt").read_text())
    assert batching.max_batch_size.value == 64 and batching.num_batch_threads.value >= 1
    assert list(batching.allowed_batch_sizes)[-1] == batching.max_batch_size.value  # TF Serving requires this


def test_a_typo_fails_like_tf_serving_would():
    with pytest.raises(text_format.ParseError):
        text_format.Parse("monitoring_config { prometheus_config { enable: true } }", monitoring_config_class()())
    with pytest.raises(text_format.ParseError):  # the { value: } wrappers are required
        parse_batching_parameters("max_batch_size: 64")
    with pytest.raises(ValueError, match="must equal max_batch_size"):
        parse_batching_parameters("max_batch_size { value: 64 }\nallowed_batch_sizes: 8\nallowed_batch_sizes: 32")
    with pytest.raises(ModelBaseError, match="invalid models.config"):
        parse_models_config('model_config_list { config { name: "x" base_pth: "/models/x" } }')


def test_docker_compose_names_ports_mounts_and_flags():
    compose = yaml.safe_load((EXPORT / "docker-compose.yml").read_text())
    service = compose["services"]["tf-serving"]
    image, tag = service["image"].split(":")
    assert image == "tensorflow/serving" and tag[0].isdigit()  # pinned, not latest
    assert {p.rsplit(":", 1)[-1] for p in service["ports"]} == {"8500", "8501"}
    mounts = {v.split(":")[0]: v.split(":")[1] for v in service["volumes"]}
    assert mounts["./models"] == "/models" and mounts["."] == "/config"  # one layout: test_deployment_layout.py
    flags = " ".join(service["command"])
    for flag in ("--port=8500", "--rest_api_port=8501", "--model_config_file=/config/models.config",
                 "--monitoring_config_file=/config/monitoring.config", "--enable_batching",
                 "--enable_per_model_batching_parameters=true",
                 "--batching_parameters_file=/config/batching_parameters.txt"):
        assert flag in flags
    for path in mounts:
        assert (EXPORT / path).exists() or path == "./models"


def test_kubernetes_manifests():
    docs = list(yaml.safe_load_all((EXPORT / "k8s" / "deployment.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Deployment", "Service"}
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert {p["containerPort"] for p in container["ports"]} == {8500, 8501}
    assert "--model_config_file=/config/models.config" in container["args"]
    assert "--enable_per_model_batching_parameters=true" in container["args"]
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/models", "/config"}
    assert {p["port"] for p in kinds["Service"]["spec"]["ports"]} == {8500, 8501}
    kserve = yaml.safe_load((EXPORT / "k8s" / "inferenceservice.yaml").read_text())
    assert kserve["apiVersion"] == "serving.kserve.io/v1beta1" and kserve["kind"] == "InferenceService"
    assert kserve["spec"]["predictor"]["tensorflow"]["storageUri"]


def test_readme_names_every_file():
    readme = (EXPORT / "README.md").read_text()
    for name in ("models.config", "monitoring.config", "batching_parameters.txt", "docker-compose.yml",
                 "k8s/deployment.yaml", "k8s/inferenceservice.yaml", "8500", "8501", "tfskin serving-config"):
        assert name in readme


def _fake_base(root: Path, layout: dict) -> Path:
    for name, versions in layout.items():
        for v in versions:
            (root / name / str(v)).mkdir(parents=True)
            (root / name / str(v) / "saved_model.pb").write_bytes(b"")
    (root / "half" / "3").mkdir(parents=True)  # no saved_model.pb: not a version
    return root


def test_writer_lists_exports_and_keeps_labels(tmp_path):
    base = _fake_base(tmp_path / "models", {"dcgan": [1, 2], "acgan": [4]})
    out = write_models_config(base, tmp_path / "models.config")
    assert labels_from_config(out) == {"acgan": {"stable": 4}, "dcgan": {"stable": 2}}
    labels = 'version_labels { key: "canary" value: 2 }\n    version_labels { key: "stable" value: 1 }'
    text = out.read_text().replace('version_labels { key: "stable" value: 2 }', labels)
    out.write_text(text)
    (base / "dcgan" / "3").mkdir()
    (base / "dcgan" / "3" / "saved_model.pb").write_bytes(b"")
    write_models_config(base, out)
    assert labels_from_config(out)["dcgan"] == {"canary": 2, "stable": 1}
    config = parse_models_config(out.read_text())
    dcgan = next(c for c in config.model_config_list.config if c.name == "dcgan")
    assert dcgan.model_version_policy.latest.num_versions == 3  # keeps versions 1..3 loaded for the labels
    assert [c.name for c in config.model_config_list.config] == ["acgan", "dcgan"]


def test_writer_refuses_an_empty_base(tmp_path):
    with pytest.raises(ModelBaseError, match="no exported models"):
        write_models_config(tmp_path, tmp_path / "models.config")
