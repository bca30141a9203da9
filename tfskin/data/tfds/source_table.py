"""The table of named data sources (``name -> loader``), shared by ``tfskin.data.sources`` (which adds the
phantoms and serves ``load_examples``) and ``tfskin.data.tfds.register`` (which adds the real datasets).

It lives here, importing nothing, so that ``register`` does not have to import ``tfskin.data.sources`` (which
imports it back): the two modules meet in this table instead.
"""

from __future__ import annotations

from typing import Callable

SOURCES: dict = {}


def register_source(name: str):
    """Decorator: ``fn(split, image_size, *, seed, num_examples, features) -> tf.data.Dataset``."""

    def decorator(fn: Callable):
        SOURCES[name] = fn
        return fn

    return decorator


def source_names() -> list:
    return sorted(SOURCES)
