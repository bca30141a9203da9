"""TFDS dataset folder entry point (``tfds build datasets/dermofit``): the builder itself is
``tfskin.data.tfds.dermofit.Dermofit``, installed with tfskin."""

from tfskin.data.tfds.dermofit import Dermofit


class Builder(Dermofit, skip_registration=True):
    """The tfskin builder, seen from this folder (registered by tfskin under the same name)."""

    name = "dermofit"
