"""What this process may use of the machine, without importing TensorFlow."""

import os


def usable_cores() -> int:
    """The CPU cores this process may run on: its affinity mask (e.g. under ``taskset`` or a container's CPU set),
    not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
