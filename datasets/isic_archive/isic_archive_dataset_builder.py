"""TFDS dataset folder entry point (``tfds build datasets/isic_archive``): the builder itself is
``tfskin.data.tfds.isic_archive.IsicArchive``, installed with tfskin."""

from tfskin.data.tfds.isic_archive import IsicArchive


class Builder(IsicArchive, skip_registration=True):
    """The tfskin builder, seen from this folder (registered by tfskin under the same name)."""

    name = "isic_archive"
