"""Shared fixtures: a model base of the session's tiny DCGAN exports (tests/conftest.py) and one `tfskin serve`
subprocess on free loopback ports.

The server is started once per session (it takes a few seconds to import TensorFlow and load the models)
and is always stopped by its PID.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("tensorflow_serving", reason="the serving extra is not installed (pip install -e '.[serving]')")

SERVE_TIMEOUT_S = 90
MAX_BODY_BYTES = 2_000_000  # the session server's request limit (the oversized-body test sends more)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, body=None, method=None, timeout=30):
    """(status, parsed JSON body) of one request; error statuses are returned, not raised."""
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="session")
def model_base(tmp_path_factory, dcgan_mel_run, dcgan_mask_run):
    """export/models layout: dcgan versions 1 and 2 (copies of one export), dcgan_mask version 1, and a
    models.config next to it keeping both dcgan versions loaded, with the label stable -> 1 on dcgan."""
    from tfskin.serving.models_config import write_models_config

    base = tmp_path_factory.mktemp("serving_export") / "models"
    shutil.copytree(dcgan_mel_run.export_path, base / "dcgan" / "1")
    shutil.copytree(dcgan_mel_run.export_path, base / "dcgan" / "2")
    shutil.copytree(dcgan_mask_run.export_path, base / "dcgan_mask" / "1")
    config = base.parent / "models.config"
    write_models_config(base, config)
    text = config.read_text().replace('version_labels { key: "stable" value: 2 }',
                                      'version_labels { key: "stable" value: 1 }')
    # both dcgan versions loaded (TF Serving's default policy would serve only the newest)
    text = text.replace('name: "dcgan"\n    base_path: "/models/dcgan"\n    model_platform: "tensorflow"\n'
                        '    model_version_policy { latest { num_versions: 1 } }',
                        'name: "dcgan"\n    base_path: "/models/dcgan"\n    model_platform: "tensorflow"\n'
                        '    model_version_policy { latest { num_versions: 2 } }')
    assert "num_versions: 2" in text, text
    config.write_text(text)
    return base


class ServeProcess:
    def __init__(self, base: Path, extra=()):
        self.rest_port, self.grpc_port = free_port(), free_port()
        self.log = base.parent / f"serve-{self.rest_port}.log"
        self._log_file = open(self.log, "w")
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tfskin.cli", "serve", "--model-base", str(base), "--port", str(self.rest_port),
             "--grpc-port", str(self.grpc_port), "--poll-seconds", "0.5", *extra],
            stdout=self._log_file, stderr=subprocess.STDOUT, env=env)
        self.rest = f"http://127.0.0.1:{self.rest_port}"
        self.grpc = f"127.0.0.1:{self.grpc_port}"

    def wait_ready(self, model="dcgan"):
        deadline = time.monotonic() + SERVE_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tfskin serve exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                status, _ = http_json(f"{self.rest}/v1/models/{model}", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"tfskin serve not ready after {SERVE_TIMEOUT_S} s:\n{self.log.read_text()}")

    def stop(self, sig=signal.SIGTERM, timeout=30) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log_file.close()
        return self.proc.returncode

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text()


@pytest.fixture(scope="session")
def server(model_base):
    proc = ServeProcess(model_base, extra=("--max-body-bytes", str(MAX_BODY_BYTES)))
    try:
        yield proc.wait_ready()
    finally:
        proc.stop()
