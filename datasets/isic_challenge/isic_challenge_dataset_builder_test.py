"""TFDS builder test of isic_challenge (run by pytest through tests/test_tfds_builders.py, or directly:
``python -m pytest datasets/isic_challenge/isic_challenge_dataset_builder_test.py``)."""

from pathlib import Path

import tensorflow_datasets as tfds

from tfskin.data.tfds.isic import IsicChallenge

DUMMY_DATA = str(Path(__file__).resolve().parent / "dummy_data")


class Isic2016Test(tfds.testing.DatasetBuilderTestCase):
    """isic2016: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = IsicChallenge
    BUILDER_CONFIG_NAMES_TO_TEST = ["isic2016"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 3, 'test': 2}

class Isic2017Test(tfds.testing.DatasetBuilderTestCase):
    """isic2017: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = IsicChallenge
    BUILDER_CONFIG_NAMES_TO_TEST = ["isic2017"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 3, 'validation': 2, 'test': 2}

class Isic2018Task12Test(tfds.testing.DatasetBuilderTestCase):
    """isic2018_task1_2: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = IsicChallenge
    BUILDER_CONFIG_NAMES_TO_TEST = ["isic2018_task1_2"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 3, 'validation': 1, 'test': 1}

class Isic2018Task3Test(tfds.testing.DatasetBuilderTestCase):
    """isic2018_task3: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = IsicChallenge
    BUILDER_CONFIG_NAMES_TO_TEST = ["isic2018_task3"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 4, 'validation': 2, 'test': 2}

class Isic2019Test(tfds.testing.DatasetBuilderTestCase):
    """isic2019: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = IsicChallenge
    BUILDER_CONFIG_NAMES_TO_TEST = ["isic2019"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 5, 'test': 2}

class Isic2020Test(tfds.testing.DatasetBuilderTestCase):
    """isic2020: builds from dummy_data with these exact counts, no example in two splits."""

    DATASET_CLASS = IsicChallenge
    BUILDER_CONFIG_NAMES_TO_TEST = ["isic2020"]
    EXAMPLE_DIR = DUMMY_DATA
    SPLITS = {'train': 5, 'validation': 1, 'test': 1}


if __name__ == "__main__":
    tfds.testing.test_main()
