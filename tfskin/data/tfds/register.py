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
import json
import os
from functools import partial
from pathlib import Path

from tfskin.data.classes import ATTRIBUTE_NAMES, CLASS_NAMES
from tfskin.data.sources import register_source

DATA_DIR_ENV = "TFSKIN_DATA_DIR"
REPORT_FILE = "tfskin_build_report.json"

# builder name -> module defining it
BUILDER_MODULES = {
    "isic_challenge": "tfskin.data.tfds.isic",
    "ham10000": "tfskin.data.tfds.ham10000",
    "ph2": "tfskin.data.tfds.ph2",
    "derm7pt": "tfskin.data.tfds.derm7pt",
    "dermofit": "tfskin.data.tfds.dermofit",
    "isic_archive": "tfskin.data.tfds.isic_archive",
}
# tfskin source name -> (builder name, config name)
SOURCES = {
    **{name: ("isic_challenge", name) for name in ("isic2016", "isic2017", "isic2018_task1_2", "isic2018_task3",
                                                   "isic2019", "isic2020")},
    **{name: (name, name) for name in ("ham10000", "ph2", "derm7pt", "dermofit", "isic_archive")},
}

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


def data_dir(override=None) -> str:
    """Where prepared datasets live: ``override``, ``$TFSKIN_DATA_DIR`` or ``~/tensorflow_datasets``."""
    return os.path.expanduser(override or os.environ.get(DATA_DIR_ENV) or "~/tensorflow_datasets")


def _source(name: str) -> tuple:
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown real dataset {name!r}; valid: {', '.join(sorted(SOURCES))}") from None


def builder_class(name: str):
    """The TFDS builder class behind a tfskin dataset name (imports and registers it)."""
    builder_name, _ = _source(name)
    module = importlib.import_module(BUILDER_MODULES[builder_name])
    return next(v for v in vars(module).values() if getattr(v, "name", None) == builder_name and isinstance(v, type))


def config_of(name: str):
    builder_name, config_name = _source(name)
    return next(c for c in builder_class(name).BUILDER_CONFIGS if c.name == config_name)


def get_builder(name: str, data_dir_override=None, **kwargs):
    """The TFDS builder of a tfskin dataset name, on the configured data folder."""
    _, config_name = _source(name)
    return builder_class(name)(config=config_name, data_dir=data_dir(data_dir_override), **kwargs)


def class_names(name: str) -> tuple:
    """The dataset's own class names (label = index), () when unlabelled; phantoms use ISIC 2019's."""
    if name == "phantoms":
        return CLASS_NAMES
    return tuple(config_of(name).labels)


def isic2019_labels(name: str) -> tuple:
    """Per own class, the ISIC 2019 class index it maps to (-1 where no sound mapping exists)."""
    if name == "phantoms":
        return tuple(range(len(CLASS_NAMES)))
    mapping = _TO_ISIC2019.get(name, {})
    return tuple(_I[mapping[c]] if c in mapping else -1 for c in class_names(name))


def build(name: str, manual_dir, *, data_dir_override=None, skip_bad: bool = False, exclude=None,
          workers=None, overwrite: bool = False, progress: bool = True) -> dict:
    """Prepare a dataset from its manual-download folder; returns a summary (splits, skipped files, report)."""
    import tensorflow_datasets as tfds

    if name == "phantoms":
        raise ValueError("phantoms are generated in memory; there is nothing to build")
    manual_dir = os.path.expanduser(os.fspath(manual_dir))
    if not os.path.isdir(manual_dir) or not os.listdir(manual_dir):
        raise FileNotFoundError(f"manual folder {manual_dir} is missing or empty; put the {name} files there "
                                f"(see `tfskin data build --help` / datasets/{_source(name)[0]}/README.md)")
    if exclude is not None and not os.path.isfile(exclude):
        raise FileNotFoundError(f"exclusion list {exclude} not found")
    kwargs = dict(skip_bad=skip_bad, exclude=exclude, workers=workers, progress=progress)
    builder = get_builder(name, data_dir_override, **kwargs)
    if builder.is_prepared():
        if not overwrite:
            raise FileExistsError(f"{name} is already prepared in {builder.data_dir}; pass --overwrite to rebuild")
        builder.data_path.rmtree()
        builder = get_builder(name, data_dir_override, **kwargs)
    config = tfds.download.DownloadConfig(manual_dir=manual_dir,
                                          compute_stats=tfds.download.ComputeStatsMode.SKIP)
    builder.download_and_prepare(download_config=config)
    summary = builder.build_summary
    summary["splits"] = {split: info.num_examples for split, info in builder.info.splits.items()}
    summary["data_dir"] = str(builder.data_dir)
    report = Path(builder.data_dir) / REPORT_FILE
    summary["report"] = str(report)
    report.write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary


