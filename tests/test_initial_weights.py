"""Every model's initial weights are independent draws per layer and the same in every process for one seed.

A Keras initializer instance draws its seed once and then repeats its values, so one instance shared by several
layers gave same-shaped layers identical kernels (and the others prefixes of one random stream), and an instance
made at import time gave each process other weights for the same run seed (tfskin.layers.init)."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfskin.registry import model_names
from tfskin.training import build_model, resolve_config

MODELS = model_names()
ROOT = Path(__file__).resolve().parents[1]


def _kernels(model) -> dict:
    """path -> kernel of every weight matrix or convolution kernel with at least 16 entries."""
    return {v.path: np.asarray(v.numpy(), np.float64).ravel() for v in model.weights
            if "kernel" in v.path and len(v.shape) >= 2 and int(np.prod(v.shape)) >= 16}


def _digest(model) -> str:
    h = hashlib.sha256()
    for path, kernel in sorted(_kernels(model).items()):
        h.update(path.encode())
        h.update(kernel.astype(np.float32).tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("name", MODELS)
def test_no_two_layers_start_from_the_same_random_draws(name):
    model = build_model(resolve_config(name, "tiny", train={"seed": 5}))
    kernels = _kernels(model)
    assert len(kernels) >= 2, name
    starts = {}
    for path, kernel in kernels.items():
        # a shared initializer gives the same first draws, up to the kernel's scale (fan-in scaled initialisers)
        head = kernel[:16] / (np.abs(kernel[:16]).max() + 1e-12)
        for other, other_head in starts.items():
            assert not np.allclose(head, other_head, atol=1e-6), f"{name}: {path} starts like {other}"
        starts[path] = head


@pytest.mark.slow
def test_initial_weights_are_the_same_in_every_process():
    """Two fresh processes, same seed: the same kernels for every model (hash randomisation differs too). Every
    model's modules are imported first, before any seed is set, as a CLI command or an earlier run in the same
    process does: an initializer made at import time then draws an unseeded seed."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import tests.test_initial_weights as t;"
            "from tfskin.registry import get_model; [get_model(n).model_class for n in t.MODELS];"
            "from tfskin.training import build_model, resolve_config;"
            "print(json.dumps({n: t._digest(build_model(resolve_config(n, 'tiny', train={'seed': 5})))"
            " for n in t.MODELS}))")
    digests = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", code, str(ROOT)], env=env, capture_output=True, text=True,
                             timeout=600, check=True).stdout
        digests.append(json.loads(out.strip().splitlines()[-1]))
    assert set(digests[0]) == set(MODELS)
    differ = sorted(n for n in MODELS if digests[0][n] != digests[1][n])
    assert not differ, f"initial weights differ between processes: {differ}"
