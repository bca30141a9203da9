"""TFDS dataset folder entry point (``tfds build datasets/derm7pt``): the builder itself is
``tfskin.data.tfds.derm7pt.Derm7pt``, installed with tfskin."""

from tfskin.data.tfds.derm7pt import Derm7pt


class Builder(Derm7pt, skip_registration=True):
    """The tfskin builder, seen from this folder (registered by tfskin under the same name)."""

    name = "derm7pt"
