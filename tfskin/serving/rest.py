"""TF Serving's REST API over ``http.server`` (a development server; production is TF Serving itself).

Routes, as TF Serving matches them (case-insensitively):
  GET  /v1/models/NAME[/versions/N | /labels/L]             model status
  GET  /v1/models/NAME[/versions/N | /labels/L]/metadata    signature defs
  POST /v1/models/NAME[/versions/N | /labels/L]:predict     (:classify and :regress answer UNIMPLEMENTED)
and one route of tfskin's own:
  GET  /v1/models/NAME[/versions/N | /labels/L]/card        the model card (assets.extra/tfskin_model_card.json)
"""

import json
import logging
import re
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tfskin.serving import json_tensors, protos
from tfskin.serving.errors import ServingStatus, invalid
from tfskin.serving.repository import check_input_shapes

log = logging.getLogger("tfskin.serving")

_SPEC = r"(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
PREDICT_PATH = re.compile(r"/v1/models/([^/:]+)" + _SPEC + r":(classify|regress|predict)", re.IGNORECASE)
STATUS_PATH = re.compile(r"/v1/models(?:/([^/:]+))?" + _SPEC + r"(?:/(metadata))?", re.IGNORECASE)
CARD_PATH = re.compile(r"/v1/models/([^/:]+)" + _SPEC + r"/card", re.IGNORECASE)

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
_INT64_MAX = 2**63 - 1


def _version(text):
    if not text:
        return None
    value = int(text)
    if value > _INT64_MAX:
        raise invalid(f"Failed to convert version: {text} to numeric.")
    return value


def _unquote(text):
    return urllib.parse.unquote(text) if text else text


class RestApi:
    """Request handling independent of the HTTP plumbing: (method, path, body) -> (HTTP status, JSON text)."""

    def __init__(self, repository, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.repository = repository
        self.max_body_bytes = max_body_bytes

    def handle(self, method: str, path: str, body: bytes = b""):
        try:
            return 200, self._dispatch(method, path, body)
        except ServingStatus as err:
            return err.http_status, json_tensors.error_json(err.message)
        except Exception as err:  # a bug must not take the server down; report it as TF Serving would
            log.exception("internal error on %s %s", method, path)
            return 500, json_tensors.error_json(f"Internal error: {type(err).__name__}: {err}")

    def _dispatch(self, method, path, body):
        path = urllib.parse.urlsplit(path).path
        malformed = invalid(f"Malformed request: {method} {path}")
        if method == "POST":
            m = PREDICT_PATH.fullmatch(path)
            if not m:
                raise malformed
            name, version, label, verb = _unquote(m.group(1)), _version(m.group(2)), _unquote(m.group(3)), m.group(4)
            if verb.lower() != "predict":
                raise ServingStatus("UNIMPLEMENTED", f"tfskin serve answers :predict only, not :{verb.lower()} "
                                                     f"(tfskin exports have no classify/regress signatures)")
            return self.predict(name, version, label, body)
        if method == "GET":
            m = CARD_PATH.fullmatch(path)
            if m:
                return self.card(_unquote(m.group(1)), _version(m.group(2)), _unquote(m.group(3)))
            m = STATUS_PATH.fullmatch(path)
            if not m:
                raise malformed
            name, version, label = _unquote(m.group(1)), _version(m.group(2)), _unquote(m.group(3))
            if not name:
                raise invalid("Missing model name in request.")
            if version is not None and label is not None:
                raise invalid(f"Both model version ({version}) and model version label ({label}) cannot be "
                              f"supplied.")
            if m.group(4):
                return protos.metadata_json(self.repository.servable(name, version, label))
            return protos.status_json(self.repository.status(name, version, label))
        raise malformed

    def predict(self, name, version, label, body: bytes) -> str:
        servable = self.repository.servable(name, version, label)
        doc = json_tensors.parse_body(body)
        signature_name = json_tensors.signature_name_of(doc)
        key = signature_name or "serving_default"
        signature = servable.signature(key)
        if signature is None:
            raise invalid(f'Serving signature name: "{key}" not found in signature def')
        if not signature.inputs:
            raise invalid(f"Failed to get input map for signature: {signature_name or 'DEFAULT'}")
        inputs, fmt = json_tensors.inputs_from_request(doc, dict(signature.inputs))
        check_input_shapes(signature, inputs)
        outputs = servable.run(key, inputs)
        return json_tensors.response_json(outputs, fmt)

    def card(self, name, version, label) -> str:
        servable = self.repository.servable(name, version, label)
        if servable.card is None:
            raise ServingStatus("NOT_FOUND", f"{servable.name} version {servable.version} has no model card "
                                             f"(assets.extra/tfskin_model_card.json); re-export it with tfskin")
        return json.dumps(servable.card, indent=1, sort_keys=True) + "\n"


class _Handler(BaseHTTPRequestHandler):
    server_version = "tfskin-serve"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    api: RestApi = None  # set on the subclass the server creates

    def log_message(self, fmt, *args):  # the one line per request is written in _answer
        pass

    def _answer(self, method):
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.api.max_body_bytes:
            status, text = 413, json_tensors.error_json(
                f"Request body of {length} bytes exceeds the limit of {self.api.max_body_bytes} bytes "
                f"(tfskin serve --max-body-bytes)")
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            status, text = self.api.handle(method, self.path, body)
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        log.info("REST %s %s %d %dB %.1fms", method, self.path, status, len(data),
                 1000 * (time.perf_counter() - started))

    def do_GET(self):
        self._answer("GET")

    def do_POST(self):
        self._answer("POST")

    def do_PUT(self):
        self._answer("PUT")

    def do_DELETE(self):
        self._answer("DELETE")


class RestServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        """A client that hangs up mid-request costs one log line, not a traceback."""
        import sys

        log.warning("REST connection from %s:%s ended: %s", *client_address[:2], sys.exc_info()[1])


def make_rest_server(repository, host: str, port: int, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> RestServer:
    api = RestApi(repository, max_body_bytes)
    handler = type("TfskinRestHandler", (_Handler,), {"api": api})
    return RestServer((host, port), handler)
