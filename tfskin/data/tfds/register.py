"""Every real-data config as a tfskin data source, and ``build`` to prepare one.

Prepared datasets live in the TFDS data folder: ``$TFSKIN_DATA_DIR``, else ``~/tensorflow_datasets``. Prepare
with ``tfskin data build CONFIG --manual-dir DIR`` (or ``tfds build datasets/<builder> --config CONFIG
--manual_dir DIR``); then ``load_examples(CONFIG, split, image_size)`` reads it, resizing with an aspect-
preserving pad (``tfskin.data.resize``; masks and maps nearest-neighbour).

Labels are the dataset's own class index (``class_names(name)``). ``isic2018_task3``, ``isic2019``,
``ham10000`` and ``isic_archive`` order their classes like ISIC 2019 (MEL, NV, BCC, AK, BKL, DF, VASC, SCC), so
``--classes`` (which uses ISIC 2019 names) selects the right examples there; for the other configs use
``isic2019_labels(name)`` (a per-class mapping onto ISIC 2019, -1 where there is no sound one) and do not pass
``--classes``. Unlabelled configs (``isic2018_task1_2``) give label -1 and malignant False.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
from functools import lru_cache, partial

from tfskin import errors
from tfskin.classes import ATTRIBUTE_NAMES, CLASS_NAMES
from tfskin.data.tfds import source_table
from tfskin.data.tfds.catalog import BUILDER_MODULES, DATA_DIR_ENV, REPORT_FILE, SOURCES, data_dir
from tfskin.data.tfds.catalog import source as _source
from tfskin.data.tfds.common import MissingInputError

__all__ = ["BUILDER_MODULES", "DATA_DIR_ENV", "REPORT_FILE", "SOURCES", "build", "builder_class", "class_names",
           "config_of", "data_dir", "diagnosis_coverage", "get_builder", "isic2019_labels", "joined_labels",
           "load_real", "paper_split_positions", "split_size"]

STORED_FEATURES = ("image", "mask", "attributes", "label", "malignant", "index", "file_name", "metadata",
                   "original_size", "clinical_image", "criteria")
DERIVED_FEATURES = ("valid", "label_map", "superpixels", "instance_map", "boundary", "rgb_mask",
                    "cdnn_rgb_hsv_l", "cdnn_rgb_hsv_lab")
FEATURES = STORED_FEATURES + DERIVED_FEATURES

_I = {name: i for i, name in enumerate(CLASS_NAMES)}
# Own class -> ISIC 2019 class, only where the mapping is sound.
_TO_ISIC2019 = {
    "isic2017": {"melanoma": "MEL", "nevus": "NV", "seborrheic_keratosis": "BKL"},
    "isic2018_task3": {"MEL": "MEL", "NV": "NV", "BCC": "BCC", "AKIEC": "AK", "BKL": "BKL", "DF": "DF",
                       "VASC": "VASC"},
    "isic2019": {c: c for c in CLASS_NAMES},
    "ham10000": {"mel": "MEL", "nv": "NV", "bcc": "BCC", "akiec": "AK", "bkl": "BKL", "df": "DF", "vasc": "VASC"},
    "ph2": {"common_nevus": "NV", "atypical_nevus": "NV", "melanoma": "MEL"},
    "derm7pt": {**{d: "MEL" for d in ("melanoma", "melanoma (in situ)", "melanoma (less than 0.76 mm)",
                                      "melanoma (0.76 to 1.5 mm)", "melanoma (more than 1.5 mm)",
                                      "melanoma metastasis")},
                **{d: "NV" for d in ("blue nevus", "clark nevus", "combined nevus", "congenital nevus",
                                     "dermal nevus", "recurrent nevus", "reed or spitz nevus")},
                "basal cell carcinoma": "BCC", "dermatofibroma": "DF", "lentigo": "BKL",
                "seborrheic keratosis": "BKL", "vascular lesion": "VASC"},
    "dermofit": {"AK": "AK", "BCC": "BCC", "DF": "DF", "MEL": "MEL", "ML": "NV", "PYO": "VASC", "SCC": "SCC",
                 "SK": "BKL", "VASC": "VASC"},
    "isic_archive": {c: c for c in CLASS_NAMES},
}


def builder_class(name: str):
    """The TFDS builder class behind a tfskin dataset name (imports and registers it)."""
    builder_name, _ = _source(_base(name))
    module = importlib.import_module(BUILDER_MODULES[builder_name])
    return next(v for v in vars(module).values() if getattr(v, "name", None) == builder_name and isinstance(v, type))


def config_of(name: str):
    builder_name, config_name = _source(_base(name))
    return next(c for c in builder_class(name).BUILDER_CONFIGS if c.name == config_name)


def get_builder(name: str, data_dir_override=None, **kwargs):
    """The TFDS builder of a tfskin dataset name, on the configured data folder."""
    _, config_name = _source(_base(name))
    return builder_class(name)(config=config_name, data_dir=data_dir(data_dir_override), **kwargs)


def _base(name: str) -> str:
    """The dataset of a name with options (``isic2018_task1_2:diagnoses=isic2019`` -> ``isic2018_task1_2``)."""
    return str(name).partition(":")[0]


def _joined(name: str) -> bool:
    return "diagnoses=" in str(name).partition(":")[2]


def class_names(name: str) -> tuple:
    """The dataset's own class names (label = index), () when unlabelled; phantoms (any domain, e.g.
    ``phantoms:domain=clinic``) use ISIC 2019's."""
    if name.partition(":")[0] == "phantoms" or _joined(name):  # joined diagnoses are ISIC 2019 classes
        return CLASS_NAMES
    return tuple(config_of(name).labels)


