"""Precision policies and distribution strategies from their CLI names."""

import contextlib
import functools

import keras
import tensorflow as tf

from tfskin.config import ConfigError


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
