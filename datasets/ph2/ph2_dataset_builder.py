"""TFDS dataset folder entry point (``tfds build datasets/ph2``): the builder itself is
``tfskin.data.tfds.ph2.Ph2``, installed with tfskin."""

from tfskin.data.tfds.ph2 import Ph2


class Builder(Ph2, skip_registration=True):
    """The tfskin builder, seen from this folder (registered by tfskin under the same name)."""

    name = "ph2"
