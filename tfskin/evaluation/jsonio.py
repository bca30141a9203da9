"""Strict JSON for every evaluation output: NaN and infinities become ``null`` (a bare ``NaN`` is not JSON and
breaks other readers), NumPy scalars and arrays become numbers and lists, tuples lists, paths strings."""

import json
import math
import os
from pathlib import Path

import numpy as np


def clean(value):
    """A copy of ``value`` that ``json.dumps(..., allow_nan=False)`` accepts; non-finite floats -> None."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


def dumps(payload, indent: int = 2) -> str:
    return json.dumps(clean(payload), indent=indent, allow_nan=False)


def write_json(path, payload) -> Path:
    """Write ``payload`` as strict JSON, atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(dumps(payload))
    os.replace(tmp, path)
    return path
