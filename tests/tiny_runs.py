"""Tiny exported training runs that tests read (evaluation sources, serving, translation), each trained once.

``TinyRuns(root).get("dcgan", "tiny", classes=("MEL",))`` trains the run the first time it is asked for and
returns where it lies (``run_dir``, ``export_path``: its SavedModel version folder). Under pytest-xdist the
workers share one ``root``: the first worker to need a run trains it while the others wait on a file lock, then
all read the same folder. Tests only read these runs (copy an export before changing it).

``TinyRuns(root).paper_smoke("lunagariya")`` does the same for a paper's whole smoke-budget experiment
(``tfskin reproduce``, in one process); ``copy_experiment`` gives a test its own copy to resume or change.
"""

import contextlib
import dataclasses
import fcntl
import io
import json
import shutil
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class TinyRun:
    """A finished tiny run: its folder and the SavedModel version folder it exported at the end."""

    run_dir: Path
    export_path: Path


@contextlib.contextmanager
def _exclusive(lock_file: Path):
    with open(lock_file, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class TinyRuns:
    """Runs trained on demand under ``root``, at most once per (model, preset, classes, steps)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def get(self, model: str, preset: str, classes: tuple = None, steps: int = 2) -> TinyRun:
        """The run of ``model``'s ``preset`` trained ``steps`` steps on phantoms of ``classes`` (None: all)."""
        key = f"{model}-{preset}-{'+'.join(classes) if classes else 'all'}-{steps}"
        folder = self.root / key
        with _exclusive(self.root / f"{key}.lock"):
            done = folder / "done.json"
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed half-way left behind
                result = _train(model, preset, classes, steps, folder / "run")
                done.write_text(json.dumps({"run_dir": str(result.run_dir), "export_path": str(result.export_path)}))
            where = json.loads(done.read_text())
        return TinyRun(Path(where["run_dir"]), Path(where["export_path"]))

    def paper_smoke(self, paper: str) -> tuple:
        """(folder, reproduce.json as JSON gives it back) of ``paper``'s smoke budget run with one worker."""
        from tfskin.reproduce.run import reproduce

        key = f"reproduce-{paper}-smoke"
        folder = self.root / key
        with _exclusive(self.root / f"{key}.lock"):
            done = folder / "done.json"
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                reproduce(paper, folder / "out", budget="smoke", workers=1, stream=io.StringIO())
                done.write_text("{}")
        return folder / "out", json.loads((folder / "out" / "reproduce.json").read_text())


def copy_experiment(src, dst) -> Path:
    """A copy of the experiment folder ``src`` at ``dst`` that points only into itself: the absolute paths its
    JSON and Markdown files hold (run folders, protocol sources) are moved along, so a rerun there resumes it
    as it would the original."""
    src, dst = Path(src), Path(dst)
    shutil.copytree(src, dst)
    for path in dst.rglob("*"):
        if path.suffix in (".json", ".md") and path.is_file():
            text = path.read_text()
            if str(src) in text:
                path.write_text(text.replace(str(src), str(dst)))
    return dst


def _train(model, preset, classes, steps, run_dir):
    from tfskin.training import resolve_config, train

    data = {"classes": tuple(classes)} if classes else None
    config = resolve_config(model, preset, data=data, train={"steps": steps, "export_at_end": True})
    return train(config, run_dir, stream=io.StringIO())
