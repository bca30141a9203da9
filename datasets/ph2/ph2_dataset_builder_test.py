"""TFDS builder test of ph2 (run by pytest through tests/test_tfds_builders.py, or directly:
``python -m pytest datasets/ph2/ph2_dataset_builder_test.py``)."""

from pathlib import Path

import tensorflow_datasets as tfds

from tfskin.data.tfds.ph2 import Ph2

DUMMY_DATA = str(Path(__file__).resolve().parent / "dummy_data")


class Ph2Test(tfds.testing.DatasetBuilderTestCase):
    """ph2: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = Ph2
    BUILDER_CONFIG_NAMES_TO_TEST = ["ph2"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 3, 'validation': 1, 'test': 1}


if __name__ == "__main__":
    tfds.testing.test_main()
