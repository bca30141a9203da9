"""The same client checks against the real tensorflow/serving image, when Docker and the image are present
(they are not on the project's machines: the test then skips and says why)."""

import os
import shutil
import subprocess
import time

import numpy as np
import pytest

from tfskin.sources import make_source

from .conftest import free_port, http_json

IMAGE = os.environ.get("TFSKIN_TF_SERVING_IMAGE", "tensorflow/serving:2.18.0")


def _docker_unavailable():
    docker = shutil.which("docker")
    if docker is None:
        return "docker is not installed"
    try:
        info = subprocess.run([docker, "image", "inspect", IMAGE], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"docker does not answer: {err}"
    if info.returncode != 0:
        detail = (info.stderr.strip().splitlines() or ["no such image"])[-1]
        return f"image {IMAGE} is not available locally ({detail}); no downloads at test time"
    return None


@pytest.fixture(scope="module")
def tf_serving(model_base):
    reason = _docker_unavailable()
    if reason:
        pytest.skip(f"real TF Serving not available: {reason}")
    rest, grpc_port = free_port(), free_port()
    name = f"tfskin-test-{rest}"
    config = model_base.parent / "models.config"
    cmd = ["docker", "run", "-d", "--rm", "--name", name, "-p", f"127.0.0.1:{rest}:8501",
           "-p", f"127.0.0.1:{grpc_port}:8500", "-v", f"{model_base}:/models:ro",
           "-v", f"{config}:/config/models.config:ro", "--entrypoint", "tensorflow_model_server", IMAGE,
           "--port=8500", "--rest_api_port=8501", "--model_config_file=/config/models.config",
           "--allow_version_labels_for_unavailable_models=true"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if http_json(f"http://127.0.0.1:{rest}/v1/models/dcgan", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        yield {"rest": f"http://127.0.0.1:{rest}", "grpc": f"127.0.0.1:{grpc_port}"}
    finally:
        subprocess.run(["docker", "stop", name], capture_output=True, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["http", "grpc"])
def test_client_against_real_tf_serving(tf_serving, model_base, kind):
    url = f"{tf_serving['rest']}/v1/models/dcgan" if kind == "http" else f"grpc://{tf_serving['grpc']}/dcgan"
    served = make_source(f"serving:{url},label=MEL")
    reference = make_source(f"savedmodel:{model_base / 'dcgan'},label=MEL")
    np.testing.assert_array_equal(served.sample(40, seed=1)["image"], reference.sample(40, seed=1)["image"])


@pytest.mark.slow
def test_errors_of_real_tf_serving_match_ours(tf_serving, server):
    for path, body in (("/v1/models/nope:predict", {"instances": [[0.0] * 16]}),
                       ("/v1/models/dcgan:predict", {"instances": []}),
                       ("/v1/models/dcgan:predict", {"instances": [[0.0] * 16], "inputs": [[0.0] * 16]}),
                       ("/v1/models/dcgan:predict", {"signature_name": "generate"}),
                       ("/v1/models/dcgan/labels/canary:predict", {"instances": [[0.0] * 16]})):
        real = http_json(tf_serving["rest"] + path, body)
        ours = http_json(server.rest + path, body)
        assert real[0] == ours[0] and real[1]["error"].strip() == ours[1]["error"].strip(), (path, real, ours)
