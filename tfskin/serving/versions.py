"""Version folders of an export (``<model_dir>/<N>/``), without TensorFlow: the CLI checks them before
importing it."""

import re
from pathlib import Path

from tfskin.errors import UserError


class ExportExistsError(UserError, FileExistsError):
    """The export version asked for is already there (TF Serving may be serving it: never overwritten)."""


def next_version(model_dir) -> int:
    """One more than the largest integer version folder in ``model_dir`` (1 when there is none)."""
    versions = [int(p.name) for p in Path(model_dir).glob("*") if p.is_dir() and re.fullmatch(r"\d+", p.name)]
    return max(versions, default=0) + 1


def check_free_version(model_dir, version) -> None:
    """Refuse an explicit ``version`` whose folder already exists under ``model_dir``."""
    if version is not None and (Path(model_dir) / str(int(version))).exists():
        raise ExportExistsError(f"export version {Path(model_dir) / str(int(version))} already exists; pick "
                                f"another --version or leave it out (default: the next free version, "
                                f"{next_version(model_dir)})")
