"""TFDS builder test of dermofit (run by pytest through tests/test_tfds_builders.py, or directly:
``python -m pytest datasets/dermofit/dermofit_dataset_builder_test.py``)."""

from pathlib import Path

import tensorflow_datasets as tfds

from tfskin.data.tfds.dermofit import Dermofit

DUMMY_DATA = str(Path(__file__).resolve().parent / "dummy_data")


class DermofitTest(tfds.testing.DatasetBuilderTestCase):
    """dermofit: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = Dermofit
    BUILDER_CONFIG_NAMES_TO_TEST = ["dermofit"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 3, 'validation': 1, 'test': 1}


if __name__ == "__main__":
    tfds.testing.test_main()
