"""TensorFlow start-up, precision policies and distribution strategies from their CLI names."""

import contextlib
import functools
import os
import sys

from tfskin.errors import ConfigError


def import_tensorflow_quietly():
    """Import TensorFlow with its start-up chatter (CUDA probing, oneDNN notices) kept off the terminal; these
    lines are written by C++ before logging is configured, so no environment variable silences them all."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow

            tensorflow.config.list_physical_devices("GPU")  # probing CUDA prints an error when there is none
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# Everything below needs TensorFlow; importing it here, after the quiet import above, keeps its chatter off the
# terminal for every command that reaches this module.
import_tensorflow_quietly()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


@contextlib.contextmanager
def precision_policy(name: str):
    """Build models under a Keras dtype policy; layers keep the policy they were built with afterwards."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@functools.lru_cache(maxsize=None)
def _mirrored(devices: tuple) -> tf.distribute.MirroredStrategy:
    # One strategy per device set and process: two MirroredStrategy objects in one process can hand out
    # clashing collective instance keys ("Shape mismatch in the collective instance").
    return tf.distribute.MirroredStrategy(list(devices))


def make_strategy(name: str) -> tf.distribute.Strategy:
    """``default`` (one device), ``mirrored`` (all local GPUs, or all logical CPUs), ``tpu``."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = tuple(d.name for d in gpus) or tuple(d.name for d in tf.config.list_logical_devices("CPU"))
        return _mirrored(devices)
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.NotFoundError) as err:
            raise ConfigError(f"--strategy tpu: no TPU found ({err})") from None
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(f"unknown strategy {name!r}; valid: default, mirrored, tpu")
