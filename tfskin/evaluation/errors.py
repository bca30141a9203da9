"""Evaluation's user-fixable file errors (until ``tfskin.errors`` has a shared one)."""

from tfskin.errors import UserError


class MissingFileError(UserError, FileNotFoundError):
    """A file the user named (protocol config, weights, feature graph, saved classifier) does not exist; the CLI
    prints it as one line. Still a FileNotFoundError for callers that catch that."""
