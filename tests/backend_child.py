"""One way for tests to run Python on a given Keras backend in a child process (one process has one backend).

``run_on_backend("jax", "-c", SCRIPT, arg, ...)`` runs ``python -c SCRIPT arg ...`` (or a script path) with
``KERAS_BACKEND`` set, JAX on its CPU platform, TensorFlow's C++ logging quiet and ``XLA_FLAGS`` replaced by
``devices`` host devices (or removed: one device), asserts it exited 0 (showing the end of its stderr if not) and
returns the finished process. ``start_on_backend`` starts one without waiting, for tests that run several at
once; the caller stops it by PID (``stop``).
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def backend_env(backend: str, devices: int | None = None) -> dict:
    """The environment of a child process on ``backend`` with ``devices`` XLA host devices (None: one)."""
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("XLA_FLAGS", None)
    if devices:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return env


def run_on_backend(backend: str, *args, devices: int | None = None, timeout: float = 600):
    """Runs ``python *args`` on ``backend`` from the repository root; asserts exit status 0."""
    result = subprocess.run([sys.executable, *map(str, args)], env=backend_env(backend, devices), cwd=REPO,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def start_on_backend(backend: str, *args, devices: int | None = None):
    """Starts ``python *args`` on ``backend`` with its output piped; returns the ``Popen``."""
    return subprocess.Popen([sys.executable, *map(str, args)], env=backend_env(backend, devices), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(process):
    """Kills ``process`` by PID if it is still running, and reaps it."""
    if process.poll() is None:
        process.kill()
        process.wait()
