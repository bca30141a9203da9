"""The models ``tfskin serve`` serves: every ``<base>/<name>/<version>/saved_model.pb``.

Like TF Serving's default version policy, the newest version of each model is loaded at start and whenever a
newer version folder appears (the base is polled); older versions are loaded when a request asks for them by
number or label. Loading uses ``tf.saved_model.load`` only: no tfskin model code is needed to serve.
"""

import logging
import re
import threading
import time
from pathlib import Path

import numpy as np

from tfskin.serving.errors import ModelBaseError, ServingStatus, invalid, not_found
from tfskin.serving.metadata import read_signature_defs

log = logging.getLogger("tfskin.serving")

DEFAULT_SIGNATURE = "serving_default"
AVAILABLE = "AVAILABLE"


def version_folders(model_dir: Path) -> dict:
    """version number -> folder, for numbered folders holding a saved_model.pb (half-written ones excluded)."""
    out = {}
    if not model_dir.is_dir():
        return out
    for p in model_dir.iterdir():
        if p.is_dir() and re.fullmatch(r"\d+", p.name) and (p / "saved_model.pb").is_file():
            out[int(p.name)] = p
    return out


def model_folders(base: Path) -> dict:
    """model name -> folder for every child of ``base`` with at least one version."""
    if not base.is_dir():
        return {}
    return {p.name: p for p in sorted(base.iterdir()) if p.is_dir() and version_folders(p)}


class Servable:
    """One loaded version: the TF object, its signature defs (read from saved_model.pb) and its card."""

    def __init__(self, name: str, version: int, path: Path):
        import tensorflow as tf

        from tfskin.serving.card import read_card

        self.name, self.version, self.path = name, int(version), Path(path)
        started = time.perf_counter()
        self.signature_defs = read_signature_defs(self.path)
        self._loaded = tf.saved_model.load(str(self.path))
        self.functions = dict(self._loaded.signatures)
        self.card = read_card(self.path)
        self.load_seconds = time.perf_counter() - started

    def signature(self, name: str):
        """SignatureDef by name ("" means serving_default), or None."""
        return self.signature_defs.get(name or DEFAULT_SIGNATURE)

    def run(self, signature_name: str, inputs: dict, output_filter=()) -> dict:
        """inputs: alias -> NumPy array (already of the signature's dtype) -> alias -> NumPy array."""
        import tensorflow as tf

        name = signature_name or DEFAULT_SIGNATURE
        fn = self.functions.get(name)
        if fn is None:
            raise ServingStatus("FAILED_PRECONDITION", f'Serving signature key "{name}" not found.')
        try:
            outputs = fn(**{k: tf.constant(v) for k, v in inputs.items()})
        except tf.errors.OpError as err:
            raise ServingStatus(_op_error_code(err), _op_error_message(err.message)) from None
        except (TypeError, ValueError) as err:  # shape/dtype rejected when binding the inputs
            raise invalid(_first_line(str(err))) from None
        keys = list(output_filter) or sorted(outputs)
        return {k: outputs[k].numpy() for k in keys}


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:3]) if lines else "invalid input"


def _op_error_message(text: str) -> str:
    """The reason in a TF runtime error, without the Python traceback TF 2 puts in front of it."""
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith((" ", "\t"))
             and not line.startswith(("Graph execution error", "Detected at node"))]
    return lines[0] if lines else _first_line(text)


def check_input_shapes(signature, inputs: dict):
    """Reject arrays whose rank or known dimensions differ from the signature's TensorInfo (before running)."""
    for alias, value in inputs.items():
        info = signature.inputs[alias]
        if info.tensor_shape.unknown_rank:
            continue
        want = [d.size for d in info.tensor_shape.dim]
        got = list(np.shape(value))
        if len(want) != len(got) or any(w >= 0 and w != g for w, g in zip(want, got)):
            raise invalid(f"input {alias}: shape [{','.join(map(str, got))}] does not match the signature's "
                          f"[{','.join(map(str, want))}] (-1: any size)")


def _op_error_code(err) -> str:
    from tensorflow.core.protobuf import error_codes_pb2

    try:
        return error_codes_pb2.Code.Name(err.error_code)
    except ValueError:
        return "UNKNOWN"


