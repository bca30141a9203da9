"""``build``: prepare a real dataset so that nothing is lost and nothing is left behind.

* The dataset is generated into a staging folder (``<data dir>/<builder>/<config>/incomplete.tfskin-*``) and
  moved into place only once complete: a rebuild (``overwrite``) that fails or is interrupted leaves the
  previous version loadable.
* One build per config at a time (an advisory lock next to it, released by the kernel if the build dies); the
  build that takes the lock removes every ``incomplete.*`` folder a killed build left there.
* Worker processes die with the build (``tfskin.data.tfds.parallel``); an exception or Ctrl-C terminates them
  and removes the staging folder.
* An already prepared dataset is a success with ``already_prepared`` set (nothing is rebuilt).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
from pathlib import Path

from tfskin.data.tfds import parallel
from tfskin.data.tfds.catalog import REPORT_FILE, data_dir, source
from tfskin.data.tfds.common import BuildStateError, MissingInputError

STAGING_PREFIX = "incomplete.tfskin-"
LOCK_FILE = ".tfskin-build.lock"


def check_manual_dir(name: str, manual_dir) -> str:
    """The manual folder as a path; a MissingInputError says what is wrong with it and where to look."""
    path = os.path.expanduser(os.fspath(manual_dir))
    see = f"`tfskin data build {name} --instructions` lists them"
    if os.path.isfile(path):
        what = "an archive" if path.lower().endswith((".zip", ".rar", ".7z", ".tar", ".gz", ".tgz")) else "a file"
        raise MissingInputError(f"manual folder {path} is {what}, not a folder: pass the folder that holds it and "
                                f"the other downloaded {name} files ({see})")
    if not os.path.isdir(path):
        raise MissingInputError(f"manual folder {path} does not exist; put the {name} files there ({see})")
    if not os.listdir(path):
        raise MissingInputError(f"manual folder {path} is empty; put the {name} files there ({see})")
    return path


@contextlib.contextmanager
def build_lock(config_dir: Path, name: str):
    """Hold the config's build lock (fcntl; a no-op where it does not exist) for the duration of a build."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, cleanup still runs
        yield
        return
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / LOCK_FILE
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            owner = handle.read().strip() or "?"
            raise BuildStateError(f"another build of {name} is running (pid {owner}) in {config_dir}; wait for it "
                                  f"to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(config_dir: Path) -> list:
    """Remove the ``incomplete.*`` folders (and files) an interrupted or killed build left; returns them."""
    removed = []
    if not config_dir.is_dir():
        return removed
    for entry in sorted(config_dir.iterdir()):
        if entry.name.startswith("incomplete."):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(str(entry))
    return removed


def _prepared_summary(name: str, builder) -> dict:
    summary = dict((builder.info.metadata or {}).get("tfskin", {}))
    summary.update(already_prepared=True, data_dir=str(builder.data_dir),
                   splits={split: info.num_examples for split, info in builder.info.splits.items()},
                   report=str(Path(builder.data_dir) / REPORT_FILE))
    return summary


def _swap_in(staged: Path, final: Path, config_dir: Path, token: str):
    """Move the complete ``staged`` version folder to ``final``; an existing one is replaced only now."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        old = config_dir / f"{STAGING_PREFIX}old-{os.getpid()}-{token}"
        os.rename(final, old)
        os.rename(staged, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staged, final)


def build(name: str, manual_dir, *, make_builder, data_dir_override=None, skip_bad: bool = False, exclude=None,
          workers=None, overwrite: bool = False, progress: bool = True, superpixels: str = "store") -> dict:
    """Prepare a dataset from its manual-download folder; returns a summary (splits, skipped files, notes,
    report path; ``already_prepared`` when it was prepared before and ``overwrite`` is off).
    ``make_builder(name, data_dir, **kwargs)`` makes the dataset's TFDS builder (``register.get_builder``)."""
    import tensorflow_datasets as tfds

    builder_name, config_name = source(name)
    manual_dir = check_manual_dir(name, manual_dir)
    if exclude is not None and not os.path.isfile(exclude):
        raise MissingInputError(f"exclusion list {exclude} not found")
    root = data_dir(data_dir_override)
    target = make_builder(name, root)
    config_dir = Path(root) / builder_name / config_name
    final = config_dir / str(target.version)
    with build_lock(config_dir, name):
        removed = remove_leftovers(config_dir)
        if target.is_prepared() and not overwrite:
            return _prepared_summary(name, target)
        existed = final.exists()
        token = secrets.token_hex(3)
        staging = config_dir / f"{STAGING_PREFIX}{os.getpid()}-{token}"
        try:
            builder = make_builder(name, str(staging), skip_bad=skip_bad, exclude=exclude, workers=workers,
                                  progress=progress, superpixels=superpixels)
            config = tfds.download.DownloadConfig(manual_dir=manual_dir,
                                                  compute_stats=tfds.download.ComputeStatsMode.SKIP)
            with contextlib.redirect_stdout(io.StringIO()):  # TFDS prints the staging path; tfskin reports its own
                builder.download_and_prepare(download_config=config)
            summary = builder.build_summary
            summary["splits"] = {split: info.num_examples for split, info in builder.info.splits.items()}
            if removed:
                summary.setdefault("notes", []).append(
                    f"removed {len(removed)} unfinished folder(s) an interrupted build had left in {config_dir}")
            staged = Path(builder.data_dir)
            (staged / REPORT_FILE).write_text(json.dumps(summary, indent=2, sort_keys=True))
            defaults = staging / builder_name / ".config"
            if defaults.is_dir() and not (Path(root) / builder_name / ".config").exists():
                shutil.copytree(defaults, Path(root) / builder_name / ".config")
            parallel.raise_if_stop_requested()  # a Ctrl-C that Python dropped still writes nothing
            _swap_in(staged, final, config_dir, token)
        finally:
            parallel.terminate_all()
            shutil.rmtree(staging, ignore_errors=True)
    summary["data_dir"] = str(final)
    summary["report"] = str(final / REPORT_FILE)
    summary["replaced"] = existed
    return summary
