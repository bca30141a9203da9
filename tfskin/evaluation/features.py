"""Feature networks for generative metrics and memorization checks.

Every network maps images (uint8 (N, H, W, 3), or floats in [0, 1]) to float64 features (N, D) and says what
it is (``name``) and whether its numbers can be put next to published ones (``comparable_to_papers``):

* ``inception-graph:PATH``: the 2015-12-05 Inception graph the FID literature uses
  (``classify_image_graph_def.pb``); images are fed to ``ExpandDims:0`` as 0..255 floats, the graph resizes
  them to 299x299 itself, features are ``pool_3:0`` (2048-d). The only network whose FID/KID can be
  comparable to papers, and only when the file's SHA-256 equals the published graph's
  (``INCEPTION_2015_SHA256``): a graph with the same tensor names but other weights is not. tfskin never
  downloads it: pass the file.
* ``keras-inception-v3[:imagenet|none|WEIGHTS_FILE]``: ``keras.applications.InceptionV3`` average pool (2048-d).
  Close in spirit but NOT comparable to papers (different weights and resizing); labelled so.
* ``classifier:MODEL.keras``: the penultimate (``features``) layer of a tfskin classifier trained on the user's
  data (see :mod:`tfskin.evaluation.classifier`): domain features, and the offline choice when neither
  Inception network's weights are at hand (``OFFLINE_HINT``).
* ``pixels[:SIZE]``: raw pixels resized to SIZExSIZE (default 32) in [0, 1]: pixel-space memorization checks.

Features are computed once per image set: every network looks its input up by content hash (SHA-256 of the
array's bytes, shape and dtype) in a process-wide in-memory cache (:class:`FeatureCache`), and, after
``cache_on_disk(folder)``, in ``.npy`` files there, so a resumed or repeated scoring does not extract them again.
"""

import collections
import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from tfskin.errors import BadInputError, ConfigError
from tfskin.evaluation.errors import MissingFileError

INCEPTION_INPUT = "ExpandDims:0"
INCEPTION_POOL3 = "pool_3:0"
OFFLINE_HINT = ("without Inception weights, use domain features of a tfskin classifier trained on your data: "
                "--features classifier:DIR (DIR from `tfskin evaluate classify --out DIR`)")

# SHA-256 of classify_image_graph_def.pb as extracted from inception-2015-12-05.tgz, the graph of the FID
# literature. TODO: set this to the published file's digest. It could not be established offline when this
# check was written (no verified copy of the file or of its digest was available), and a guessed value would
# stamp the wrong file; until it is set, no graph is stamped comparable to papers, and every result carries
# the file's own digest so it can be checked by hand.
INCEPTION_2015_SHA256 = None


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def as_float01(images) -> np.ndarray:
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 255.0
    return np.clip(x.astype(np.float32), 0.0, 1.0)


