"""A daemon thread that calls a function every few seconds until stopped (``tfskin serve``'s model-base scan and
its ``models.config`` poll)."""

import logging
import threading

log = logging.getLogger("tfskin.serving")


class Periodic:
    """Calls ``action()`` every ``seconds`` on a daemon thread named ``name`` once started (never when ``seconds``
    is 0). An exception is logged as "``what`` failed: ..." and the calls go on: the next one may succeed."""

    def __init__(self, seconds: float, action, name: str, what: str):
        self.seconds, self.action, self.name, self.what = seconds, action, name, what
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        if self._thread is None and self.seconds > 0:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def _run(self):
        while not self._stop.wait(self.seconds):
            try:
                self.action()
            except Exception as err:
                log.error("%s failed: %s", self.what, err)

    def stop(self, timeout: float = 5.0):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
