"""TFDS builder test of isic_archive (run by pytest through tests/test_tfds_builders.py, or directly:
``python -m pytest datasets/isic_archive/isic_archive_dataset_builder_test.py``)."""

from pathlib import Path

import tensorflow_datasets as tfds

from tfskin.data.tfds.isic_archive import IsicArchive

DUMMY_DATA = str(Path(__file__).resolve().parent / "dummy_data")


class IsicArchiveTest(tfds.testing.DatasetBuilderTestCase):
    """isic_archive: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = IsicArchive
    BUILDER_CONFIG_NAMES_TO_TEST = ["isic_archive"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 5, 'validation': 1, 'test': 1}


if __name__ == "__main__":
    tfds.testing.test_main()
