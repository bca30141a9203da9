"""TFDS dataset folder entry point (``tfds build datasets/ham10000``): the builder itself is
``tfskin.data.tfds.ham10000.Ham10000``, installed with tfskin."""

from tfskin.data.tfds.ham10000 import Ham10000


class Builder(Ham10000, skip_registration=True):
    """The tfskin builder, seen from this folder (registered by tfskin under the same name)."""

    name = "ham10000"
