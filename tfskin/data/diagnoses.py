"""Diagnoses joined by image id: ``isic2018_task1_2:diagnoses=isic2019`` reads ISIC 2018 task 1/2's images (and
their masks and attribute maps) labelled with the ISIC 2019 class that dataset ``isic2019`` gives the same image
id (``ISIC_0000030``; ISIC 2019's ``_downsampled`` suffix is ignored). Task 1/2 ships no diagnosis, so pix2pixHD's
synthetic images and a classifier on those images need one from another release: ISIC 2019's training ground
truth or ``isic_archive`` (the ISIC Archive's metadata) hold the archive's ids; ISIC 2018 task 3 / HAM10000 only
their own (ISIC_0024306 on), which task 1/2 does not use. Images without a diagnosis are left out; ``coverage``
counts them. Labels are mapped onto ISIC 2019's classes (``isic2019_labels``), so only sound mappings count.
"""

import functools
import re
from pathlib import Path

import numpy as np

from tfskin.errors import ConfigError

_ID = re.compile(r"(ISIC_\d{7})")


def image_id(file_name) -> str:
    """``ISIC_0000017`` from ``ISIC_0000017_downsampled.jpg`` (any other name: its stem)."""
    text = Path(file_name.decode() if isinstance(file_name, bytes) else str(file_name)).stem
    match = _ID.match(text)
    return match.group(1) if match else text


@functools.lru_cache(maxsize=4)
def diagnosis_table(source: str, folder: str) -> dict:
    """{image id: ISIC 2019 class index} over every split of prepared dataset ``source`` (``folder``: the data
    folder it was read from, part of the cache key)."""
    from tfskin.data.tfds.register import get_builder, isic2019_labels, load_real

    del folder
    to_isic = np.asarray(isic2019_labels(source), np.int64)
    if not len(to_isic) or (to_isic < 0).all():
        raise ConfigError(f"diagnoses={source}: {source} has no labels that map onto ISIC 2019's classes")
    table = {}
    for split in get_builder(source).info.splits:
        ds = load_real(source, split, (8, 8), seed=0, num_examples=None, features=("file_name", "label"))
        for ex in ds.as_numpy_iterator():
            label = int(ex["label"])
            if 0 <= label < len(to_isic) and to_isic[label] >= 0:
                table.setdefault(image_id(ex["file_name"]), int(to_isic[label]))
    return table


@functools.lru_cache(maxsize=8)
def joined_labels(name: str, source: str, split: str, folder: str) -> np.ndarray:
    """ISIC 2019 class index per stored example of ``name``'s ``split`` from ``source`` (-1: no diagnosis)."""
    import tensorflow_datasets as tfds

    from tfskin.data.tfds.register import get_builder

    table = diagnosis_table(source, folder)
    ds = get_builder(name).as_dataset(split=split, shuffle_files=False,
                                      decoders=tfds.decode.PartialDecoding({"file_name": True}))
    return np.asarray([table.get(image_id(ex["file_name"]), -1) for ex in ds.as_numpy_iterator()], np.int64)


def coverage(name: str, split: str = "train") -> dict:
    """How many images of ``split`` of a joined dataset (``isic2018_task1_2:diagnoses=isic2019``) have a
    diagnosis and how many are left out."""
    from tfskin.data.names import split_dataset_name
    from tfskin.data.tfds.register import data_dir

    base, options = split_dataset_name(name)
    if "diagnoses" not in options:
        raise ConfigError(f"{name}: not a dataset with joined diagnoses (NAME:diagnoses=SOURCE)")
    labels = joined_labels(base, options["diagnoses"], split, data_dir())
    return {"dataset": base, "diagnoses_from": options["diagnoses"], "split": split,
            "with_diagnosis": int((labels >= 0).sum()), "left_out": int((labels < 0).sum())}
