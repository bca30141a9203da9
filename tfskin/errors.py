"""The one root of the errors a user can fix: the CLI prints these as one line and exits with status 2.

Anything else that escapes (a ``KeyError`` in library code, say) is a bug and keeps its traceback. Each class
also derives from the builtin it replaced, so ``except ValueError`` callers keep working.
"""


class UserError(Exception):
    """Something the user can fix: a bad flag, file, value or state. The message names it."""


class ConfigError(UserError, ValueError):
    """A configuration value is invalid; the message names the field and the valid choices."""


class CheckpointError(UserError, RuntimeError):
    """A run directory or checkpoint is missing, incomplete or does not match the run."""


class BadInputError(UserError, ValueError):
    """An input file or value (a dataset file, an image, a request) is missing or malformed; names it."""


class NonFiniteLossError(UserError, RuntimeError):
    """Training produced a NaN/Inf loss; the message names the loss and the step."""


class CommandError(UserError):
    """A command-line usage error that no library layer raises (e.g. a flag missing for a mode)."""


class MissingFileError(UserError, FileNotFoundError):
    """A file or folder the user named does not exist or is not what it should be; names it. Still a
    ``FileNotFoundError`` for callers that catch that."""