def _stored_decoders(cfg, wanted: set) -> dict:
    """The stored features a request needs (everything else is not decoded)."""
    need = {"image"}
    if wanted & {"mask", "label_map", "instance_map", "boundary", "rgb_mask"}:
        if not cfg.has_mask:
            raise ValueError(f"{cfg.name} has no lesion masks; features {', '.join(sorted(wanted))} need them")
        need.add("mask")
    if wanted & {"attributes", "label_map", "instance_map", "boundary"} and cfg.has_attributes:
        need.add("attributes")
    if "attributes" in wanted and not cfg.has_attributes:
        raise ValueError(f"{cfg.name} has no attribute masks (only isic2018_task1_2 has)")
    if wanted & {"superpixels", "instance_map", "boundary"} and cfg.superpixels != "none":
        need.add("superpixels")
    if "clinical_image" in wanted:
        if "clinical_image" not in cfg.extra_images:
            raise ValueError(f"{cfg.name} has no clinical images (only derm7pt has)")
        need.add("clinical_image")
    if "criteria" in wanted and not cfg.criteria:
        raise ValueError(f"{cfg.name} has no criteria texts")
    for feature, stored in (("label", cfg.labels), ("malignant", cfg.has_malignant)):
        if feature in wanted and stored:
            need.add(feature)
    need |= wanted & {"file_name", "metadata", "original_size", "criteria"}
    return {k: True for k in sorted(need)}


def load_real(name: str, split: str, image_size, *, seed: int, num_examples, features):
    """A prepared real dataset as tfskin example dicts at ``image_size`` (see tfskin.data.sources)."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from tfskin.data.conditioning import add_conditioning
    from tfskin.data.resize import resize_with_pad, valid_region

    del seed  # the order is the prepared dataset's, fixed; training pipelines shuffle
    wanted = set(features)
    unknown = sorted(wanted - set(FEATURES))
    if unknown:
        raise ValueError(f"{name} has no feature(s) {', '.join(unknown)}; available: {', '.join(FEATURES)}")
    builder = get_builder(name)
    cfg = builder.builder_config
    if not builder.is_prepared():
        raise FileNotFoundError(f"dataset {name} is not prepared in {data_dir()}; run `tfskin data build {name} "
                                f"--manual-dir DIR` (or set {DATA_DIR_ENV} to where it was built)")
    if split not in builder.info.splits:
        raise ValueError(f"{name} has no split {split!r}; valid splits: {', '.join(builder.info.splits)}")
    if "mask" in wanted and cfg.has_mask and builder.info.metadata and \
            builder.info.metadata.get("tfskin", {}).get("has_masks") is False:
        raise ValueError(f"{name} was prepared without lesion masks (their files were absent); rebuild with them")
    decoders = tfds.decode.PartialDecoding(_stored_decoders(cfg, wanted))
    ds = builder.as_dataset(split=split, shuffle_files=False, decoders=decoders)
    if num_examples is not None:
        ds = ds.take(int(num_examples))
    target = tuple(int(v) for v in image_size)
    derived = [f for f in DERIVED_FEATURES if f in wanted and f != "superpixels"]
    stored_superpixels = cfg.superpixels != "none"

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
        out["index"] = tf.cast(index, tf.int64)
        for key in ("file_name", "metadata", "original_size", "criteria"):
            if key in ex:
                out[key] = ex[key]
        if derived or ("superpixels" in wanted and not stored_superpixels):
            extra = derived + (["superpixels"] if "superpixels" in wanted else [])
            out = add_conditioning(out, extra)
        return {k: v for k, v in out.items() if k in wanted}

    return ds.enumerate().map(convert, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


for _name in SOURCES:
    register_source(_name)(partial(load_real, _name))
