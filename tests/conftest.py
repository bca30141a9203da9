"""Test setup: quiet TensorFlow, two logical CPU devices (for MirroredStrategy tests), float32 policy, the tiny
trained runs that evaluation and serving tests share."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # TensorFlow was initialised before conftest ran; mirrored tests will skip
    pass


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory):
    """Tiny exported runs trained on demand, once per session: the xdist workers of one session share them
    (``tiny_runs.py``)."""
    from tiny_runs import TinyRuns

    if os.environ.get("PYTEST_XDIST_WORKER"):
        return TinyRuns(tmp_path_factory.getbasetemp().parent / "tiny_runs")  # the folder all workers share
    return TinyRuns(tmp_path_factory.mktemp("tiny_runs"))


@pytest.fixture(scope="session")
def dcgan_mel_run(tiny_runs):
    """32x32 RGB DCGAN trained 2 steps on phantom melanomas; ``export_path`` is its SavedModel."""
    return tiny_runs.get("dcgan", "tiny", classes=("MEL",))


@pytest.fixture(scope="session")
def dcgan_mask_run(tiny_runs):
    """32x48 RGB+mask DCGAN trained 2 steps on all phantom classes; ``export_path`` is its SavedModel."""
    return tiny_runs.get("dcgan", "tiny_mask")


@pytest.fixture(scope="session")
def lunagariya_smoke(tiny_runs):
    """lunagariya's smoke-budget experiment run once per session in one process: (folder, its reproduce.json).
    Copy the folder before resuming or changing it."""
    return tiny_runs.paper_smoke("lunagariya")


@pytest.fixture(scope="session")
def pollastri_smoke(tiny_runs):
    """pollastri2020's smoke-budget experiment run once per session in one process: (folder, its
    reproduce.json). Copy the folder before resuming or changing it."""
    return tiny_runs.paper_smoke("pollastri2020")


@pytest.fixture(autouse=True)
def _float32_policy():
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")


# The longest modules (minutes each on 2 cores, from `pytest -n 2 --durations=100`), started first of all.
LONGEST_MODULES = ("test_jax_backend.py", "test_reproduce.py", "test_jax_runner.py", "test_jax_data_parallel.py",
                   "test_pipeline_acgan_cyclegan.py", "test_model_contract.py")


#: Markers of the opt-in tiers: skipped by default, run with ``--run-slow`` (CI runs everything).
OPT_IN_MARKERS = ("slow", "e2e", "jax", "learning")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the opt-in tiers (tests marked slow, e2e, jax or learning); CI does")


def pytest_collection_modifyitems(session, config, items):
    """The longest modules first, then the other tests marked ``slow``, then the rest (stable order otherwise):
    ``pytest -n 2`` hands tests out in collection order (``--dist worksteal``, set in setup.cfg: a worker that
    runs out takes half of the other's queue), so a long test collected last would run alone while the other
    worker idles."""
    if not config.getoption("--run-slow"):
        skip = pytest.mark.skip(reason="opt-in tier: run with --run-slow")
        for item in items:
            if any(item.get_closest_marker(name) for name in OPT_IN_MARKERS):
                item.add_marker(skip)
    items.sort(key=lambda item: (item.path.name not in LONGEST_MODULES,
                                 not any(item.get_closest_marker(name) for name in OPT_IN_MARKERS)))
