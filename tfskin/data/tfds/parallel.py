"""An ordered, bounded process-pool map: results come back in input order, with at most ``in_flight`` tasks
queued or running, so memory stays flat however long the input is.

Workers never outlive the build that started them: each one asks the kernel for SIGKILL when its parent dies
(``PR_SET_PDEATHSIG`` on Linux) and also watches its parent's pid from a thread (every platform, and the case
where the parent died before the request), ignores SIGINT (Ctrl-C reaches the whole process group; the parent
decides what happens; workers are started with SIGINT blocked, so a Ctrl-C that lands while a worker's
interpreter is still starting, before it can ignore the signal, is dropped instead of ending it with a
"Fatal Python error" traceback), and a pool left by an interrupted or failed map is terminated, not waited for
(``terminate_all`` ends any pool still open, e.g. when an exception holds the generator).

A stop request (``request_stop``, made by the build command's Ctrl-C and SIGTERM handlers as they raise) is
also remembered: Python drops an exception raised while it runs a finalizer (``Exception ignored in ...``), so
a signal landing there would otherwise be lost and the build would finish. ``ordered_map`` and the build's
final step call ``raise_if_stop_requested`` and raise it again.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from typing import Callable, Iterable, Iterator

from tfskin import errors
from tfskin.data.tfds.common import BadInputError

WORKERS_ENV = "TFSKIN_PREPARE_WORKERS"
MIN_TASKS_FOR_POOL = 32  # below this, starting worker processes costs more than it saves
PARENT_POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1

_LIVE_POOLS: set = set()
_STOP_REQUESTED: list = []  # the exception class to raise, once a stop was requested


def request_stop(exception_class):
    """Remember that the process was asked to stop (``exception_class``: what to raise, e.g. KeyboardInterrupt)."""
    if not _STOP_REQUESTED:
        _STOP_REQUESTED.append(exception_class)


def clear_stop_request():
    _STOP_REQUESTED.clear()


def raise_if_stop_requested():
    """Raise the requested stop's exception again (see the module docstring); nothing if none was requested."""
    if _STOP_REQUESTED:
        raise _STOP_REQUESTED[0]()


def default_workers() -> int:
    """``$TFSKIN_PREPARE_WORKERS`` if set, else the usable cores (at most 16); 0 = in-process."""
    value = os.environ.get(WORKERS_ENV)
    if value is not None:
        try:
            return max(0, int(value))
        except ValueError:
            raise errors.ConfigError(f"{WORKERS_ENV} must be an integer, got {value!r}") from None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, 16)


@contextlib.contextmanager
def _sigint_blocked():
    """Block SIGINT in this thread while it spawns workers: a spawned process inherits the blocked mask, so a
    Ctrl-C during its start-up stays pending until ``_die_with_parent`` ignores it. This process still gets the
    signal (another thread takes it, or it is delivered when the block ends)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _die_with_parent(parent_pid: int):
    """Worker initializer: leave Ctrl-C to the parent, and exit as soon as the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked by _sigint_blocked; a pending Ctrl-C is now discarded
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog below still ends the worker
            pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)

    def watch():
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="tfskin-parent-watchdog", daemon=True).start()


def _outcome(future):
    try:
        return future.result()
    except BadInputError as err:
        return err


def _terminate(pool):
    """End a pool now: cancel what has not started and kill the workers (their current task is lost)."""
    _LIVE_POOLS.discard(pool)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(timeout=5)


def terminate_all():
    """Terminate every pool an unfinished ``ordered_map`` still holds (after an error or interrupt)."""
    for pool in list(_LIVE_POOLS):
        _terminate(pool)


def ordered_map(fn: Callable, tasks: Iterable, *, workers: int, num_tasks: int = None,
                in_flight: int = None) -> Iterator[tuple]:
    """Yield ``(task, fn(task))`` in order; a BadInputError raised by ``fn`` is yielded as the result instead.

    ``workers`` = 0 (or fewer than MIN_TASKS_FOR_POOL tasks) runs in this process. Workers are spawned (not
    forked: the parent runs TensorFlow threads), so ``fn`` must be importable and its module light.
    """
    if workers <= 0 or (num_tasks is not None and num_tasks < MIN_TASKS_FOR_POOL):
        for task in tasks:
            raise_if_stop_requested()
            try:
                result = fn(task)
            except BadInputError as err:
                result = err
            raise_if_stop_requested()
            yield task, result
        return
    in_flight = in_flight or 2 * workers
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                  initializer=_die_with_parent, initargs=(os.getpid(),))
    _LIVE_POOLS.add(pool)
    finished = False
    pending: collections.deque = collections.deque()
    try:
        for task in tasks:
            raise_if_stop_requested()
            with _sigint_blocked():  # submit starts a worker while fewer than ``workers`` run
                future = pool.submit(fn, task)
            pending.append((task, future))
            if len(pending) >= in_flight:
                task0, future = pending.popleft()
                result = _outcome(future)
                raise_if_stop_requested()
                yield task0, result
        while pending:
            task0, future = pending.popleft()
            result = _outcome(future)
            raise_if_stop_requested()
            yield task0, result
        finished = True
    finally:
        if finished:
            _LIVE_POOLS.discard(pool)
            pool.shutdown(wait=True)
        else:
            _terminate(pool)
