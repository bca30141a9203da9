"""A paper's per-replicate GAN work (everything a replicate does before the evaluation: train its GANs on S_g,
synthesize, translate, rank) for every replicate, in this process one after another or in spawned worker
processes.

Replicates are independent (replicate g reads only S_g and writes only its own runs, synthetic folders and step
markers), so they can run at the same time; so can the independent parts of one replicate (its GANs, where none
feeds another), which a paper lists with its ``replicate_parts``. One task is one replicate, or one part of one
replicate when the paper names parts: with 3 replicates on 2 workers, whole replicates leave one core idle while
the third runs alone; 3 x 3 parts keep both busy until the last part. On a CPU the small models of the ``smoke``
and ``cpu`` budgets are overhead-bound: two processes with one TensorFlow thread each do close to twice the work
of one process with two threads. Each worker process (one per task) sets TensorFlow's intra- and inter-op
threads to ``cores // workers`` before any TensorFlow op (as the evaluation protocols' workers do), rebuilds a
``Workflow`` on the same output folder and appends its log to ``logs/<task>.log`` (``r<g>`` or
``r<g>-<part>``); the parent forwards each line to its own stream prefixed ``[<task>]``. A task that fails (an
exception, or a process killed) stops the experiment with a ``ReplicateFailedError`` naming it and its log; the
tasks still running are stopped too, and a rerun resumes every one from its finished steps and its GANs' last
checkpoints. A task that finished in a worker leaves ``logs/<task>.done.json`` (its result and the step
markers it went through, with their modification times); a rerun takes the result from there, without starting
a worker, while those markers are unchanged (deleting a step's marker redoes the task, the other steps skipped as
usual).
"""

import dataclasses
import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
from multiprocessing.connection import wait
from pathlib import Path

from tfskin.errors import ConfigError, UserError
from tfskin.machine import usable_cores

LOG_DIR = "logs"
AUTO = "auto"
SMOKE_BUDGET = "smoke"
WALL_NAME = "gan_replicates"  # timing.json's "parallel" entry
POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1


class ReplicateFailedError(UserError, RuntimeError):
    """A replicate's GAN work failed or its process died; the message names the replicate and its log."""


@dataclasses.dataclass(frozen=True)
class Task:
    """One unit of GAN work: replicate ``rep`` whole (``part`` None) or one of its parts."""

    rep: object
    part: str = None

    @property
    def tag(self) -> str:
        return self.rep.tag if self.part is None else f"{self.rep.tag}-{self.part}"

    def run(self, fn, exp):
        return fn(exp, self.rep) if self.part is None else fn(exp, self.rep, self.part)


def plan_tasks(replicates, parts=None) -> list:
    """The tasks in the order they start: each part for every replicate before the next part (a paper lists its
    longest part first, so the short ones fill the gaps at the end)."""
    if not parts:
        return [Task(rep) for rep in replicates]
    return [Task(rep, part) for part in parts for rep in replicates]


def merge_parts(results: list):
    """One replicate's result from its parts' results: dicts merged key by key (nested dicts too); a key two
    parts both set to different values is a programming error."""
    merged = {}
    for result in results:
        for key, value in result.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = merge_parts([merged[key], value])
            elif key in merged and merged[key] != value:
                raise ValueError(f"two parts of one replicate both set {key!r}")
            else:
                merged[key] = value
    return merged


def parse_workers(value):
    """``--workers`` checked: ``"auto"`` (also for None) or a whole number >= 1."""
    if value is None or str(value).strip().lower() == AUTO:
        return AUTO
    try:
        workers = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"--workers {value}: give a whole number >= 1 or 'auto' (one per CPU core)") from None
    if workers < 1:
        raise ConfigError(f"--workers {value}: must be >= 1 (or 'auto': one per CPU core)")
    return workers


def resolve_workers(value, budget: str = None) -> int:
    """The number of processes ``--workers`` asks for: ``auto`` = the usable cores, except at the ``smoke``
    budget, whose GANs train for seconds, less than a worker process takes to start (measured: two workers made
    a smoke run slower), so ``auto`` keeps it in one process there."""
    value = parse_workers(value)
    if value != AUTO:
        return value
    return 1 if budget == SMOKE_BUDGET else usable_cores()