def isic2019_labels(name: str) -> tuple:
    """Per own class, the ISIC 2019 class index it maps to (-1 where no sound mapping exists)."""
    if name.partition(":")[0] == "phantoms" or _joined(name):
        return tuple(range(len(CLASS_NAMES)))
    mapping = _TO_ISIC2019.get(name, {})
    return tuple(_I[mapping[c]] if c in mapping else -1 for c in class_names(name))


def build(name: str, manual_dir, **kwargs) -> dict:
    """Prepare a dataset from its manual-download folder (see ``tfskin.data.tfds.building.build``)."""
    from tfskin.data.tfds.building import build as _build

    return _build(name, manual_dir, make_builder=get_builder, **kwargs)


def _stored_decoders(cfg, wanted: set, superpixels_stored: bool = True) -> dict:
    """The stored features a request needs (everything else is not decoded)."""
    need = {"image"}
    if wanted & {"mask", "label_map", "instance_map", "boundary", "rgb_mask"}:
        if not cfg.has_mask:
            raise errors.ConfigError(f"{cfg.name} has no lesion masks; features {', '.join(sorted(wanted))} need them")
        need.add("mask")
    if wanted & {"attributes", "label_map", "instance_map", "boundary"} and cfg.has_attributes:
        need.add("attributes")
    if "attributes" in wanted and not cfg.has_attributes:
        raise errors.ConfigError(f"{cfg.name} has no attribute masks (only isic2018_task1_2 has)")
    if wanted & {"superpixels", "instance_map", "boundary"} and cfg.superpixels != "none" and superpixels_stored:
        need.add("superpixels")
    if "clinical_image" in wanted:
        if "clinical_image" not in cfg.extra_images:
            raise errors.ConfigError(f"{cfg.name} has no clinical images (only derm7pt has)")
        need.add("clinical_image")
    if "criteria" in wanted and not cfg.criteria:
        raise errors.ConfigError(f"{cfg.name} has no criteria texts")
    for feature, stored in (("label", cfg.labels), ("malignant", cfg.has_malignant)):
        if feature in wanted and stored:
            need.add(feature)
    need |= wanted & {"file_name", "metadata", "original_size", "criteria"}
    return {k: True for k in sorted(need)}


