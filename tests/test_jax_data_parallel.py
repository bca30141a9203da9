"""``tfskin train --strategy data-parallel`` on Keras' JAX backend (``keras.distribution.DataParallel``).

The JAX side runs as one child process (``KERAS_BACKEND=jax JAX_PLATFORMS=cpu
XLA_FLAGS=--xla_force_host_platform_device_count=2``: two CPU devices) that trains the dcgan ``tiny`` run for 4
steps at global batch 8 twice: on one device (``--strategy default``) and data-parallel over both devices,
the latter as 2 steps resumed to 4 (so restoring into replicated variables is covered too). It then samples the
data-parallel run with ``tfskin sample`` and collects the one-line error of a batch that does not split over
the devices. This process compares the two final npz checkpoints: the same global batch gives the same training
state up to float reassociation (the gradient of the global-batch mean is summed over two devices instead of
one), checked with rtol = atol = 1e-5. About 40 s on a 2-core CPU. Skipped where JAX is not installed.

Several hosts: two more child processes, one CPU device each, join one JAX job on a free loopback port
(``jax.distributed.initialize``, gloo collectives) and train the same run data-parallel over both processes;
Keras' ``DataParallel`` shards the tf.data stream so that each process reads its half of every global batch
(recorded and checked, so duplicated work would fail), and each process's final checkpoint must equal the
one-device run's state.

The TensorFlow side (``--strategy data-parallel`` refused in one line) runs in this process through the CLI's
``--dry-run``, without training.
"""

import importlib.util
import json
import socket
import textwrap

import numpy as np
import pytest
from backend_child import run_on_backend, start_on_backend, stop

STEPS = 4
BATCH = 8
DEVICES = 2
RTOL = ATOL = 1e-5  # float32 reassociation over two devices; measured: largest difference 1.2e-6 (of 90,731 values)

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="JAX is not installed (pip install -e '.[jax]'); data-parallel is not tested")

_JAX_SCRIPT = textwrap.dedent("""
    import contextlib, io, json, sys
    from pathlib import Path

    import jax
    import keras

    import tfskin.training
    from tfskin.cli import main
    from tfskin.training import resolve_config, train

    root, steps, batch = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    assert keras.backend.backend() == "jax"

    def config(n, **train_values):
        return resolve_config("dcgan", "tiny", data={"num_examples": 32},
                              train={"steps": n, "batch_size": batch, "log_every": 1, "checkpoint_every": 1,
                                     "sample_every": 1000, "precision": "float32", "export_at_end": False,
                                     **train_values})

    results = {"devices": jax.device_count(), "weight_devices": []}
    build_model = tfskin.training.build_model

    def recording_build_model(run_config):  # on how many devices the runner's model keeps its weights
        model = build_model(run_config)
        results["weight_devices"].append(len(model.variables[0].value.sharding.device_set))
        return model

    tfskin.training.build_model = recording_build_model
    one = train(config(steps), root / "one")
    results["one"] = one.checkpoint
    log = io.StringIO()
    train(config(steps // 2, strategy="data-parallel"), root / "dp", stream=log)
    two = train(config(steps, strategy="data-parallel"), root / "dp", resume=True, stream=log)
    results["dp"] = two.checkpoint
    results["dp_log"] = log.getvalue()
    assert keras.distribution.distribution() is None  # the distribution does not outlive the run
    results["sample"] = main(["sample", "--run", str(root / "dp"), "--n", "2", "--out", str(root / "samples")])

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        results["odd_status"] = main(["train", "--model", "dcgan", "--preset", "tiny", "--strategy", "data-parallel",
                                      "--batch-size", str(batch - 1), "--run-dir", str(root / "odd"), "--dry-run"])
    results["odd_error"] = err.getvalue()
    (root / "results.json").write_text(json.dumps(results))
""")


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jax_data_parallel")
    run_on_backend("jax", "-c", _JAX_SCRIPT, root, STEPS, BATCH, devices=DEVICES)
    return root, json.loads((root / "results.json").read_text())


