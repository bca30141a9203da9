"""A paper's experiment as named, resumable steps under one output folder.

Each finished step leaves ``steps/<name>.json`` (its result and how long it took); a rerun skips finished steps
and redoes only what is missing. GAN runs (one per replicate: ``gans/<name>/r<g>``) resume from their last
checkpoint; the evaluation protocols skip the (condition, repeat) runs whose ``result.json`` exists.
``timing.json`` sums the seconds every step took over all calls, so a resumed experiment still reports what
the whole took. Several processes may work in one folder at once (a paper's GAN replicates in parallel:
``tfskin.reproduce.parallel``): step markers are per replicate, and ``timing.json`` is updated under a file lock.
"""

import contextlib
import fcntl
import json
import sys
import time
from pathlib import Path

from tfskin.evaluation.jsonio import write_json

STEPS_DIR = "steps"
TIMING_FILE = "timing.json"
TIMING_LOCK = "timing.json.lock"


class Workflow:
    """Named steps under ``out_dir``; a step whose marker exists is not run again."""

    def __init__(self, out_dir, stream=None):
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.stream = stream or sys.stdout
        self.ran: list = []  # steps run (not skipped) in this call
        self.touched: list = []  # steps run or skipped in this call, in order
        self.call_start = time.perf_counter()

    def marker(self, name: str) -> Path:
        return self.out / STEPS_DIR / f"{name}.json"

    def done(self, name: str) -> bool:
        return self.marker(name).is_file()

    def log(self, text: str):
        elapsed = time.perf_counter() - self.call_start
        print(f"[{elapsed:7.1f} s] {text}", file=self.stream, flush=True)

    def step(self, name: str, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` once: its (JSON-able) result is stored and returned again on later calls."""
        path = self.marker(name)
        self.touched.append(name)
        if path.is_file():
            self.log(f"{name}: already done, skipped")
            return json.loads(path.read_text())["result"]
        self.log(f"{name}: running")
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
        write_json(path, {"step": name, "seconds": seconds, "result": result})
        self._add_time(name, seconds)
        self.ran.append(name)
        self.log(f"{name}: done in {seconds:.1f} s")
        return result

    def timed(self, name: str, fn, *args, **kwargs):
        """Run ``fn`` (itself resumable, like the evaluation protocols) every call, adding its seconds to
        ``timing.json`` under ``name``."""
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self._add_time(name, time.perf_counter() - start)

    def _add_time(self, name: str, seconds: float):
        with self._timing_lock():  # read-modify-write: another process may add its time at the same moment
            timing = self.timing()
            timing["steps"][name] = timing["steps"].get(name, 0.0) + seconds
            timing["total_seconds"] = sum(timing["steps"].values())
            write_json(self.out / TIMING_FILE, timing)

    def add_wall(self, name: str, seconds: float, workers: int):
        """Wall-clock seconds of a phase that ran in ``workers`` processes, one record per call (not part of
        ``total_seconds``, which sums the work of every step)."""
        with self._timing_lock():
            timing = self.timing()
            timing.setdefault("parallel", {}).setdefault(name, []).append(
                {"wall_seconds": seconds, "workers": int(workers)})
            write_json(self.out / TIMING_FILE, timing)

    @contextlib.contextmanager
    def _timing_lock(self):
        with open(self.out / TIMING_LOCK, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def timing(self) -> dict:
        path = self.out / TIMING_FILE
        if path.is_file():
            return json.loads(path.read_text())
        return {"steps": {}, "total_seconds": 0.0}

    def train_gan(self, name: str, config, replicate: int = None) -> str:
        """Train (or resume) the GAN run ``gans/<name>`` (``gans/<name>/r<g>`` for replicate g, step
        ``train_<name>_r<g>``) of ``config`` (a RunConfig); returns its run folder."""
        run_dir = self.out / "gans" / name
        step = f"train_{name}"
        if replicate is not None:
            run_dir, step = run_dir / f"r{replicate}", f"{step}_r{replicate}"

        def train_it():
            from tfskin.checkpointing import latest_checkpoint
            from tfskin.training import train

            resume = latest_checkpoint(run_dir / "checkpoints") is not None
            if resume:
                self.log(f"{name}: resuming {run_dir} from its last checkpoint")
            result = train(config, run_dir, resume=resume, stream=self.stream)
            return {"run_dir": str(run_dir), "step": int(result.step), "model": config.model,
                    "preset": config.preset}

        return self.step(step, train_it)["run_dir"]