def log_path(out_dir, task) -> Path:
    """The log of ``task`` (a Task or a replicate) in a run with worker processes."""
    return Path(out_dir) / LOG_DIR / f"{task.tag}.log"


def run_replicates(exp, fn, replicates, workers: int, parts=None) -> dict:
    """``fn(exp, rep)`` (a top-level function returning JSON-able data) for every replicate, or with ``parts``
    (the names of a replicate's independent parts, longest first) ``fn(exp, rep, part)`` for every replicate and
    part, the parts' dicts merged per replicate (``merge_parts``). Returns {replicate index: result}, the result as
    JSON gives it back whichever way it ran. ``workers`` <= 1 or one task: in this process with ``exp.workflow``,
    replicate by replicate; else ``min(workers, tasks)`` processes at once, one per task."""
    replicates = list(replicates)
    tasks = plan_tasks(replicates, parts)
    workers = max(1, min(int(workers), len(tasks)))
    start = time.perf_counter()
    if workers == 1:
        done = {(t.rep.index, t.part): json.loads(json.dumps(t.run(fn, exp)))
                for t in sorted(tasks, key=lambda t: t.rep.index)}
    else:
        done = _run_in_processes(exp, fn, tasks, workers, len(replicates), parts)
    if exp.workflow is not None:
        exp.workflow.add_wall(WALL_NAME, time.perf_counter() - start, workers)
    if not parts:
        return {rep.index: done[(rep.index, None)] for rep in replicates}
    return {rep.index: merge_parts([done[(rep.index, part)] for part in parts]) for rep in replicates}


def _run_in_processes(exp, fn, tasks, workers: int, replicates: int, parts) -> dict:
    wf = exp.workflow
    stream = wf.stream if wf is not None else sys.stdout
    child_exp = dataclasses.replace(exp, workflow=None)  # the workflow holds a stream; each child makes its own
    threads = max(1, usable_cores() // workers)
    context = multiprocessing.get_context("spawn")  # not fork: the parent may already run TensorFlow threads
    results_dir = Path(exp.out) / LOG_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    what = f"{replicates} x {len(parts)} parts ({', '.join(parts)})" if parts else f"{replicates}"
    _say(stream, wf, f"GAN replicates: {what} in {workers} worker processes ({threads} TensorFlow "
                     f"thread(s) each); logs in {results_dir}")
    pending, running, results = [], {}, {}
    for task in tasks:
        finished = _finished(results_dir, task, exp.out)
        if finished is None:
            pending.append(task)
        else:
            results[(task.rep.index, task.part)] = finished
            _say(stream, wf, f"replicate {task.tag}: GAN work already done (no worker started)")
    try:
        while pending or running:
            while pending and len(running) < workers:
                task = pending.pop(0)
                log, result = log_path(exp.out, task), results_dir / f"{task.tag}.result.json"
                with open(log, "a", encoding="utf-8") as f:  # earlier attempts' lines stay (e.g. a failure's)
                    f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}: replicate {task.tag} starts ---\n")
                result.unlink(missing_ok=True)
                process = context.Process(target=_child_main, name=f"tfskin-replicate-{task.tag}",
                                          args=(fn, child_exp, task, str(log), str(result), threads, os.getpid()))
                process.start()
                running[task.tag] = (process, task, _LogTail(log, f"[{task.tag}] ", stream, log.stat().st_size))
            wait([p.sentinel for p, _, _ in running.values()], timeout=POLL_SECONDS)
            for tag, (process, task, tail) in list(running.items()):
                tail.forward()
                if process.exitcode is None:
                    continue
                process.join()
                tail.forward(final=True)
                del running[tag]
                result = results_dir / f"{tag}.result.json"
                if process.exitcode == 0 and result.is_file():
                    record = json.loads(result.read_text())
                    results[(task.rep.index, task.part)] = record["result"]
                    _write_atomically(_done_path(results_dir, task),
                                      {"result": record["result"], "steps": _marker_times(exp.out, record["steps"])})
                    result.unlink()
                    _say(stream, wf, f"replicate {tag}: GAN work done")
                    continue
                raise ReplicateFailedError(_failure_message(task, process.exitcode, tail, running))
    finally:
        _stop(running)
    return results


def _done_path(results_dir: Path, task) -> Path:
    return results_dir / f"{task.tag}.done.json"


