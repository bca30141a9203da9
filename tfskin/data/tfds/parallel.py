"""An ordered, bounded process-pool map: results come back in input order, with at most ``in_flight`` tasks
queued or running, so memory stays flat however long the input is."""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import os
from typing import Callable, Iterable, Iterator

from tfskin.data.tfds.common import BadInputError

WORKERS_ENV = "TFSKIN_PREPARE_WORKERS"
MIN_TASKS_FOR_POOL = 32  # below this, starting worker processes costs more than it saves


def default_workers() -> int:
    """``$TFSKIN_PREPARE_WORKERS`` if set, else the usable cores (at most 16); 0 = in-process."""
    value = os.environ.get(WORKERS_ENV)
    if value is not None:
        try:
            return max(0, int(value))
        except ValueError:
            raise ValueError(f"{WORKERS_ENV} must be an integer, got {value!r}") from None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, 16)


def _outcome(future):
    try:
        return future.result()
    except BadInputError as err:
        return err


def ordered_map(fn: Callable, tasks: Iterable, *, workers: int, num_tasks: int = None,
                in_flight: int = None) -> Iterator[tuple]:
    """Yield ``(task, fn(task))`` in order; a BadInputError raised by ``fn`` is yielded as the result instead.

    ``workers`` = 0 (or fewer than MIN_TASKS_FOR_POOL tasks) runs in this process. Workers are spawned (not
    forked: the parent runs TensorFlow threads), so ``fn`` must be importable and its module light.
    """
    if workers <= 0 or (num_tasks is not None and num_tasks < MIN_TASKS_FOR_POOL):
        for task in tasks:
            try:
                yield task, fn(task)
            except BadInputError as err:
                yield task, err
        return
    in_flight = in_flight or 2 * workers
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: collections.deque = collections.deque()
        try:
            for task in tasks:
                pending.append((task, pool.submit(fn, task)))
                if len(pending) >= in_flight:
                    task0, future = pending.popleft()
                    yield task0, _outcome(future)
            while pending:
                task0, future = pending.popleft()
                yield task0, _outcome(future)
        finally:
            for _, future in pending:
                future.cancel()
