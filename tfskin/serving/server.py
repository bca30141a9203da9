"""``tfskin serve``: TF Serving's REST and gRPC APIs for the SavedModels under a model base.

A development and test server (production is TF Serving itself, see ``export/``): loopback by default, bounded
(worker threads, open connections, read deadlines, body size, batch size), new version folders are picked up
while it runs, models.config decides which models are served and their version policies and labels (and is
re-read on a poll interval when asked), one log line per request, clean shutdown on SIGINT/SIGTERM.
"""

import errno
import logging
import signal
import socket
import sys
import threading
from pathlib import Path

from tfskin.serving.errors import ModelBaseError, ServingError
from tfskin.serving.http_server import DEFAULT_HTTP_LIMITS, HttpLimits, make_http_server
from tfskin.serving.limits import DEFAULT_REQUEST_LIMITS, RequestLimits
from tfskin.serving.models_config import find_models_config, read_models_config
from tfskin.serving.periodic import Periodic
from tfskin.serving.repository import ModelRepository
from tfskin.serving.rest import RestApi
from tfskin.serving.version_policy import settings_from_config

log = logging.getLogger("tfskin.serving")


class PortInUseError(ServingError):
    """The REST or gRPC port cannot be bound (another process holds it)."""


class ConfigWatcher:
    """Re-reads models.config every ``poll_seconds`` and applies a changed one (a broken file is logged and the
    settings in force are kept), like TF Serving's ``--model_config_file_poll_wait_seconds``."""

    def __init__(self, path, repository: ModelRepository, poll_seconds: float):
        self.path, self.repository, self.poll_seconds = Path(path), repository, poll_seconds
        self._text = self._read()
        self._poller = Periodic(poll_seconds, self.check, "tfskin-serve-config", "models.config check")

    def _read(self):
        try:
            return self.path.read_text()
        except OSError:
            return None

    def check(self) -> bool:
        """Apply the file if it changed since the last look; True when new settings were applied."""
        text = self._read()
        if text is None or text == self._text:
            return False
        self._text = text
        try:
            settings = settings_from_config(read_models_config(self.path))
        except ModelBaseError as err:
            log.error("models.config not applied, the settings in force stay: %s", err)
            return False
        log.info("models.config changed: applying its models, version policies and labels")
        self.repository.configure(settings)
        return True

    def start(self):
        self._poller.start()

    def stop(self):
        self._poller.stop()


def _port_error(kind: str, host: str, port: int, err: OSError, flag: str) -> PortInUseError:
    reason = {errno.EADDRINUSE: "is in use", errno.EACCES: "needs privileges",
              errno.EADDRNOTAVAIL: "is not an address of this machine"}.get(
        err.errno, "is in use or cannot be bound" if err.errno is None else f"cannot be bound ({err.strerror})")
    return PortInUseError(f"{kind} port {host}:{port} {reason} (choose another with {flag})")


def _check_port_free(host: str, port: int):
    """OSError when ``host:port`` cannot be bound right now (port 0 always can)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, port))


class Server:
    """REST (and gRPC, unless ``grpc_port`` is None) over one ModelRepository; ``start()`` / ``stop()``."""

    def __init__(self, model_base, host="127.0.0.1", port=8501, grpc_port=8500, model_config_file=None,
                 poll_seconds=2.0, config_poll_seconds=0.0, http_limits: HttpLimits = DEFAULT_HTTP_LIMITS,
                 request_limits: RequestLimits = DEFAULT_REQUEST_LIMITS, grpc_workers=8):
        try:
            import tensorflow_serving  # noqa: F401 (the protos both front ends answer with)
        except ImportError:
            raise ServingError("tfskin serve needs tensorflow-serving-api: pip install 'tfskin[serving]'") from None
        config_file = model_config_file or find_models_config(model_base)
        settings = settings_from_config(read_models_config(config_file)) if config_file else None
        self.config_file = config_file
        self.repository = ModelRepository(model_base, settings=settings, poll_seconds=poll_seconds, load_now=False)
        self.watcher = ConfigWatcher(config_file, self.repository, config_poll_seconds) if config_file else None
        try:
            self.rest = make_http_server(RestApi(self.repository, request_limits), host, port, http_limits)
        except OSError as err:
            raise _port_error("REST", host, port, err, "--port") from None
        self.host = host
        self.port = self.rest.server_address[1]
        self.grpc = None
        self.grpc_port = None
        if grpc_port is not None:
            from tfskin.serving.grpc_service import make_grpc_server

            try:
                _check_port_free(host, grpc_port)  # gRPC's own bind failure also prints a C++ log line
                self.grpc, self.grpc_port = make_grpc_server(self.repository, host, grpc_port,
                                                             workers=grpc_workers, limits=request_limits)
            except OSError as err:
                self.rest.server_close()
                raise _port_error("gRPC", host, grpc_port, err, "--grpc-port") from None
        self.repository.refresh()  # after binding: a port in use is reported before minutes of loading
        self._rest_thread = None

    def start(self):
        self.repository.start_polling()
        if self.watcher is not None:
            self.watcher.start()
        if self.grpc is not None:
            self.grpc.start()
        self._rest_thread = threading.Thread(target=self.rest.serve_forever, kwargs={"poll_interval": 0.2},
                                             name="tfskin-rest", daemon=True)
        self._rest_thread.start()
        return self

    def stop(self, grace: float = 2.0):
        self.rest.shutdown()
        self.rest.server_close()
        if self.grpc is not None:
            self.grpc.stop(grace).wait(grace + 1)
        if self.watcher is not None:
            self.watcher.stop()
        self.repository.stop()

    def describe(self) -> str:
        models = {}
        for name, version in self.repository.loaded():
            models.setdefault(name, []).append(str(version))
        listing = "; ".join(f"{n} (version {', '.join(v)})" for n, v in sorted(models.items()))
        if not listing:
            listing = (f"none yet (watching {self.repository.base} for NAME/VERSION/saved_model.pb)"
                       if self.repository.poll_seconds > 0 else f"none under {self.repository.base}")
        grpc_part = f", gRPC on {self.host}:{self.grpc_port}" if self.grpc is not None else ""
        labels = ""
        if self.config_file:
            skipped = self.repository.skipped_folders()
            labels = (f"; the models, version policies and labels of {self.config_file}"
                      + (f" (not listed there, not served: {', '.join(skipped)}; `tfskin serving-config` "
                         f"lists every exported model)" if skipped else ""))
        return f"REST on http://{self.host}:{self.port}{grpc_part}; models: {listing}{labels}"


def configure_logging(stream=None):
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


def serve_forever(server: Server, stream=None) -> int:
    """Run until SIGINT or SIGTERM; returns 0 after a clean shutdown."""
    stop = threading.Event()

    def on_signal(signum, frame):
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        print(f"tfskin serve: {server.describe()}", file=stream or sys.stdout, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    print("tfskin serve: stopped", file=stream or sys.stdout, flush=True)
    return 0
