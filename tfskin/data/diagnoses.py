"""Diagnoses joined by image id: ``isic2018_task1_2:diagnoses=isic2019`` reads ISIC 2018 task 1/2's images (and
their masks and attribute maps) labelled with the ISIC 2019 class that dataset ``isic2019`` gives the same image
id (``ISIC_0000030``; ISIC 2019's ``_downsampled`` suffix is ignored). Task 1/2 ships no diagnosis, so pix2pixHD's
synthetic images and a classifier on those images need one from another release: ISIC 2019's training ground
truth or ``isic_archive`` (the ISIC Archive's metadata) hold the archive's ids; ISIC 2018 task 3 / HAM10000 only
their own (ISIC_0024306 on), which task 1/2 does not use. Images without a diagnosis are left out
(``tfskin.data.tfds.register.diagnosis_coverage`` counts them). Labels are mapped onto ISIC 2019's classes
(``isic2019_labels``), so only sound mappings count. This module joins; ``register`` reads the releases.
"""

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


def diagnosis_table(file_names, labels, to_isic) -> dict:
    """{image id: ISIC 2019 class index} from a labelled release's file names and own labels, ``to_isic`` mapping
    each own class onto ISIC 2019's (-1: no sound mapping; such images give no diagnosis)."""
    to_isic = np.asarray(to_isic, np.int64)
    if not len(to_isic) or (to_isic < 0).all():
        raise ConfigError("the diagnosis source has no labels that map onto ISIC 2019's classes")
    table = {}
    for name, label in zip(file_names, labels, strict=True):
        if 0 <= int(label) < len(to_isic) and to_isic[int(label)] >= 0:
            table.setdefault(image_id(name), int(to_isic[int(label)]))
    return table


def join(file_names, table: dict) -> np.ndarray:
    """The ISIC 2019 class of each file's image id in ``table`` (-1: no diagnosis)."""
    return np.asarray([table.get(image_id(name), -1) for name in file_names], np.int64)
