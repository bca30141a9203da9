"""The whole chain on loopback: train a tiny generator -> `tfskin export` -> `tfskin serve` (a subprocess on
free ports) -> `tfskin evaluate metrics` and `tfskin evaluate classify` with a served source give the same
results as the same runs from `savedmodel:`. Also: a new version folder is picked up while serving, one log
line per request, and SIGTERM shuts the server down cleanly (stopped by PID)."""

import json
import shutil

import pytest

from tfskin.cli import main

from .conftest import ServeProcess, http_json


def _metrics(source, out):
    assert main(["evaluate", "metrics", "--synthetic", source, "--n", "40", "--kid-subset-size", "20",
                 "--features", "pixels:16", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    result.pop("synthetic")  # the source's description names the scheme
    assert result["memorization"].pop("closest_pairs_png").endswith(out.stem + "_closest_pairs.png")
    return result


_CLASSIFY_BOTH = """
import json, sys
import tensorflow as tf
tf.config.experimental.enable_op_determinism()  # the classifier's CPU kernels are not run-to-run stable otherwise
from tfskin.cli import main
out = {}
for source, folder in zip(sys.argv[1::2], sys.argv[2::2]):
    assert main(["evaluate", "classify", "--task", "malignant", "--image-size", "32", "--epochs", "1", "--tta", "2",
                 "--train-examples", "48", "--test-examples", "24", "--synthetic", source, "--synthetic-n", "24",
                 "--out", folder]) == 0
    metrics = json.loads(open(folder + "/metrics.json").read())
    out[source] = {k: v for k, v in metrics.items() if not k.endswith("_png")}
print("RESULT " + json.dumps(out))
"""


def _classify_both(served, saved, tmp_path):
    """`tfskin evaluate classify` with each source, in one deterministic process; -> (served, saved) metrics."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", _CLASSIFY_BOTH, served, str(tmp_path / "clf_served"), saved,
                           str(tmp_path / "clf_saved")], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    return result[served], result[saved]


@pytest.mark.slow
def test_served_generator_evaluates_like_the_savedmodel(dcgan_mel_run, tmp_path, capsys):
    base = tmp_path / "export" / "models"
    assert main(["export", "--run", str(dcgan_mel_run.run_dir), "--out", str(base / "dcgan")]) == 0
    assert main(["serving-config", "--model-base", str(base), "--out", str(tmp_path / "export" / "models.config")]) == 0
    saved = f"savedmodel:{base / 'dcgan'}"
    server = ServeProcess(base)
    try:
        server.wait_ready()
        served = f"serving:{server.rest}/v1/models/dcgan/labels/stable"
        assert _metrics(served, tmp_path / "served.json") == _metrics(saved, tmp_path / "saved.json")
        pairs = [(tmp_path / f"{n}_closest_pairs.png").read_bytes() for n in ("served", "saved")]
        assert pairs[0] == pairs[1]
        grpc_served = f"serving:grpc://{server.grpc}/dcgan,label=MEL"
        served_clf, saved_clf = _classify_both(grpc_served, f"{saved},label=MEL", tmp_path)
        assert served_clf == saved_clf and served_clf["num_examples"] == 24

        # a new version appears while serving: picked up without a restart
        shutil.copytree(base / "dcgan" / "1", base / "dcgan" / ".2.tmp")
        (base / "dcgan" / ".2.tmp").rename(base / "dcgan" / "2")
        for _ in range(60):
            status, doc = http_json(f"{server.rest}/v1/models/dcgan")
            if [v["version"] for v in doc["model_version_status"]][:1] == ["2"]:
                break
            import time

            time.sleep(0.25)
        assert doc["model_version_status"][0] == {"version": "2", "state": "AVAILABLE",
                                                  "status": {"error_code": "OK", "error_message": ""}}
    finally:
        code = server.stop()
    log = server.output()
    assert code == 0 and "received SIGTERM, shutting down" in log and "tfskin serve: stopped" in log
    assert "loaded dcgan version 2" in log
    requests = [line for line in log.splitlines() if " REST " in line or " gRPC " in line]
    assert any(":predict 200" in line for line in requests) and any("gRPC Predict dcgan/1:generate_png OK" in line
                                                                   for line in requests)
