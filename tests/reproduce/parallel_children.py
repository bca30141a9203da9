"""Top-level functions the parallel-replicate tests hand to spawned worker processes (a child imports them by
module name, so they cannot live inside a test)."""

import os
import signal
import sys
import time

from tfskin.reproduce.workflow import Workflow


def toy_replicate(exp, rep) -> dict:
    """Two steps per replicate; ``exp.settings["modes"][tag]`` makes a replicate fail after its first step (once
    r0 finished), or kill its own process."""
    wf = exp.workflow
    mode = exp.settings.get("modes", {}).get(rep.tag)
    wf.log(f"toy {rep.tag} starting")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    first = wf.step(f"a_{rep.tag}", lambda: {"square": rep.index ** 2})
    if mode == "fail":
        deadline = time.monotonic() + 120
        while not wf.done("b_r0") and time.monotonic() < deadline:
            time.sleep(0.1)
        raise ValueError(f"boom in {rep.tag}")
    second = wf.step(f"b_{rep.tag}", lambda: {"seed": rep.gan_seed})
    threads = None
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        threads = tf.config.threading.get_intra_op_parallelism_threads()
    return {"index": rep.index, **first, **second, "pid": os.getpid(), "threads": threads}


def add_times(out_dir, worker: int, times: int):
    """``times`` additions of 0.25 s to step ``s<worker % 2>`` of the workflow in ``out_dir``."""
    wf = Workflow(out_dir, stream=open(os.devnull, "w"))
    for _ in range(times):
        wf._add_time(f"s{worker % 2}", 0.25)


def toy_part(exp, rep, part: str) -> dict:
    """One step for part ``part`` of replicate ``rep``; returns {"parts": {part: what it did}} (parts merge)."""
    wf = exp.workflow
    wf.log(f"toy {rep.tag} part {part} starting")
    done = wf.step(f"{part}_{rep.tag}", lambda: {"value": rep.index * 10 + len(part)})
    return {"parts": {part: {**done, "pid": os.getpid()}}, "seed": rep.gan_seed}
