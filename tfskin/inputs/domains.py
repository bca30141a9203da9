"""Unpaired image domains for image-to-image GANs (CycleGAN): where the A and B images come from.

A domain spec is one of

* a class name (``NV``, ``MEL``): that class of the run's dataset (phantoms, isic2019, ham10000, ...);
* ``folder:PATH``: every image (PNG/JPEG/BMP/TIFF) under PATH, resized with the aspect-preserving pad;
* a generator, for domain A only: ``run:RUN_DIR`` or ``savedmodel:EXPORT_DIR`` (``,label=CLASS`` optional),
  read through ``tfskin.sources``; a fixed number of its samples, drawn once with a fixed seed,
  become the domain's images (so an ACGAN/DCGAN's class-c samples can be refined towards real class-c images).

Each domain is a ``tf.data.Dataset`` of ``{"image": uint8 (H, W, 3), "index": int64}``; ``index`` is the
dataset's example id (or the position, for folders and generators), which the Path-Rank-Filter reports.

Path-Rank-Filter (Baur et al., used in experiment 2 of the NIK 2020 case study): a classifier scores every
domain-B image; only the ``alpha`` fraction it is most confident belongs to the target class is kept.

``unpaired_batches`` turns two domains into the training stream: endless, shuffled independently, and
deterministic in (seed, step) like ``tfskin.data.pipeline.gan_batches``, so a resumed run sees the same batches.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfskin.classes import CLASS_NAMES, class_index
from tfskin.data.pipeline import AUTOTUNE, random_flips
from tfskin.errors import BadInputError, ConfigError, MissingFileError
from tfskin.saved_classifier import classifier_dir, predict_probabilities, read_classifier_files

GENERATOR_SCHEMES = ("run", "savedmodel", "png", "serving")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def describe_spec(spec: str) -> str:
    kind = spec.split(":", 1)[0] if ":" in spec else "class"
    return {"class": f"class {spec}", "folder": f"image folder {spec[7:]}"}.get(kind, f"generator {spec}")


# --- single domains --------------------------------------------------------------------------------------

def class_domain(data, class_name: str, image_size) -> tf.data.Dataset:
    """The examples of one class of the dataset named in ``data`` (a ``DataConfig``)."""
    from tfskin.data.sources import load_examples

    class_index(class_name)  # fail early, listing the valid names
    ds = load_examples(data.name, data.split, image_size, seed=data.seed, num_examples=data.num_examples,
                       classes=(class_name.upper(),), features=("image", "label", "index"))
    return ds.map(lambda ex: {"image": ex["image"], "index": tf.cast(ex["index"], tf.int64)})


def image_files(folder) -> list:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder {folder} not found")
    files = sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    return files


def folder_domain(folder, image_size) -> tf.data.Dataset:
    """Every image under ``folder`` (sorted paths), RGB, resized to ``image_size`` with the aspect-preserving pad."""
    from tfskin.data.resize import resize_with_pad

    files = image_files(folder)
    target = tuple(int(v) for v in image_size)

    def load(index, path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return {"image": resize_with_pad(image, target), "index": index}

    return tf.data.Dataset.from_tensor_slices(files).enumerate().map(load, num_parallel_calls=AUTOTUNE,
                                                                        deterministic=True)


def generator_domain(spec: str, image_size, num: int, seed: int) -> tf.data.Dataset:
    """``num`` samples of a generator (``run:`` / ``savedmodel:`` / ``png:`` source), fixed by ``seed``."""
    from tfskin.data.resize import resize_with_pad
    from tfskin.sources import make_source

    images = make_source(spec).sample(int(num), seed=int(seed))["image"]
    target = tuple(int(v) for v in image_size)
    if images.shape[1:3] != target:
        images = np.stack([resize_with_pad(im, target).numpy() for im in images])
    return tf.data.Dataset.from_tensor_slices({"image": images, "index": np.arange(len(images), dtype=np.int64)})


def domain_examples(spec: str, data, image_size, *, generator_samples: int = 1000, seed: int = 0,
                    allow_generator: bool = True) -> tf.data.Dataset:
    """The examples of one domain spec (see the module docstring)."""
    kind, sep, rest = spec.partition(":")
    if not sep:
        return class_domain(data, spec, image_size)
    if kind == "folder":
        return folder_domain(rest, image_size)
    if kind in GENERATOR_SCHEMES:
        if not allow_generator:
            raise ConfigError(f"domain {spec!r}: only domain A can be a generator")
        return generator_domain(spec, image_size, generator_samples, seed)
    raise ConfigError(f"unknown domain {spec!r}: use a class name ({', '.join(CLASS_NAMES)}), folder:PATH, or for "
                     f"domain A {', '.join(s + ':PATH' for s in GENERATOR_SCHEMES)}")


# --- Path-Rank-Filter ------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class FilterResult:
    """Which domain-B examples the Path-Rank-Filter kept: ids ordered by decreasing confidence."""

    alpha: float
    class_name: str
    classifier: str
    total: int
    kept_ids: tuple
    kept_scores: tuple
    threshold: float  # the lowest kept score

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def write(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2))
        return path


def load_scorer(path, class_name: str, input_range: str = "0-255"):
    """A function uint8 images (N, H, W, 3) -> probability (N,) that each shows ``class_name``.

    Accepts a tfskin classifier (``tfskin.evaluation.classifier``: a directory, or its ``model.keras``, with
    ``classifier.json`` naming its classes; float 0..255 input, softmax output; scored without test-time
    augmentation) or any Keras model saved as ``.keras`` that takes RGB images (``input_range`` "0-255" or "0-1",
    resized to its input size) and outputs either one probability (N, 1) of ``class_name`` (e.g. a melanoma
    sigmoid), two columns (N, 2) whose second is ``class_name``, or one column per ISIC 2019 class in
    ``CLASS_NAMES`` order (N, 8).
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"classifier {path} not found")
    if classifier_dir(path) is not None:
        model, meta = read_classifier_files(path)
        class_names = meta["class_names"]
        names = [n.upper() for n in class_names]
        target = class_name.upper()
        if target in names:
            column = names.index(target)
        elif len(names) == 2 and meta["config"].get("task") in ("melanoma", "malignant"):
            column = 1  # "rest" / "benign" first, the positive class second
        else:
            raise BadInputError(f"classifier {path} tells apart {', '.join(class_names)}, not {class_name}")
        size = tuple(meta["config"]["image_size"])
        return lambda images: predict_probabilities(model, images, size)[:, column]

    if path.suffix != ".keras":
        raise BadInputError(f"classifier {path} is neither a saved tfskin classifier (or the folder `tfskin "
                            f"evaluate classify --out` wrote) nor a .keras file")
    model = keras.saving.load_model(path, compile=False)
    size = tuple(model.input_shape[1:3])
    scale = 1.0 if input_range == "0-255" else 1.0 / 255.0

    def score(images):
        x = tf.cast(images, tf.float32)
        if None not in size and tuple(x.shape[1:3]) != size:
            x = tf.image.resize(x, size, antialias=True)
        x = np.asarray(x) * np.float32(scale)  # NumPy: the .keras model may run on Keras' JAX backend
        probs = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), np.float64)
        if probs.ndim == 1:
            probs = probs[:, None]
        k = probs.shape[-1]
        if k == 1:
            return probs[:, 0]
        if k == 2:
            return probs[:, 1]
        if k == len(CLASS_NAMES):
            return probs[:, class_index(class_name)]
        raise ConfigError(f"classifier {path} has {k} outputs; expected 1, 2 or {len(CLASS_NAMES)} (see "
                         f"tfskin.inputs.domains.load_scorer)")

    return score


