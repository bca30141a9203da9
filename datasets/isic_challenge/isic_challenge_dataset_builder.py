"""TFDS dataset folder entry point (``tfds build datasets/isic_challenge``): the builder itself is
``tfskin.data.tfds.isic.IsicChallenge``, installed with tfskin."""

from tfskin.data.tfds.isic import IsicChallenge


class Builder(IsicChallenge, skip_registration=True):
    """The tfskin builder, seen from this folder (registered by tfskin under the same name)."""

    name = "isic_challenge"