def _finished(results_dir: Path, task, out_dir):
    """The result a worker recorded for ``task``, or None when it has none or a step marker it went through is
    gone or was written again since (a step to redo, or redone)."""
    path = _done_path(results_dir, task)
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return record["result"] if _marker_times(out_dir, record["steps"]) == record["steps"] else None


def _marker_times(out_dir, names) -> dict:
    """{step: its marker's modification time in ns, or None when it has none}: a marker written again (the step
    redone, e.g. in one process) or deleted no longer matches a task's record."""
    from tfskin.reproduce.workflow import Workflow

    markers = Workflow(out_dir)
    return {name: markers.marker(name).stat().st_mtime_ns if markers.done(name) else None for name in names}


def _write_atomically(path: Path, value):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value))
    tmp.replace(path)


def _say(stream, wf, text: str):
    if wf is not None:
        wf.log(text)
    else:
        print(text, file=stream, flush=True)


def _failure_message(rep, exitcode: int, tail, still_running: dict) -> str:
    reason, log = _last_error(tail.path, tail.start), tail.path
    if exitcode is not None and exitcode < 0:
        reason = f"its process was killed by {signal.Signals(-exitcode).name}"
    elif not reason:
        reason = f"its process exited with status {exitcode}"
    stopped = (f"; replicate(s) {', '.join(r.tag for _, r, _ in still_running.values())} stopped"
               if still_running else "")
    return (f"replicate {rep.tag} failed: {reason}; its log: {log}{stopped}. Rerun the same command to resume: "
            f"finished steps are skipped and GANs go on from their last checkpoint")


def _last_error(log: Path, start: int) -> str:
    """The exception line this attempt's child wrote last (``<Type>: <message>`` after its traceback), if any;
    ``start``: where this attempt's lines begin in the log."""
    try:
        with open(log, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    marker = [i for i, line in enumerate(lines) if line.startswith(_FAILED_PREFIX)]
    return lines[marker[-1]][len(_FAILED_PREFIX):] if marker else ""


def _stop(running: dict):
    """Stop the worker processes still running (after a failure or an interrupt) and wait for them."""
    for process, _, _ in running.values():
        if process.is_alive():
            process.terminate()
    for process, _, tail in running.values():
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
        tail.forward(final=True)


class _LogTail:
    """Forwards the complete lines a child appends to its log file to ``stream``, each with ``prefix``."""

    def __init__(self, path: Path, prefix: str, stream, offset: int = 0):
        self.path, self.prefix, self.stream = Path(path), prefix, stream
        self.start = self.offset = offset
        self.partial = b""

    def forward(self, final: bool = False):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = b"" if final else lines.pop()  # an unfinished line waits for its end
        for line in lines:
            if line or not final:
                print(self.prefix + line.decode("utf-8", errors="replace"), file=self.stream, flush=True)


_FAILED_PREFIX = "REPLICATE FAILED: "


def _child_main(fn, exp, task, log: str, result: str, threads: int, parent_pid: int):
    """One task in a worker process: threads set before any TensorFlow op, a Workflow of its own that logs
    to ``log``, the result written as JSON to ``result`` (only once the whole task finished)."""
    _die_with_parent(parent_pid)
    with open(log, "a", buffering=1, encoding="utf-8") as stream:
        try:
            _set_threads(threads)
            from tfskin.reproduce.workflow import Workflow

            workflow = Workflow(exp.out, stream)
            value = task.run(fn, dataclasses.replace(exp, workflow=workflow))
            _write_atomically(Path(result), {"result": value, "steps": workflow.touched})
            stream.flush()
        except BaseException as err:  # noqa: BLE001 - reported to the parent through the log and exit status
            stream.write(traceback.format_exc())
            stream.write(f"{_FAILED_PREFIX}{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}\n")
            stream.flush()
            sys.stderr.flush()
            os._exit(1)
    # Everything is written (checkpoints, event files, markers, the log): skip the interpreter's teardown of
    # TensorFlow, which took 10-30 s per worker on a loaded 2-core machine.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _set_threads(threads: int):
    """TensorFlow's intra- and inter-op thread pools for this process; must run before any TensorFlow op."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tfskin.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def _die_with_parent(parent_pid: int):
    """A worker does not outlive the experiment: SIGKILL when its parent dies (Linux), and Ctrl-C is left to
    the parent (which stops the workers itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
