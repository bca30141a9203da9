"""TF Serving's semantics in `tfskin serve` (see the reference's "Config files" and status answers): a missing
model base starts and serves what appears; models.config's version policy decides which versions are loaded
(others answer 404); the file is re-read on --model-config-file-poll-wait-seconds; a version that fails to load
is reported in its status without server paths. In-process servers on free loopback ports."""

import shutil
import time

import pytest

from tfskin.serving.server import Server

from .conftest import http_json

WAIT_S = 60


def _config(path, policy, labels=""):
    path.write_text('model_config_list {\n  config {\n    name: "dcgan"\n    base_path: "/models/dcgan"\n'
                    f'    model_platform: "tensorflow"\n    model_version_policy {{ {policy} }}\n{labels}  }}\n}}\n')


def _add_version(export, base, version):
    """Copy an export in as base/dcgan/VERSION, appearing at once (a rename), as `tfskin export` writes it."""
    staging = base / "dcgan" / f".staging-{version}"
    shutil.copytree(export, staging)
    staging.rename(base / "dcgan" / str(version))


def _versions(url):
    status, doc = http_json(f"{url}/v1/models/dcgan")
    return [(v["version"], v["state"]) for v in doc["model_version_status"]] if status == 200 else []


def _wait_for(check, what):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT_S} s: {what}")


@pytest.fixture
def serving(tmp_path):
    servers = []

    def start(base, config):
        server = Server(base, port=0, grpc_port=None, model_config_file=config, poll_seconds=0.2,
                        config_poll_seconds=0.2).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        server.stop()


def test_policy_and_labels_apply_to_versions_appearing_while_running(serving, tmp_path, dcgan_mel_run):
    base, config = tmp_path / "models", tmp_path / "models.config"  # the base does not exist yet
    _config(config, "latest { num_versions: 1 }")
    url = serving(base, config)
    assert http_json(f"{url}/v1/models/dcgan") == (404, {"error": "Could not find any versions of model dcgan"})

    (base / "dcgan").mkdir(parents=True)
    _add_version(dcgan_mel_run.export_path, base, 1)
    _wait_for(lambda: _versions(url) == [("1", "AVAILABLE")], "version 1 served")
    _add_version(dcgan_mel_run.export_path, base, 2)
    _wait_for(lambda: _versions(url) == [("2", "AVAILABLE")], "version 2 served, version 1 unloaded (latest 1)")
    body = {"signature_name": "generate_png", "instances": [[0.1] * 16]}
    assert http_json(f"{url}/v1/models/dcgan/versions/1:predict", body) == (
        404, {"error": "Servable not found for request: Specific(dcgan, 1)"})
    assert http_json(f"{url}/v1/models/dcgan/versions/1") == (
        404, {"error": "Could not find version 1 of model dcgan"})
    assert http_json(f"{url}/v1/models/dcgan/versions/1/metadata")[0] == 404

    _config(config, "specific { versions: 1 }", '    version_labels { key: "stable" value: 1 }\n')
    _wait_for(lambda: _versions(url) == [("1", "AVAILABLE")], "models.config re-read: only version 1")
    assert http_json(f"{url}/v1/models/dcgan/labels/stable:predict", body)[0] == 200
    assert http_json(f"{url}/v1/models/dcgan/versions/2:predict", body)[0] == 404

    _config(config, "all {}", '    version_labels { key: "stable" value: 1 }\n')
    _wait_for(lambda: _versions(url) == [("2", "AVAILABLE"), ("1", "AVAILABLE")], "all versions")


def test_a_broken_version_is_reported_without_server_paths(serving, tmp_path, dcgan_mel_run):
    base, config = tmp_path / "models", tmp_path / "models.config"
    (base / "dcgan").mkdir(parents=True)
    _add_version(dcgan_mel_run.export_path, base, 1)
    _add_version(dcgan_mel_run.export_path, base, 2)
    shutil.rmtree(base / "dcgan" / "2" / "variables")  # TF's load error names the missing file's full path
    _config(config, "all {}")
    url = serving(base, config)
    _wait_for(lambda: len(_versions(url)) == 2, "both versions reported")
    status, doc = http_json(f"{url}/v1/models/dcgan/versions/2")
    assert status == 200
    entry = doc["model_version_status"][0]
    assert entry["state"] == "END" and entry["status"]["error_code"] != "OK"
    assert "version 2" in entry["status"]["error_message"]
    status, text = http_json(f"{url}/v1/models/dcgan")
    assert str(tmp_path) not in str(text) and "saved_model.pb" not in str(text)
    assert http_json(f"{url}/v1/models/dcgan/versions/2:predict", {"instances": [[0.0] * 16]})[0] == 404
    assert http_json(f"{url}/v1/models/dcgan:predict", {"instances": [[0.0] * 16]})[0] == 200  # latest loaded
