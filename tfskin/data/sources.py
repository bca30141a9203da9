"""Named example sources: ``load_examples("phantoms", "train", image_size=(64, 64))``.

Every source yields the same feature dict, so models and evaluators never care where images came from:

* ``image``: uint8 (H, W, 3)
* ``mask``: uint8 (H, W, 1), 0/255 lesion mask (absent when the dataset has none)
* ``attributes``: uint8 (H, W, 5), ISIC 2018 task-2 masks in ATTRIBUTE_NAMES order (when available)
* ``label``: int64 index into CLASS_NAMES (or the dataset's own class list), ``malignant``: bool
* ``index``: int64 example id

Real datasets register themselves here through their TFDS builders; the phantoms are generated in memory.
Phantoms take options after a colon: ``phantoms:domain=clinic`` draws them in another acquisition domain
(``tfskin.data.phantoms.DOMAINS``; the same lesions and labels, photographed differently) and
``phantoms:melanoma=0.3`` with another class mix (the other classes keep ISIC 2019's proportions).
"""

import functools

import numpy as np
import tensorflow as tf

from tfskin.data.names import check_dataset, label_indices, split_dataset_name  # noqa: F401 (re-exported)
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
        wanted = tf.constant(label_indices(name, classes), dtype=tf.int64)
        ds = ds.filter(lambda ex: tf.reduce_any(tf.equal(ex["label"], wanted)))
        if filter_only:
            ds = ds.map(lambda ex: {k: v for k, v in ex.items() if k != "label"})
    return ds


@functools.lru_cache(maxsize=8)
def _phantom_arrays(split: str, image_size: tuple, seed: int, num_examples: int, domain=None,
                    class_prior=None) -> dict:
    from tfskin.data.phantoms import generate_phantoms

    height, width = image_size
    return generate_phantoms(num_examples, height, width, seed=seed, start=PHANTOM_SPLIT_OFFSETS[split],
                             domain=domain, class_prior=class_prior)


def phantom_arrays(split="train", image_size=(128, 128), *, seed=0, num_examples=None, domain=None,
                   class_prior=None) -> dict:
    """Phantom examples of a split as NumPy arrays (cached per process); ``domain``: acquisition domain;
    ``class_prior``: 8 class probabilities (None = ISIC 2019's)."""
    if split not in PHANTOM_SPLIT_OFFSETS:
        raise ConfigError(f"phantoms has no split {split!r}; valid splits: {', '.join(PHANTOM_SPLIT_OFFSETS)}")
    n = PHANTOM_SPLIT_SIZES[split] if num_examples is None else int(num_examples)
    prior = None if class_prior is None else tuple(float(p) for p in class_prior)
    return _phantom_arrays(split, tuple(image_size), int(seed), n, domain, prior)


@register_source("phantoms")
def _phantoms(split, image_size, *, seed, num_examples, features, domain=None, class_prior=None):
    arrays = phantom_arrays(split, image_size, seed=seed, num_examples=num_examples, domain=domain,
                            class_prior=class_prior)
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


