"""The models ``tfskin serve`` serves: the ``<base>/<name>/<version>/saved_model.pb`` folders.

With a models.config, exactly the models it lists are served, as TF Serving's ``--model_config_file`` does (a
model folder it does not list is skipped, and a model removed from a re-read config is unloaded); without one,
every model folder under the base. As in TF Serving, each model's version policy (models.config; default: the
newest version) decides which versions are loaded; the base is polled, so new versions load and versions
leaving the policy unload while the server runs. Loading uses ``tf.saved_model.load`` only: no tfskin model
code is needed to serve.
"""

import logging
import re
import threading
import time
from pathlib import Path

import numpy as np

from tfskin.serving.errors import ModelBaseError, ServingStatus, invalid, not_found
from tfskin.serving.metadata import read_signature_defs
from tfskin.serving.periodic import Periodic
from tfskin.serving.version_policy import DEFAULT_POLICY, VersionPolicy

log = logging.getLogger("tfskin.serving")

DEFAULT_SIGNATURE = "serving_default"
AVAILABLE = "AVAILABLE"
END = "END"


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
    """Models under ``base`` (a ``tfskin export`` base such as ``export/models``), served as TF Serving serves
    them: ``settings`` (from a models.config) lists the models served, None serves every model folder; each
    model's version policy decides which versions are loaded (default: the newest), names and labels match
    exactly, and a base that is empty or missing at start is served once versions appear in it."""

    def __init__(self, base, settings: dict = None, poll_seconds: float = 2.0, load_now: bool = True):
        self.base = Path(base)
        if self.base.exists() and not self.base.is_dir():
            raise ModelBaseError(f"model base {self.base} is not a folder (expected {self.base}/NAME/VERSION/)")
        # model name -> ModelSettings (from models.config); None: no models.config, every model folder is served
        self.settings = None if settings is None else dict(settings)
        self._logged_selection = None  # the (served, skipped, missing) names last logged
        self.poll_seconds = poll_seconds
        self._servables: dict = {}  # (name, version) -> Servable
        self._failed: dict = {}  # (name, version) -> (saved_model.pb mtime, message without server paths)
        self._lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        self._poller = Periodic(poll_seconds, self.refresh, "tfskin-serve-poll", "model base scan")
        if load_now:
            self.refresh()

    # --- discovery and loading ----------------------------------------------------------------------------

    def served_folders(self) -> dict:
        """model name -> folder of the models served: those models.config lists, or every model folder."""
        folders = model_folders(self.base)
        if self.settings is None:
            return folders
        return {name: folder for name, folder in folders.items() if name in self.settings}

    def model_names(self) -> list:
        return sorted(self.served_folders())

    def skipped_folders(self) -> list:
        """Model folders under the base that models.config does not list (not served)."""
        if self.settings is None:
            return []
        return sorted(set(model_folders(self.base)) - set(self.settings))

    def versions(self, name: str) -> dict:
        return version_folders(self.base / name)

    def policy(self, name: str) -> VersionPolicy:
        settings = (self.settings or {}).get(name)
        return settings.policy if settings is not None else DEFAULT_POLICY

    def labels(self, name: str) -> dict:
        settings = (self.settings or {}).get(name)
        return dict(settings.labels) if settings is not None else {}

    def configure(self, settings: dict):
        """New models.config settings (the models, their policies and labels), applied now: models and versions
        load or unload to match."""
        with self._lock:
            self.settings = dict(settings)
        self.refresh()

    def refresh(self):
        """Load the versions each served model's policy selects and unload the others (versions whose folder is
        gone, and every version of a model models.config no longer lists)."""
        with self._refresh_lock:
            self._log_selection()
            wanted = {}
            for name, folder in self.served_folders().items():
                versions = version_folders(folder)
                wanted[name] = self.policy(name).select(versions)
                for version in sorted(wanted[name], reverse=True):
                    self._load_once(name, version, versions[version])
            with self._lock:
                for key in list(self._servables):
                    name, version = key
                    if version not in wanted.get(name, ()):
                        gone = not (self.base / name / str(version) / "saved_model.pb").is_file()
                        reason = ("folder removed" if gone else "not listed in models.config"
                                  if self.settings is not None and name not in self.settings else
                                  f"outside the version policy {self.policy(name).describe()}")
                        log.info("unloaded %s version %d (%s)", name, version, reason)
                        del self._servables[key]
                for key in list(self._failed):
                    if key[1] not in wanted.get(key[0], ()):
                        del self._failed[key]
            self._check_labels()

    def _load_once(self, name: str, version: int, path: Path):
        key = (name, version)
        if key in self._servables:
            return
        try:
            mtime = (path / "saved_model.pb").stat().st_mtime
        except OSError:
            return
        if key in self._failed and self._failed[key][0] == mtime:
            return  # a broken export is retried only once its saved_model.pb changes
        try:
            servable = Servable(name, version, path)
        except Exception as err:  # a broken export must not stop the server; it stays unavailable
            log.error("could not load %s version %d from %s: %s", name, version, path, err)
            with self._lock:
                self._failed[key] = (mtime, f"{type(err).__name__} while loading {name} version {version} "
                                            f"(details in the server log)")
            return
        with self._lock:
            self._servables[key] = servable
            self._failed.pop(key, None)
        log.info("loaded %s version %d from %s in %.1f s", name, version, path, servable.load_seconds)

    def _log_selection(self):
        """With a models.config: one line naming the models served, the folders skipped and the listed models
        without a folder, logged at start and whenever that changes."""
        if self.settings is None:
            return
        folders = model_folders(self.base)
        selection = (tuple(sorted(n for n in folders if n in self.settings)), tuple(self.skipped_folders()),
                     tuple(sorted(n for n in self.settings if n not in folders)))
        if selection == self._logged_selection:
            return
        self._logged_selection = selection
        served, skipped, missing = (", ".join(names) or "none" for names in selection)
        log.info("models.config lists the models served: %s; model folders it does not list (not served): %s; "
                 "listed without a version folder under %s yet: %s", served, skipped, self.base, missing)

    def _check_labels(self):
        for name, settings in (self.settings or {}).items():
            for label, version in settings.labels.items():
                if (name, version) not in self._servables:
                    log.warning("label %s of %s names version %d, which is not loaded (TF Serving refuses such a "
                                "config): requests for the label answer 404", label, name, version)

    def start_polling(self):
        self._poller.start()

    def stop(self):
        self._poller.stop()

    # --- lookups (exact names and labels, as TF Serving matches them) --------------------------------------

    def label_version(self, name: str, label: str) -> int:
        labels = self.labels(name)
        if label not in labels:
            raise invalid(f"Unrecognized servable version label: {label}")
        return int(labels[label])

    def servable(self, name: str, version: int = None, label: str = None) -> Servable:
        """The loaded servable a request names (latest, a version or a label), as TF Serving resolves it."""
        if version is not None and label is not None:
            raise invalid(f"Both model version ({version}) and model version label ({label}) cannot be supplied.")
        if label is not None:
            version = self.label_version(name, label)
        with self._lock:
            if version is None:
                loaded = [v for (n, v) in self._servables if n == name]
                if loaded:
                    return self._servables[(name, max(loaded))]
                raise not_found(f"Servable not found for request: Latest({name})")
            servable = self._servables.get((name, int(version)))
        if servable is None:
            raise not_found(f"Servable not found for request: Specific({name}, {version})")
        return servable

    def status(self, name: str, version: int = None, label: str = None) -> list:
        """[(version, state, error message)] as GetModelStatus answers: every version loaded or failed to load,
        newest first, or the one asked for."""
        if label is not None:
            version = self.label_version(name, label)
        with self._lock:
            entries = {v: (v, AVAILABLE, "") for (n, v) in self._servables if n == name}
            entries.update({v: (v, END, message) for (n, v), (_, message) in self._failed.items() if n == name})
        if version is not None:
            if int(version) not in entries:
                raise not_found(f"Could not find version {version} of model {name}")
            return [entries[int(version)]]
        if not entries:
            raise not_found(f"Could not find any versions of model {name}")
        return [entries[v] for v in sorted(entries, reverse=True)]

    def loaded(self) -> list:
        with self._lock:
            return sorted(self._servables)


def numpy_dtype(dtype_enum):
    """TF DataType enum -> NumPy dtype (object for strings)."""
    import tensorflow as tf

    dtype = tf.dtypes.as_dtype(dtype_enum)
    return np.dtype(object) if dtype == tf.string else dtype.as_numpy_dtype