class ModelRepository:
    """Models under ``base`` (a ``tfskin export`` base such as ``export/models``), with version labels."""

    def __init__(self, base, labels: dict = None, poll_seconds: float = 2.0, load_newest: bool = True):
        self.base = Path(base)
        if not self.base.is_dir():
            raise ModelBaseError(f"model base {self.base} is not a folder (expected {self.base}/NAME/VERSION/)")
        self.labels = {name: dict(v) for name, v in (labels or {}).items()}
        self.poll_seconds = poll_seconds
        self._servables: dict = {}  # (name, version) -> Servable
        self._lock = threading.RLock()
        self._loading: dict = {}  # (name, version) -> threading.Lock
        self._stop = threading.Event()
        self._thread = None
        if load_newest:
            self.refresh()
            if not self._servables:
                raise ModelBaseError(f"no SavedModel under {self.base} (expected {self.base}/NAME/VERSION/"
                                     f"saved_model.pb, e.g. from `tfskin export --out {self.base}/NAME`)")

    # --- discovery ---------------------------------------------------------------------------------------

    def model_names(self) -> list:
        return sorted(model_folders(self.base))

    def _canonical(self, name: str):
        """The folder name matching ``name`` (case-insensitively, as TF Serving's REST paths do), or None."""
        folders = model_folders(self.base)
        if name in folders:
            return name
        lowered = {k.lower(): k for k in folders}
        return lowered.get(name.lower())

    def versions(self, name: str) -> dict:
        return version_folders(self.base / name)

    def refresh(self):
        """Load the newest version of every model not loaded yet; forget versions whose folder is gone."""
        for name, folder in model_folders(self.base).items():
            versions = version_folders(folder)
            wanted = {max(versions)} | {v for v in (self.labels.get(name) or {}).values() if v in versions}
            for version in sorted(wanted, reverse=True):  # newest, and the versions labels name (TF Serving
                if (name, version) in self._servables:  # only accepts labels on loaded versions)
                    continue
                try:
                    self.load(name, version)
                except Exception as err:  # a broken export must not stop the server; it stays unavailable
                    log.error("could not load %s version %d from %s: %s", name, version, versions[version], err)
        with self._lock:
            for key in list(self._servables):
                if not (self.base / key[0] / str(key[1]) / "saved_model.pb").is_file():
                    log.info("unloaded %s version %d (folder removed)", *key)
                    del self._servables[key]

    def load(self, name: str, version: int) -> Servable:
        key = (name, int(version))
        with self._lock:
            if key in self._servables:
                return self._servables[key]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per version, other requests for it wait
            with self._lock:
                if key in self._servables:
                    return self._servables[key]
            path = self.base / name / str(version)
            servable = Servable(name, version, path)
            with self._lock:
                self._servables[key] = servable
            log.info("loaded %s version %d from %s in %.1f s", name, version, path, servable.load_seconds)
            return servable

    def start_polling(self):
        if self._thread is None and self.poll_seconds > 0:
            self._thread = threading.Thread(target=self._poll, name="tfskin-serve-poll", daemon=True)
            self._thread.start()

    def _poll(self):
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception as err:  # keep polling; the next scan may succeed
                log.error("model base scan failed: %s", err)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- lookups ------------------------------------------------------------------------------------------

    def label_version(self, name: str, label: str) -> int:
        labels = self.labels.get(name) or {}
        lowered = {k.lower(): v for k, v in labels.items()}
        if label in labels:
            return int(labels[label])
        if label.lower() in lowered:
            return int(lowered[label.lower()])
        raise invalid(f"Unrecognized servable version label: {label}")

    def _labelled_version(self, canonical, label: str) -> int:
        if canonical is None:
            raise invalid(f"Unrecognized servable version label: {label}")
        return self.label_version(canonical, label)

    def servable(self, name: str, version: int = None, label: str = None) -> Servable:
        """The servable a request names (latest, a version or a label), as TF Serving resolves it."""
        if version is not None and label is not None:
            raise invalid(f"Both model version ({version}) and model version label ({label}) cannot be supplied.")
        canonical = self._canonical(name)
        if label is not None:
            version = self._labelled_version(canonical, label)
        if canonical is None:
            request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
            raise not_found(f"Servable not found for request: {request}")
        if version is None:
            with self._lock:
                loaded = [v for (n, v) in self._servables if n == canonical]
            if not loaded:
                raise not_found(f"Servable not found for request: Latest({name})")
            return self._servables[(canonical, max(loaded))]
        folders = self.versions(canonical)
        if int(version) not in folders:
            raise not_found(f"Servable not found for request: Specific({name}, {version})")
        try:
            return self.load(canonical, int(version))
        except ServingStatus:
            raise
        except Exception as err:
            raise ServingStatus("UNAVAILABLE", f"could not load {canonical} version {version}: {err}") from None

    def status(self, name: str, version: int = None, label: str = None) -> list:
        """[(version, state)] as GetModelStatus answers: all loaded versions, newest first, or the one asked."""
        canonical = self._canonical(name)
        if label is not None:
            version = self._labelled_version(canonical, label)
        if canonical is None:
            if version is not None:
                raise not_found(f"Could not find version {version} of model {name}")
            raise not_found(f"Could not find any versions of model {name}")
        if version is not None:
            if int(version) not in self.versions(canonical):
                raise not_found(f"Could not find version {version} of model {name}")
            self.load(canonical, int(version))
            return [(int(version), AVAILABLE)]
        with self._lock:
            loaded = sorted((v for (n, v) in self._servables if n == canonical), reverse=True)
        if not loaded:
            raise not_found(f"Could not find any versions of model {name}")
        return [(v, AVAILABLE) for v in loaded]

    def loaded(self) -> list:
        with self._lock:
            return sorted(self._servables)


def numpy_dtype(dtype_enum):
    """TF DataType enum -> NumPy dtype (object for strings)."""
    import tensorflow as tf

    dtype = tf.dtypes.as_dtype(dtype_enum)
    return np.dtype(object) if dtype == tf.string else dtype.as_numpy_dtype