def as_uint8(images) -> np.ndarray:
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x
    return (np.clip(x.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


#: Bumped when the features a network computes for the same images change, so old cache files are not read.
CACHE_VERSION = 2  # 2: classifier features had read float 0..255 pixels as [0, 1] (all white)


def content_hash(array) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    x = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{x.dtype.str}{x.shape}".encode())
    h.update(memoryview(x).cast("B") if x.size else b"")
    return h.hexdigest()


class FeatureCache:
    """Features by (network key, image content hash): the most recently used ``max_items`` (at most ``max_bytes``)
    in memory, shared by every network in the process; networks with a stable key also read and write
    ``<folder>/<key>.npy`` when given one."""

    def __init__(self, max_items: int = 32, max_bytes: int = 512 << 20):
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._memory = collections.OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, folder=None):
        if key in self._memory:
            self._memory.move_to_end(key)
            self.hits += 1
            return self._memory[key].copy()
        path = Path(folder) / f"{key}.npy" if folder is not None else None
        if path is not None and path.is_file():
            try:
                value = np.load(path)
            except (OSError, ValueError):  # a torn or foreign file: compute again
                value = None
            if value is not None:
                self.hits += 1
                self._remember(key, value)
                return value.copy()
        self.misses += 1
        return None

    def put(self, key: str, value: np.ndarray, folder=None):
        self._remember(key, np.array(value, np.float64))
        if folder is not None:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f"{key}.tmp{os.getpid()}.npy"
            np.save(tmp, value)
            os.replace(tmp, folder / f"{key}.npy")  # readers never see half a file

    def _remember(self, key, value):
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > 1 and (len(self._memory) > self.max_items or
                                         sum(v.nbytes for v in self._memory.values()) > self.max_bytes):
            self._memory.popitem(last=False)

    def clear(self):
        self._memory.clear()


FEATURE_CACHE = FeatureCache()


class FeatureNetwork:
    """Images -> (N, D) float64 features, in batches, looked up first in :data:`FEATURE_CACHE`."""

    name: str = "features"
    comparable_to_papers: bool = False
    batch_size: int = 64
    cache_folder = None

    def _features(self, images_0_255: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def cache_key(self):
        """What identifies this network's features across processes (None: this instance only, in memory)."""
        return None

    def cache_on_disk(self, folder):
        """Also keep computed features as ``.npy`` files in ``folder`` (networks with a stable ``cache_key``)."""
        self.cache_folder = Path(folder) if folder is not None else None
        return self

    def _key(self, images) -> tuple:
        stable = self.cache_key()
        if stable is None:
            if "_instance_key" not in self.__dict__:
                self._instance_key = uuid.uuid4().hex
            network, folder = self._instance_key, None
        else:
            network, folder = hashlib.sha256(f"{CACHE_VERSION}:{stable}".encode()).hexdigest()[:24], self.cache_folder
        return f"{network}-{content_hash(images)[:40]}", folder

    def __call__(self, images) -> np.ndarray:
        raw = np.asarray(images)
        key, folder = self._key(raw)
        cached = FEATURE_CACHE.get(key, folder)
        if cached is not None:
            return cached
        x = as_float01(raw) * 255.0
        if x.ndim != 4 or x.shape[-1] != 3:
            raise BadInputError(f"feature networks take (N, H, W, 3) images, got {x.shape}")
        out = [np.asarray(self._features(x[i:i + self.batch_size]), np.float64).reshape(
            len(x[i:i + self.batch_size]), -1) for i in range(0, len(x), self.batch_size)]
        features = np.concatenate(out) if out else np.zeros((0, 0))
        FEATURE_CACHE.put(key, features, folder)
        return features

    def describe(self) -> dict:
        return {"feature_network": self.name, "comparable_to_papers": self.comparable_to_papers}

    comparability_note: str = "not the 2015-12-05 Inception graph"


def _check_graph_file(path: Path):
    if not path.is_file():
        raise MissingFileError(
            f"Inception graph {path} not found; download classify_image_graph_def.pb (inception-2015-12-05) "
            f"yourself and pass its path, or {OFFLINE_HINT}")


class InceptionGraphFeatures(FeatureNetwork):
    """pool_3 features of the frozen 2015-12-05 Inception graph (``classify_image_graph_def.pb``); comparable to
    papers only when the file's SHA-256 is ``INCEPTION_2015_SHA256``."""

    comparable_to_papers = False

    def __init__(self, path, batch_size: int = 32):
        import tensorflow as tf

        path = Path(path)
        _check_graph_file(path)
        graph_def = tf.compat.v1.GraphDef()
        try:
            graph_def.ParseFromString(path.read_bytes())
        except Exception as err:  # protobuf's DecodeError
            raise BadInputError(f"{path} is not a TensorFlow GraphDef: {err}") from None
        names = {node.name for node in graph_def.node}
        missing = [t for t in (INCEPTION_INPUT, INCEPTION_POOL3) if t.split(":")[0] not in names]
        if missing:
            raise BadInputError(f"{path} has no {' / '.join(missing)} tensor; is it classify_image_graph_def.pb?")
        self.sha256 = file_sha256(path)
        known = INCEPTION_2015_SHA256
        self.comparable_to_papers = known is not None and self.sha256 == known
        if self.comparable_to_papers:
            self.comparability_note = "SHA-256 matches the published inception-2015-12-05 graph"
        elif known is None:
            self.comparability_note = ("the published graph's SHA-256 is not recorded in tfskin "
                                       "(features.INCEPTION_2015_SHA256), so no file can be verified")
        else:
            self.comparability_note = "SHA-256 differs from the published inception-2015-12-05 graph"

        def import_graph(images):
            (pool,) = tf.graph_util.import_graph_def(
                graph_def, input_map={INCEPTION_INPUT: images}, return_elements=[INCEPTION_POOL3], name="inception")
            return pool

        self._fn = tf.compat.v1.wrap_function(import_graph, [tf.TensorSpec([None, None, None, 3], tf.float32)])
        self.name = (f"inception-2015-12-05 pool_3 ({path.name}, sha256 {self.sha256[:12]}…"
                     f"{'' if self.comparable_to_papers else '; NOT verified as the published graph'})")
        self.batch_size = batch_size

    def describe(self) -> dict:
        return {**super().describe(), "sha256": self.sha256, "comparability_note": self.comparability_note}

    def cache_key(self):
        return f"inception-graph:{self.sha256}"

    def _features(self, x):
        import tensorflow as tf

        return self._fn(tf.constant(x, tf.float32)).numpy()


def _check_weights(weights):
    """'imagenet' / None stay; anything else must be an existing local file."""
    if weights in (None, "none", "None"):
        return None
    if weights == "imagenet":
        return "imagenet"
    path = Path(weights)
    if not path.is_file():
        raise MissingFileError(f"weights file {path} not found (use 'imagenet', 'none' or a local weights file)")
    return str(path)


class KerasInceptionV3Features(FeatureNetwork):
    """``keras.applications.InceptionV3`` global-average-pool features at 299x299 (not comparable to papers)."""

    comparable_to_papers = False

    def __init__(self, weights="imagenet", batch_size: int = 32):
        import keras

        weights = _check_weights(weights)
        local = weights not in (None, "imagenet")
        try:
            self.model = keras.applications.InceptionV3(
                include_top=False, pooling="avg", input_shape=(299, 299, 3),
                weights=None if local else weights)
        except Exception as err:  # Keras fetches imagenet weights from the network (urllib / HTTP errors)
            if weights != "imagenet":
                raise
            raise MissingFileError(f"InceptionV3 imagenet weights could not be fetched ({type(err).__name__}); "
                                   f"{OFFLINE_HINT}") from None
        if local:
            self.model.load_weights(weights)
        label = "random init" if weights is None else "imagenet" if weights == "imagenet" else Path(weights).name
        self.name = f"keras.applications.InceptionV3 avg_pool ({label}; NOT comparable to published FIDs)"
        self.batch_size = batch_size
        # random initial weights differ from one instance to the next: those features stay in this instance
        self._stable_key = (None if weights is None else "keras-inception-v3:imagenet" if weights == "imagenet"
                            else f"keras-inception-v3:{file_sha256(weights)}")

    def cache_key(self):
        return self._stable_key

    def _features(self, x):
        import keras
        from keras import ops

        resized = ops.image.resize(x, (299, 299), interpolation="bilinear")
        return ops.convert_to_numpy(self.model(keras.applications.inception_v3.preprocess_input(resized)))


class ClassifierFeatures(FeatureNetwork):
    """Penultimate-layer features of a tfskin classifier saved by :func:`classifier.save_classifier`."""

    comparable_to_papers = False

    def __init__(self, path, batch_size: int = 64):
        from tfskin.evaluation.classifier import load_classifier

        self.classifier = load_classifier(path)
        self.name = f"tfskin classifier features ({Path(path).name}, {self.classifier.backbone})"
        self.batch_size = batch_size
        self._stable_key = None

    def cache_key(self):
        if self._stable_key is None:  # the weights themselves: a retrained model at the same path is another key
            h = hashlib.sha256(repr(self.classifier.config.to_dict()).encode())
            for weight in self.classifier.model.get_weights():
                h.update(np.ascontiguousarray(weight).tobytes())
            self._stable_key = f"classifier:{h.hexdigest()}"
        return self._stable_key

    def _features(self, x):
        # x is float 0..255; the classifier reads floats as [0, 1] (uint8 as 0..255), so hand it uint8
        return self.classifier.features(as_uint8(x / 255.0))


class PixelFeatures(FeatureNetwork):
    """Images resized to size x size, in [0, 1], flattened."""

    comparable_to_papers = False

    def __init__(self, size: int = 32, batch_size: int = 256):
        self.size = int(size)
        self.name = f"pixels {self.size}x{self.size}"
        self.batch_size = batch_size

    def cache_key(self):
        return f"pixels:{self.size}"

    def _features(self, x):
        from keras import ops

        if x.shape[1:3] != (self.size, self.size):
            x = ops.convert_to_numpy(ops.image.resize(x, (self.size, self.size), interpolation="bilinear",
                                                      antialias=True))
        return np.clip(x / 255.0, 0.0, 1.0)


def _parse_feature_spec(spec: str) -> tuple:
    """(kind, argument) of a feature-network spec, both checked for form."""
    kind, _, arg = str(spec).partition(":")
    kind = kind.strip().lower()
    if kind == "inception-graph" and not arg:
        raise ConfigError("inception-graph needs a path: inception-graph:classify_image_graph_def.pb")
    if kind == "classifier" and not arg:
        raise ConfigError("classifier features need a path: classifier:MODEL.keras")
    if kind == "pixels":
        try:
            return kind, int(arg) if arg else 32
        except ValueError:
            raise ConfigError(f"pixels:SIZE needs an integer size, got {arg!r}") from None
    if kind not in ("inception-graph", "keras-inception-v3", "classifier"):
        raise ConfigError(f"unknown feature network {spec!r}; valid: inception-graph:PATH, "
                          f"keras-inception-v3[:WEIGHTS], classifier:PATH, pixels[:SIZE]")
    return kind, arg


def check_feature_spec(spec: str) -> None:
    """Raise the ``UserError`` that ``make_feature_network(spec)`` would for a malformed spec or a local file
    that is missing, without loading anything (no TensorFlow)."""
    kind, arg = _parse_feature_spec(spec)
    if kind == "inception-graph":
        _check_graph_file(Path(arg))
    elif kind == "keras-inception-v3":
        _check_weights(arg or "imagenet")
    elif kind == "classifier" and not Path(arg).exists():
        raise MissingFileError(f"classifier {arg} not found (a saved tfskin classifier)")


def make_feature_network(spec: str) -> FeatureNetwork:
    """Parse ``inception-graph:PATH``, ``keras-inception-v3[:WEIGHTS]``, ``classifier:PATH``, ``pixels[:SIZE]``."""
    kind, arg = _parse_feature_spec(spec)
    if kind == "inception-graph":
        return InceptionGraphFeatures(arg)
    if kind == "keras-inception-v3":
        return KerasInceptionV3Features(arg or "imagenet")
    if kind == "classifier":
        return ClassifierFeatures(arg)
    return PixelFeatures(arg)