def _state(path):
    """The training state in an npz checkpoint: its step and every variable but the loss trackers'."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files if "/" in k and not k.startswith("metrics/") and
                not k.endswith("/paths")}


@needs_jax
@pytest.mark.slow
def test_two_device_data_parallel_run_ends_with_the_one_device_runs_state(jax_runs):
    root, results = jax_runs
    assert results["devices"] == DEVICES
    assert results["weight_devices"] == [1, DEVICES, DEVICES]  # the one-device run, then both data-parallel runs
    assert f"on {DEVICES} replica(s), batch {BATCH}" in results["dp_log"]
    assert results["one"].endswith(f"ckpt-{STEPS}.npz") and results["dp"].endswith(f"ckpt-{STEPS}.npz")
    for path in (results["one"], results["dp"]):
        with np.load(path) as data:
            assert int(data["step"]) == STEPS and str(data["backend"]) == "jax"
    one, two = _state(results["one"]), _state(results["dp"])
    assert one.keys() == two.keys()
    assert {k.split("/")[0] for k in one if "/" in k} == {"model", "generator_optimizer", "discriminator_optimizer"}
    for key, value in one.items():
        np.testing.assert_allclose(two[key], value, rtol=RTOL, atol=ATOL, err_msg=key)
    # ... and the comparison can fail: the data-parallel run's step-2 state differs from its final one
    halfway = _state(root / "dp" / "checkpoints" / f"ckpt-{STEPS // 2}.npz")
    assert any(not np.allclose(halfway[k], two[k], rtol=RTOL, atol=ATOL) for k in two if k.startswith("model/"))
    assert results["sample"] == 0 and (root / "samples.grid.png").is_file()


@needs_jax
@pytest.mark.slow
def test_batch_not_divisible_by_the_devices_is_one_line(jax_runs):
    _, results = jax_runs
    assert results["odd_status"] == 2
    message = results["odd_error"].strip()
    assert "\n" not in message, message
    assert f"batch size {BATCH - 1}" in message and f"{DEVICES} devices" in message, message


def test_data_parallel_on_tensorflow_is_one_line(capsys):
    import keras

    from tfskin.cli import main

    if keras.backend.backend() != "tensorflow":
        pytest.skip(f"this process runs Keras' {keras.backend.backend()} backend, not TensorFlow")
    status = main(["train", "--model", "dcgan", "--preset", "tiny", "--strategy", "data-parallel", "--dry-run"])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert "\n" not in err, err
    assert "--strategy mirrored" in err and "KERAS_BACKEND=jax" in err, err


_HOST_SCRIPT = textwrap.dedent("""
    import io, json, sys
    from pathlib import Path

    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    root, port = Path(sys.argv[1]), sys.argv[2]
    index, steps, batch = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=index,
                               initialization_timeout=120)
    import keras

    from tfskin.training import resolve_config, train

    rows = []
    shard = keras.distribution.DataParallel.distribute_dataset

    def recording_shard(self, dataset):  # how many rows of each global batch this process reads (static shape)
        sharded = shard(self, dataset)
        rows.append(sharded.element_spec["images"].shape[0])
        return sharded

    keras.distribution.DataParallel.distribute_dataset = recording_shard
    config = resolve_config("dcgan", "tiny", data={"num_examples": 32},
                            train={"steps": steps, "batch_size": batch, "log_every": 1, "checkpoint_every": 1,
                                   "sample_every": 1000, "precision": "float32", "export_at_end": False,
                                   "strategy": "data-parallel"})
    log = io.StringIO()
    result = train(config, root / f"host{index}", stream=log)
    (root / f"host{index}.json").write_text(json.dumps({"checkpoint": result.checkpoint, "log": log.getvalue(),
                                                         "devices": jax.device_count(), "rows": rows,
                                                         "local_devices": jax.local_device_count()}))
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_jax
@pytest.mark.slow
def test_two_process_data_parallel_run_ends_with_the_one_device_runs_state(jax_runs, tmp_path):
    root, results = jax_runs
    port = _free_port()  # one device per process
    hosts = [start_on_backend("jax", "-c", _HOST_SCRIPT, tmp_path, port, i, STEPS, BATCH) for i in range(2)]
    try:
        outputs = [host.communicate(timeout=600) for host in hosts]
    finally:
        for host in hosts:  # stopped by PID whatever happened
            stop(host)
    for host, (_, err) in zip(hosts, outputs):
        assert host.returncode == 0, err[-4000:]
    one = _state(results["one"])
    for i in range(2):
        host = json.loads((tmp_path / f"host{i}.json").read_text())
        assert host["devices"] == 2 and host["local_devices"] == 1
        assert host["rows"] and set(host["rows"]) == {BATCH // 2}, host["rows"]  # split, not duplicated
        assert f"on 2 replica(s), batch {BATCH} ({BATCH // 2} per process, 2 processes)" in host["log"], host["log"]
        state = _state(host["checkpoint"])
        assert state.keys() == one.keys()
        for key, value in one.items():
            np.testing.assert_allclose(state[key], value, rtol=RTOL, atol=ATOL, err_msg=f"process {i}: {key}")
