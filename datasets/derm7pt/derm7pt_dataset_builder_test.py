"""TFDS builder test of derm7pt (run by pytest through tests/test_tfds_builders.py, or directly:
``python -m pytest datasets/derm7pt/derm7pt_dataset_builder_test.py``)."""

from pathlib import Path

import tensorflow_datasets as tfds

from tfskin.data.tfds.derm7pt import Derm7pt

DUMMY_DATA = str(Path(__file__).resolve().parent / "dummy_data")


class Derm7ptTest(tfds.testing.DatasetBuilderTestCase):
    """derm7pt: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = Derm7pt
    BUILDER_CONFIG_NAMES_TO_TEST = ["derm7pt"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 4, 'validation': 2, 'test': 1}


if __name__ == "__main__":
    tfds.testing.test_main()
