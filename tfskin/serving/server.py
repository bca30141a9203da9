"""``tfskin serve``: TF Serving's REST and gRPC APIs for the SavedModels under a model base.

A development and test server (production is TF Serving itself, see ``export/``): loopback by default, new
version folders are picked up while it runs, one log line per request, clean shutdown on SIGINT/SIGTERM.
"""

import logging
import signal
import sys
import threading

from tfskin.serving.models_config import find_models_config, labels_from_config
from tfskin.serving.repository import ModelRepository
from tfskin.serving.rest import DEFAULT_MAX_BODY_BYTES, make_rest_server

log = logging.getLogger("tfskin.serving")


class Server:
    """REST (and gRPC, unless ``grpc_port`` is None) over one ModelRepository; ``start()`` / ``stop()``."""

    def __init__(self, model_base, host="127.0.0.1", port=8501, grpc_port=8500, model_config_file=None,
                 poll_seconds=2.0, max_body_bytes=DEFAULT_MAX_BODY_BYTES, grpc_workers=8):
        try:
            import tensorflow_serving  # noqa: F401 (the protos both front ends answer with)
        except ImportError:
            from tfskin.serving.errors import ServingError

            raise ServingError("tfskin serve needs tensorflow-serving-api: pip install 'tfskin[serving]'") from None
        config_file = model_config_file or find_models_config(model_base)
        labels = labels_from_config(config_file) if config_file else {}
        self.config_file = config_file
        self.repository = ModelRepository(model_base, labels=labels, poll_seconds=poll_seconds)
        self.rest = make_rest_server(self.repository, host, port, max_body_bytes=max_body_bytes)
        self.host = host
        self.port = self.rest.server_address[1]
        self.grpc = None
        self.grpc_port = None
        if grpc_port is not None:
            from tfskin.serving.grpc_service import make_grpc_server

            self.grpc, self.grpc_port = make_grpc_server(self.repository, host, grpc_port, workers=grpc_workers)
        self._rest_thread = None

    def start(self):
        self.repository.start_polling()
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
        self.repository.stop()

    def describe(self) -> str:
        models = {}
        for name, version in self.repository.loaded():
            models.setdefault(name, []).append(str(version))
        listing = "; ".join(f"{n} (version {', '.join(v)})" for n, v in sorted(models.items()))
        grpc_part = f", gRPC on {self.host}:{self.grpc_port}" if self.grpc is not None else ""
        labels = f"; labels from {self.config_file}" if self.config_file else ""
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
