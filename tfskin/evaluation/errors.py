"""Evaluation's user-fixable file errors: the shared ``tfskin.errors.MissingFileError``."""

from tfskin.errors import MissingFileError

__all__ = ["MissingFileError"]