def load_real(name: str, split: str, image_size, *, seed: int, num_examples, features, diagnoses: str = None):
    """A prepared real dataset as tfskin example dicts at ``image_size`` (see tfskin.data.sources); with
    ``diagnoses`` (a dataset name) only its images that dataset gives a diagnosis, labelled with it
    (``tfskin.data.diagnoses``; ``split`` slices count those images)."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from tfskin.data.conditioning import add_conditioning
    from tfskin.data.instances import cached_slic_superpixels_tf
    from tfskin.data.paper_splits import parse_paper_split
    from tfskin.data.resize import resize_with_pad, valid_region

    del seed  # the order is the prepared dataset's, fixed; training pipelines shuffle
    wanted = set(features)
    unknown = sorted(wanted - set(FEATURES))
    if unknown:
        raise errors.ConfigError(f"{name} has no feature(s) {', '.join(unknown)}; available: {', '.join(FEATURES)}")
    builder = get_builder(name)
    cfg = builder.builder_config
    if not builder.is_prepared():
        raise MissingInputError(f"dataset {name} is not prepared in {data_dir()}; run `tfskin data build {name} "
                                f"--manual-dir DIR` (or set {DATA_DIR_ENV} to where it was built)")
    paper_split = parse_paper_split(name, split)  # a paper's re-split ("fossen2020_train[0:400]")
    if paper_split is not None and diagnoses:
        raise errors.ConfigError(f"{name}: a paper's split ({split}) and joined diagnoses do not combine")
    if paper_split is None and split.partition("[")[0] not in builder.info.splits:  # a TFDS slice reads a block
        raise errors.ConfigError(f"{name} has no split {split!r}; valid splits: {', '.join(builder.info.splits)}")
    if "mask" in wanted and cfg.has_mask and builder.info.metadata and \
            builder.info.metadata.get("tfskin", {}).get("has_masks") is False:
        raise errors.ConfigError(f"{name} was prepared without lesion masks (their files were absent); rebuild "
                                 f"with them")
    built = (builder.info.metadata or {}).get("tfskin", {})
    # "deferred": built without superpixels; they are computed here, at the requested size, when needed
    stored_superpixels = cfg.superpixels != "none" and built.get("superpixels", "stored") == "stored"
    decoders = _stored_decoders(cfg, wanted, stored_superpixels)
    deferred = cfg.superpixels != "none" and not stored_superpixels and bool(
        wanted & {"superpixels", "instance_map", "boundary"})
    if deferred:  # computed on first need at this size, then read from a cache next to the dataset
        decoders["file_name"] = True
        cache_dir = os.path.join(builder.data_dir, "superpixel_cache", f"{image_size[0]}x{image_size[1]}")
    decoders = tfds.decode.PartialDecoding(decoders)
    joined = None
    if diagnoses:
        ds, joined = _joined_dataset(builder, name, diagnoses, split, decoders)
    elif paper_split is None:
        ds = builder.as_dataset(split=split, shuffle_files=False, decoders=decoders).enumerate()
    else:
        ds = _paper_split_dataset(builder, name, paper_split, decoders)
    if num_examples is not None:
        ds = ds.take(int(num_examples))
    target = tuple(int(v) for v in image_size)
    derived = [f for f in DERIVED_FEATURES if f in wanted and f != "superpixels"]

    def convert(index, ex):
        size = tf.shape(ex["image"])[:2]
        out = {"image": resize_with_pad(ex["image"], target), "valid": valid_region(size[0], size[1], target)}
        if "mask" in ex:
            out["mask"] = resize_with_pad(ex["mask"], target, method="nearest")
        if "attributes" in ex:
            stacked = tf.concat([ex["attributes"][n] for n in ATTRIBUTE_NAMES], axis=-1)
            out["attributes"] = resize_with_pad(stacked, target, method="nearest")
        if "superpixels" in ex:
            out["superpixels"] = tf.cast(resize_with_pad(ex["superpixels"], target, method="nearest"), tf.int32)
        if "clinical_image" in ex:
            out["clinical_image"] = resize_with_pad(ex["clinical_image"], target)
        out["label"] = tf.cast(ex["label"], tf.int64) if "label" in ex else tf.constant(-1, tf.int64)
        out["malignant"] = tf.cast(ex["malignant"], tf.bool) if "malignant" in ex else tf.constant(False)
        if joined is not None:
            out["label"] = tf.gather(joined, index)
            out["malignant"] = tf.reduce_any(tf.equal(out["label"], _MALIGNANT))
        out["index"] = tf.cast(index, tf.int64)
        for key in ("file_name", "metadata", "original_size", "criteria"):
            if key in ex:
                out[key] = ex[key]
        if deferred:
            out["superpixels"] = cached_slic_superpixels_tf(out["image"], out["valid"], ex["file_name"], cache_dir,
                                                            cfg.slic)
        if derived or ("superpixels" in wanted and "superpixels" not in out):
            extra = derived + (["superpixels"] if "superpixels" in wanted else [])
            out = add_conditioning(out, extra)
        return {k: v for k, v in out.items() if k in wanted}

    return ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def split_size(name: str, split: str) -> int:
    """Examples in a prepared dataset's split: an official one or a paper's re-split (``fossen2020_train``)."""
    from tfskin.data.paper_splits import parse_paper_split

    if _joined(name):
        return diagnosis_coverage(name, split)["with_diagnosis"]
    paper_split = parse_paper_split(name, split)
    if paper_split is None:
        return int(get_builder(name).info.splits[split].num_examples)
    paper, part, cut = paper_split
    return len(paper_split_positions(name, paper, part)[cut])


@lru_cache(maxsize=4)
def _diagnosis_table(source: str, folder: str) -> dict:
    """{image id: ISIC 2019 class} over every split of prepared dataset ``source`` in data folder ``folder``."""
    from tfskin.data.diagnoses import diagnosis_table

    names, labels = [], []
    for split in get_builder(source, folder).info.splits:
        for ex in load_real(source, split, (8, 8), seed=0, num_examples=None,
                            features=("file_name", "label")).as_numpy_iterator():
            names.append(ex["file_name"])
            labels.append(ex["label"])
    try:
        return diagnosis_table(names, labels, isic2019_labels(source))
    except errors.ConfigError as err:
        raise errors.ConfigError(f"diagnoses={source}: {err}") from None


@lru_cache(maxsize=8)
def joined_labels(name: str, source: str, split: str, folder: str):
    """ISIC 2019 class per stored example of ``name``'s ``split``, joined by image id from ``source`` (-1: none)."""
    import tensorflow_datasets as tfds

    from tfskin.data.diagnoses import join

    ds = get_builder(name, folder).as_dataset(split=split, shuffle_files=False,
                                              decoders=tfds.decode.PartialDecoding({"file_name": True}))
    return join([ex["file_name"] for ex in ds.as_numpy_iterator()], _diagnosis_table(source, folder))


