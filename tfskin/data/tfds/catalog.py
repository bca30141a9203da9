"""The catalogue of real datasets, importable without TensorFlow: names, which TFDS builder and config each one
is, where prepared data lives, which archives a config reads and its download instructions.

``tfskin data build --help`` / ``--instructions`` and the shared source table are built from this module, so
they answer without importing TensorFlow or TensorFlow Datasets.
"""

from __future__ import annotations

import os
import re

from tfskin import errors
from tfskin.data.tfds import instructions as _instructions

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
ISIC_CHALLENGE_CONFIGS = ("isic2016", "isic2017", "isic2018_task1_2", "isic2018_task3", "isic2019", "isic2020")
# tfskin source name -> (builder name, config name)
SOURCES = {
    **{name: ("isic_challenge", name) for name in ISIC_CHALLENGE_CONFIGS},
    **{name: (name, name) for name in ("ham10000", "ph2", "derm7pt", "dermofit", "isic_archive")},
}

# Zip archives (by file stem, full match) a config reads; other zips in the manual folder are never opened, so
# a broken or half-downloaded archive of another dataset cannot stop a build. None: the release's archive names
# are not fixed (every zip is indexed; an unreadable one is skipped with a note).
ARCHIVES = {
    "isic2016": r"ISBI2016_ISIC_Part1_(Training|Test)_(Data|GroundTruth)",
    "isic2017": r"ISIC-2017_(Training|Validation|Test_v2)_(Data|Part1_GroundTruth)",
    "isic2018_task1_2": r"ISIC2018_Task1-2_(Training|Validation|Test)_Input|"
                        r"ISIC2018_Task1_(Training|Validation|Test)_GroundTruth|"
                        r"ISIC2018_Task2_(Training_GroundTruth_v3|Validation_GroundTruth|Test_GroundTruth)",
    "isic2018_task3": r"ISIC2018_Task3_(Training|Validation|Test)_(Input|GroundTruth)",
    "isic2019": r"ISIC_2019_(Training|Test)_Input",
    "isic2020": r"ISIC_2020_Training_JPEG",
    "ham10000": r"HAM10000_(images_part_[12]|segmentations_lesion_tschandl)",
    "ph2": r"(?i)PH2.*",
    "derm7pt": r"release_v0.*",
    "dermofit": None,
    "isic_archive": None,
}


def names() -> list:
    """Every buildable real dataset, sorted."""
    return sorted(SOURCES)


def source(name: str) -> tuple:
    """(builder name, config name) of a real dataset; a ConfigError lists the valid names."""
    try:
        return SOURCES[name]
    except KeyError:
        raise errors.ConfigError(f"unknown real dataset {name!r}; valid: {', '.join(names())}") from None


def data_dir(override=None) -> str:
    """Where prepared datasets live: ``override``, ``$TFSKIN_DATA_DIR`` or ``~/tensorflow_datasets``."""
    return os.path.expanduser(override or os.environ.get(DATA_DIR_ENV) or "~/tensorflow_datasets")


def has_prepared_folder(name: str, override=None) -> bool:
    """Whether the data folder holds anything for ``name`` (``<data_dir>/<builder>/<config>/``). Checked before a
    TFDS builder is made: making one for a folder that does not exist logs warnings about missing variants."""
    builder, config = source(name)
    return os.path.isdir(os.path.join(data_dir(override), builder, config))


def archive_pattern(name: str):
    """The compiled pattern of the zip stems ``name`` reads, or None when any zip may hold its files."""
    source(name)
    pattern = ARCHIVES.get(name)
    return re.compile(pattern) if pattern else None


def instructions(name: str) -> str:
    """Which files to download for ``name`` and where to put them (that dataset only)."""
    builder, _ = source(name)
    return _instructions.for_config(builder, name)