def path_rank_filter(examples: tf.data.Dataset, scorer, alpha: float, *, class_name: str = "",
                     classifier: str = "", batch_size: int = 64) -> FilterResult:
    """Score every example and keep the ``ceil(alpha * n)`` most confident (ties: lower id first)."""
    if not 0.0 < alpha <= 1.0:
        raise ConfigError(f"alpha must be in (0, 1], got {alpha}")
    ids, scores = [], []
    for batch in examples.batch(batch_size).as_numpy_iterator():
        ids.append(batch["index"])
        scores.append(np.asarray(scorer(batch["image"]), np.float64).reshape(-1))
    if not ids:
        raise ConfigError("Path-Rank-Filter: domain B is empty")
    ids, scores = np.concatenate(ids), np.concatenate(scores)
    keep = max(1, math.ceil(alpha * len(ids) - 1e-9))
    order = np.lexsort((ids, -scores))[:keep]
    return FilterResult(alpha=float(alpha), class_name=class_name, classifier=str(classifier), total=int(len(ids)),
                        kept_ids=tuple(int(i) for i in ids[order]),
                        kept_scores=tuple(float(s) for s in scores[order]), threshold=float(scores[order][-1]))


def keep_ids(examples: tf.data.Dataset, ids) -> tf.data.Dataset:
    wanted = tf.constant(np.asarray(ids, np.int64))
    return examples.filter(lambda ex: tf.reduce_any(tf.equal(ex["index"], wanted)))


# --- the unpaired training stream ------------------------------------------------------------------------

def count(examples: tf.data.Dataset) -> int:
    n = int(examples.cardinality())
    if n >= 0:
        return n
    return int(examples.reduce(np.int64(0), lambda c, _: c + 1))


def unpaired_batches(a: tf.data.Dataset, b: tf.data.Dataset, *, batch_size: int, seed: int = 0,
                     augment: bool = True, start_step: int = 0, shuffle_buffer: int = 4096) -> tf.data.Dataset:
    """Endless ``{"images_a", "images_b"}`` float32 batches in [-1, 1], deterministic in (seed, step).

    Each domain is shuffled (its own seed) and repeated on its own, so the two never pair up the same way
    twice; flips are drawn per image from (seed, step). Batch ``k`` is the same whether the run was resumed at
    step ``k`` or not.
    """

    def stream(examples, offset):
        ds = examples.map(lambda ex: ex["image"])
        ds = ds.shuffle(shuffle_buffer, seed=seed * 2 + offset, reshuffle_each_iteration=True).repeat()
        if start_step:
            ds = ds.skip(start_step * batch_size)
        return ds.batch(batch_size, drop_remainder=True)

    ds = tf.data.Dataset.zip((stream(a, 0), stream(b, 1))).enumerate(start=start_step)

    def prepare(step, pair):
        step_seed = tf.stack([tf.constant(seed, tf.int64), step])
        out = {}
        for k, (name, images) in enumerate(zip(("images_a", "images_b"), pair, strict=False)):
            images = tf.cast(images, tf.float32) / 127.5 - 1.0
            if augment:
                images = random_flips(images, tf.random.experimental.stateless_fold_in(step_seed, k))
            out[name] = images
        return out

    return ds.map(prepare, num_parallel_calls=AUTOTUNE, deterministic=True).prefetch(AUTOTUNE)