def diagnosis_coverage(name: str, split: str = "train") -> dict:
    """How many images of ``split`` of a joined dataset (``isic2018_task1_2:diagnoses=isic2019``) have a
    diagnosis and how many are left out."""
    base, _, options = str(name).partition(":")
    key, _, source = options.partition("=")
    if key != "diagnoses" or not source:
        raise errors.ConfigError(f"{name}: not a dataset with joined diagnoses (NAME:diagnoses=SOURCE)")
    labels = joined_labels(base, source, split, data_dir())
    return {"dataset": base, "diagnoses_from": source, "split": split,
            "with_diagnosis": int((labels >= 0).sum()), "left_out": int((labels < 0).sum())}


_MALIGNANT = tuple(CLASS_NAMES.index(c) for c in ("MEL", "BCC", "SCC"))


def _joined_dataset(builder, name: str, diagnoses: str, split: str, decoders):
    """(source position, example) of the images ``diagnoses`` gives a diagnosis, sliced as asked, and the
    joined label of every source position."""
    import re

    import numpy as np
    import tensorflow as tf

    match = re.fullmatch(r"(\w+)(?:\[(\d*):(\d*)\])?", split)
    if not match:
        raise errors.ConfigError(f"{name}: split {split!r} is not SPLIT or SPLIT[a:b]")
    base = match.group(1)
    cut = slice(int(match.group(2)) if match.group(2) else None, int(match.group(3)) if match.group(3) else None)
    labels = joined_labels(name, diagnoses, base, data_dir())
    keep = np.zeros(len(labels), bool)
    keep[np.flatnonzero(labels >= 0)[cut]] = True
    keep_t = tf.constant(keep)
    ds = builder.as_dataset(split=base, shuffle_files=False, decoders=decoders).enumerate()
    return ds.filter(lambda index, ex: keep_t[index]), tf.constant(labels)


def paper_split_positions(name: str, paper: str, part: str):
    """Positions (in the source split's stored order) of ``paper``'s part of prepared dataset ``name``."""
    from tfskin.data.paper_splits import PAPER_SPLITS

    source = PAPER_SPLITS[paper].source
    return _paper_partition(name, data_dir(), source, paper)[part]


@lru_cache(maxsize=8)
def _paper_partition(name: str, folder: str, source: str, paper: str) -> dict:
    import numpy as np
    import tensorflow_datasets as tfds

    from tfskin.data.paper_splits import paper_partition

    builder = get_builder(name, folder)
    ds = builder.as_dataset(split=source, shuffle_files=False,
                            decoders=tfds.decode.PartialDecoding({"label": True}))
    labels = np.fromiter((ex["label"] for ex in ds.as_numpy_iterator()), dtype=np.int64)
    return paper_partition(paper, labels, class_names(name))


def _paper_split_dataset(builder, name: str, paper_split, decoders):
    """(source position, example) of one part of a paper's re-split, sliced as asked."""
    import numpy as np
    import tensorflow as tf

    from tfskin.data.paper_splits import PAPER_SPLITS

    paper, part, cut = paper_split
    positions = paper_split_positions(name, paper, part)
    keep = tf.constant(np.isin(np.arange(positions.max() + 1 if len(positions) else 0), positions[cut]))
    ds = builder.as_dataset(split=PAPER_SPLITS[paper].source, shuffle_files=False, decoders=decoders).enumerate()
    ds = ds.take(int(keep.shape[0]))
    return ds.filter(lambda index, ex: keep[index])


for _name in SOURCES:
    source_table.register_source(_name)(partial(load_real, _name))
