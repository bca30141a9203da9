"""TFDS builder test of ham10000 (run by pytest through tests/test_tfds_builders.py, or directly:
``python -m pytest datasets/ham10000/ham10000_dataset_builder_test.py``)."""

from pathlib import Path

import tensorflow_datasets as tfds

from tfskin.data.tfds.ham10000 import Ham10000

DUMMY_DATA = str(Path(__file__).resolve().parent / "dummy_data")


class Ham10000Test(tfds.testing.DatasetBuilderTestCase):
    """ham10000: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = Ham10000
    BUILDER_CONFIG_NAMES_TO_TEST = ["ham10000"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 4, 'validation': 1, 'test': 1}


if __name__ == "__main__":
    tfds.testing.test_main()
