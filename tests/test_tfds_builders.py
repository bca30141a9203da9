"""Collect the TFDS builder tests kept in the dataset folders (datasets/<name>/<name>_dataset_builder_test.py).

``datasets/`` is not a package (so it never shadows Hugging Face's ``datasets``): the test modules are loaded by
path under private module names, and their ``DatasetBuilderTestCase`` classes are exposed here for pytest.
"""

import importlib.util
from pathlib import Path

import pytest
import tensorflow_datasets as tfds

# tfds.testing needs dill (tensorflow-datasets' "tests-all" extra); tests/test_tfds_sources.py checks the same
# builds and counts without it.
pytest.importorskip("dill", reason="tfds.testing needs dill: pip install dill")

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_tfskin_dataset_test_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


for _path in sorted(DATASETS.glob("*/*_dataset_builder_test.py")):
    for _name, _obj in vars(_load(_path)).items():
        if isinstance(_obj, type) and issubclass(_obj, tfds.testing.DatasetBuilderTestCase) and \
                _obj is not tfds.testing.DatasetBuilderTestCase:
            globals()[_name] = _obj
del _path, _name, _obj  # keep only the named test classes (pytest collects every TestCase in module globals)
