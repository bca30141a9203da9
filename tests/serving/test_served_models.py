"""With a models.config, `tfskin serve` serves exactly the models it lists, as TF Serving's --model_config_file
does: a model folder it does not list is skipped (and named in the start-up line), and a model removed from a
re-read config is unloaded. Without one, every model folder under the base is served. The selection is
checked on the repository (no loading); the served behaviour on in-process servers on free loopback ports."""

import logging
import shutil
import time

import pytest

from tfskin.serving.repository import ModelRepository
from tfskin.serving.server import Server
from tfskin.serving.version_policy import ModelSettings

from .conftest import http_json

WAIT_S = 60


def _config(path, *names):
    path.write_text("model_config_list {\n" + "".join(
        f'  config {{\n    name: "{name}"\n    base_path: "/models/{name}"\n    model_platform: "tensorflow"\n  }}\n'
        for name in names) + "}\n")


def _fake_versions(base, *names):
    for name in names:
        (base / name / "1").mkdir(parents=True)
        (base / name / "1" / "saved_model.pb").write_bytes(b"")


def test_the_config_lists_the_models_served(tmp_path):
    base = tmp_path / "models"
    _fake_versions(base, "dcgan", "cyclegan", "acgan")
    listed = ModelRepository(base, settings={"dcgan": ModelSettings(), "lapgan": ModelSettings()}, load_now=False)
    assert listed.model_names() == ["dcgan"]
    assert listed.skipped_folders() == ["acgan", "cyclegan"]
    every = ModelRepository(base, settings=None, load_now=False)
    assert every.model_names() == ["acgan", "cyclegan", "dcgan"] and every.skipped_folders() == []
    assert ModelRepository(base, settings={}, load_now=False).model_names() == []  # a config listing nothing


def _status(url, name):
    status, doc = http_json(f"{url}/v1/models/{name}")
    return [(v["version"], v["state"]) for v in doc["model_version_status"]] if status == 200 else status


def _wait_for(check, what):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT_S} s: {what}")


@pytest.fixture
def two_models(tmp_path, dcgan_mel_run):
    """tmp/models/{dcgan,other}/1: the same tiny export under two names."""
    base = tmp_path / "models"
    for name in ("dcgan", "other"):
        shutil.copytree(dcgan_mel_run.export_path, base / name / "1")
    return base


def test_serve_loads_only_listed_models_and_follows_the_re_read_config(two_models, tmp_path, caplog):
    config = tmp_path / "models.config"  # next to the base: found without --model-config-file
    _config(config, "dcgan")
    caplog.set_level(logging.INFO, logger="tfskin.serving")
    server = Server(two_models, port=0, grpc_port=None, poll_seconds=0.2, config_poll_seconds=0.2).start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        assert _status(url, "dcgan") == [("1", "AVAILABLE")]
        assert _status(url, "other") == 404
        assert server.repository.loaded() == [("dcgan", 1)]
        assert "(not listed there, not served: other;" in server.describe()
        assert "models served: dcgan; model folders it does not list (not served): other" in caplog.text

        _config(config, "other")  # dcgan leaves the config: unloaded, as TF Serving does
        _wait_for(lambda: _status(url, "dcgan") == 404 and _status(url, "other") == [("1", "AVAILABLE")],
                  "the re-read config served: other only")
        assert "unloaded dcgan version 1 (not listed in models.config)" in caplog.text
    finally:
        server.stop()


def test_without_a_config_every_model_folder_is_served(two_models):
    server = Server(two_models, port=0, grpc_port=None, poll_seconds=0).start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        assert server.config_file is None
        assert _status(url, "dcgan") == [("1", "AVAILABLE")] and _status(url, "other") == [("1", "AVAILABLE")]
    finally:
        server.stop()
