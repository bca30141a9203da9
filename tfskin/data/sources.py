"""Named example sources: ``load_examples("phantoms", "train", image_size=(64, 64))``.

Every source yields the same feature dict, so models and evaluators never care where images came from:

* ``image``: uint8 (H, W, 3)
* ``mask``: uint8 (H, W, 1), 0/255 lesion mask (absent when the dataset has none)
* ``attributes``: uint8 (H, W, 5), ISIC 2018 task-2 masks in ATTRIBUTE_NAMES order (when available)
* ``label``: int64 index into CLASS_NAMES (or the dataset's own class list), ``malignant``: bool
* ``index``: int64 example id

Real datasets register themselves here through their TFDS builders; the phantoms are generated in memory.
Phantoms take options after a colon: ``phantoms:domain=clinic`` draws them in another acquisition domain
(``tfskin.data.phantoms.DOMAINS``; the same lesions and labels, photographed differently).
"""

import functools

import numpy as np
import tensorflow as tf

from tfskin.classes import CLASS_NAMES, class_index
from tfskin.data.tfds.source_table import SOURCES as _SOURCES  # shared with the real datasets
from tfskin.data.tfds.source_table import register_source, source_names  # noqa: F401
from tfskin.errors import ConfigError

# Disjoint index ranges per phantom split so no example appears in two splits.
PHANTOM_SPLIT_OFFSETS = {"train": 0, "validation": 10_000_000, "test": 20_000_000}
PHANTOM_SPLIT_SIZES = {"train": 2000, "validation": 250, "test": 500}


def load_examples(
    name: str,
    split: str = "train",
    image_size=(128, 128),
    *,
    seed: int = 0,
    num_examples=None,
    features=("image", "mask", "label"),
    classes=None,
) -> tf.data.Dataset:
    """Examples of a named dataset as a ``tf.data.Dataset`` of feature dicts (see module docstring)."""
    import tfskin.data.tfds.register  # noqa: F401  (registers the real datasets, lazily)
    base, options = split_dataset_name(name)
    try:
        source = _SOURCES[base]
    except KeyError:
        raise ConfigError(f"unknown dataset {name!r}; valid datasets: {', '.join(source_names())}") from None
    features = tuple(features)
    filter_only = bool(classes) and "label" not in features  # the label is read for the filter, then dropped
    ds = source(split, tuple(image_size), seed=seed, num_examples=num_examples,
                features=features + (("label",) if filter_only else ()), **options)
    if classes:
        wanted = tf.constant(label_indices(base, classes), dtype=tf.int64)
        ds = ds.filter(lambda ex: tf.reduce_any(tf.equal(ex["label"], wanted)))
        if filter_only:
            ds = ds.map(lambda ex: {k: v for k, v in ex.items() if k != "label"})
    return ds


def split_dataset_name(name: str) -> tuple:
    """``phantoms:domain=clinic`` -> ("phantoms", {"domain": "clinic"}); only phantoms take options."""
    base, _, rest = str(name).partition(":")
    if not rest:
        return base, {}
    if base != "phantoms":
        raise ConfigError(f"dataset {name!r}: only phantoms take options (phantoms:domain=NAME)")
    options = {}
    for item in rest.split(","):
        key, eq, value = item.partition("=")
        if key.strip() != "domain" or not eq or not value.strip():
            raise ConfigError(f"dataset {name!r}: phantoms take domain=NAME (e.g. phantoms:domain=clinic)")
        options["domain"] = value.strip()
    from tfskin.data.phantoms import get_domain

    get_domain(options["domain"])  # fails early, listing the valid domains
    return base, options


def label_indices(name: str, classes) -> list:
    """The dataset's own label indices selected by class names: its own names (e.g. ``nevus``) or ISIC 2019
    names (``NV``) mapped onto its vocabulary. Raises ValueError naming the valid choices."""
    from tfskin.data.tfds.register import class_names, isic2019_labels

    name = split_dataset_name(name)[0]
    own = tuple(class_names(name))
    to_isic = isic2019_labels(name)
    indices = []
    for wanted in classes:
        if wanted in own:
            indices.append(own.index(wanted))
            continue
        try:
            isic = class_index(wanted)
        except ValueError:
            isic = None
        matches = [i for i, mapped in enumerate(to_isic) if isic is not None and mapped == isic]
        if not matches:
            choices = sorted(set(own) | {CLASS_NAMES[m] for m in to_isic if m >= 0})
            raise ConfigError(f"dataset {name!r} has no class {wanted!r}; valid classes: {', '.join(choices)}")
        indices.extend(matches)
    return indices


@functools.lru_cache(maxsize=8)
def _phantom_arrays(split: str, image_size: tuple, seed: int, num_examples: int, domain=None) -> dict:
    from tfskin.data.phantoms import generate_phantoms

    height, width = image_size
    return generate_phantoms(num_examples, height, width, seed=seed, start=PHANTOM_SPLIT_OFFSETS[split],
                             domain=domain)


def phantom_arrays(split="train", image_size=(128, 128), *, seed=0, num_examples=None, domain=None) -> dict:
    """Phantom examples of a split as NumPy arrays (cached per process); ``domain``: acquisition domain."""
    if split not in PHANTOM_SPLIT_OFFSETS:
        raise ConfigError(f"phantoms has no split {split!r}; valid splits: {', '.join(PHANTOM_SPLIT_OFFSETS)}")
    n = PHANTOM_SPLIT_SIZES[split] if num_examples is None else int(num_examples)
    return _phantom_arrays(split, tuple(image_size), int(seed), n, domain)


@register_source("phantoms")
def _phantoms(split, image_size, *, seed, num_examples, features, domain=None):
    arrays = phantom_arrays(split, image_size, seed=seed, num_examples=num_examples, domain=domain)
    columns = {}
    for feature in features:
        if feature == "mask":
            columns["mask"] = arrays["mask"][..., np.newaxis]
        elif feature in arrays:
            columns[feature] = arrays[feature]
        else:
            raise ConfigError(f"phantoms have no feature {feature!r}; available: mask, {', '.join(sorted(arrays))}")
    return tf.data.Dataset.from_tensor_slices(columns)


def class_names_of(name: str) -> tuple:
    """Class vocabulary of a dataset, label = index (phantoms use the eight ISIC 2019 classes)."""
    from tfskin.data.tfds.register import class_names

    return tuple(class_names(split_dataset_name(name)[0]))


def check_dataset(name: str, classes=None):
    """Raise ``ConfigError`` unless ``name`` is a known dataset (with valid options) and ``classes`` are among its
    classes: what ``load_examples`` would reject, checked before any work (``--dry-run`` included)."""
    import tfskin.data.tfds.register  # noqa: F401  (registers the real datasets, lazily)

    base, _ = split_dataset_name(name)
    if base not in _SOURCES:
        raise ConfigError(f"unknown dataset {name!r}; valid datasets: {', '.join(source_names())}")
    if classes:
        label_indices(base, classes)

