"""The HTTP side of ``tfskin serve``'s REST API, bounded for a shared network.

- a fixed pool of worker threads and a cap on open connections (connections beyond it get a 503 and are closed);
- a deadline for the request line and headers (also the keep-alive idle time) and one for the body;
- request framing checked before anything is read: Content-Length must be one non-negative integer no larger
  than the body limit; chunked bodies are read (within the same limit); a body without either is refused (411);
- every answer, framing errors and unknown methods included, is TF Serving's JSON error form ``{"error": ...}``.

What a request means is decided by ``rest.RestApi``; this module only moves bytes.
"""

import io
import logging
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer

from tfskin.serving.json_tensors import error_json

log = logging.getLogger("tfskin.serving")

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 65536
MAX_CHUNK_LINE_BYTES = 1024
MAX_TRAILER_LINES = 64
_BODY_METHODS = ("POST", "PUT", "PATCH")
_TOKEN = set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class HttpLimits:
    """Bounds of the REST server: body size, worker threads, open connections, read deadlines (seconds)."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    threads: int = 16
    max_connections: int = 64
    header_timeout: float = 10.0
    body_timeout: float = 30.0


DEFAULT_HTTP_LIMITS = HttpLimits()


class _FramingError(Exception):
    """The request cannot be read as HTTP/1.1 says it must be: answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class _DeadlineReader(io.RawIOBase):
    """Socket reads that fail with TimeoutError once ``deadline`` (time.monotonic) has passed, however slowly
    the bytes trickle in (a per-read timeout alone lets one byte every few seconds hold a worker forever)."""

    def __init__(self, sock):
        self.sock = sock
        self.deadline = None

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("read deadline passed")
            self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _SendAll(io.BufferedIOBase):
    """Writes that send every byte (a raw socket file may send only part of a large answer)."""

    def __init__(self, sock):
        self.sock = sock

    def writable(self):
        return True

    def write(self, data):
        self.sock.sendall(data)
        return len(data)


class BoundedHandler(BaseHTTPRequestHandler):
    """One connection: reads requests within the limits and hands (method, path, body) to ``api.handle``."""

    server_version = "tfskin-serve"
    protocol_version = "HTTP/1.1"
    api = None  # a RestApi, set on the subclass make_http_server creates

    def setup(self):
        self.connection = self.request
        # headers and body are separate writes: no 40 ms delayed-ACK stall
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader, 65536)
        self.wfile = _SendAll(self.connection)
        self._first_deadline = self.server.accepted_at() + self.server.limits.header_timeout

    def finish(self):
        for f in (self.wfile, self.rfile):
            try:
                f.close()
            except OSError:
                pass

    def log_message(self, fmt, *args):  # one line per request is written in _respond
        pass

    def handle_expect_100(self):
        """Defer "100 Continue" until the framing headers are checked (_continue): an oversized or malformed
        request is answered before the client sends its body."""
        return True

    def _continue(self):
        if self.headers.get("Expect", "").lower() == "100-continue" and self.request_version >= "HTTP/1.1":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def handle_one_request(self):
        limits = self.server.limits
        self.command, self.path, self.request_version, self.requestline = None, "", "HTTP/1.1", ""
        self._started = time.perf_counter()
        self._reader.deadline = self._first_deadline or time.monotonic() + limits.header_timeout
        self._first_deadline = None
        try:
            self.raw_requestline = self.rfile.readline(MAX_LINE_BYTES + 1)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > MAX_LINE_BYTES:
                self.send_error(414, "Request line too long")
                return
            if not self.parse_request():  # reads the headers (answers its own errors)
                return
            method = self.command
            if not set(method) <= _TOKEN:
                self.send_error(400, f"Bad request method {method!r}")
                return
            self._reader.deadline = time.monotonic() + limits.body_timeout
            body = self._read_body(method)
        except TimeoutError:
            self._respond_error(408, "Request timed out: the request was not received in time")
            return
        except _FramingError as err:
            self._respond_error(err.status, err.message)
            return
        except (ConnectionError, ValueError):  # the client went away (or sent a truncated body)
            self.close_connection = True
            return
        status, text = self.api.handle(method, self.path, body)
        self._respond(status, text)

    # --- request bodies -------------------------------------------------------------------------------------

    def _read_body(self, method: str) -> bytes:
        limit = self.server.limits.max_body_bytes
        encodings = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if encodings:
            if lengths:
                raise _FramingError(400, "Content-Length and Transfer-Encoding cannot both be sent")
            codings = [c.strip().lower() for c in ",".join(encodings).split(",")]
            if codings != ["chunked"]:
                raise _FramingError(400, f"Unsupported Transfer-Encoding: {', '.join(encodings)} (only chunked)")
            self._continue()
            return self._read_chunked(limit)
        if lengths:
            values = {v.strip() for v in lengths}
            value = values.pop()
            if values or not (value.isascii() and value.isdigit()):
                raise _FramingError(400, f"Invalid Content-Length: {', '.join(lengths)[:40]}")
            length = int(value)
            if length > limit:
                raise _FramingError(413, f"Request body of {length} bytes exceeds the limit of {limit} bytes "
                                         f"(tfskin serve --max-body-bytes)")
            if length:
                self._continue()
            body = self.rfile.read(length) if length else b""
            if len(body) < length:
                raise ConnectionError("body shorter than its Content-Length")
            return body
        if method in _BODY_METHODS:
            raise _FramingError(411, "Length Required: send the body with Content-Length or "
                                     "Transfer-Encoding: chunked")
        return b""

    def _read_chunked(self, limit: int) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE_BYTES + 1)
            if not line.endswith(b"\n"):
                if not line:
                    raise ConnectionError("body ended inside a chunk size line")
                raise _FramingError(400, "Malformed chunked body: chunk size line too long")
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
                raise _FramingError(400, "Malformed chunked body: invalid chunk size")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > limit:
                raise _FramingError(413, f"Chunked request body exceeds the limit of {limit} bytes "
                                         f"(tfskin serve --max-body-bytes)")
            data = self.rfile.read(size)
            if len(data) < size:
                raise ConnectionError("body ended inside a chunk")
            body += data
            if self.rfile.readline(3).rstrip(b"\r\n") != b"":
                raise _FramingError(400, "Malformed chunked body: chunk data longer than its size")
        for _ in range(MAX_TRAILER_LINES):  # trailers, up to the empty line
            line = self.rfile.readline(MAX_LINE_BYTES + 1)
            if not line:
                raise ConnectionError("body ended inside the trailers")
            if line in (b"\r\n", b"\n"):
                return bytes(body)
        raise _FramingError(400, "Malformed chunked body: too many trailer lines")

    # --- answers --------------------------------------------------------------------------------------------

    def send_error(self, code, message=None, explain=None):
        """Errors found by http.server's request parsing, in TF Serving's JSON form."""
        self._respond_error(code, message or self.responses.get(code, ("error",))[0])

    def _respond_error(self, status: int, message: str):
        self.close_connection = True
        self._respond(status, error_json(message))
        self._drain()

    def _drain(self, max_bytes: int = 1 << 20, seconds: float = 0.5):
        """Close gently: stop sending, then discard (bounded) what the client is still sending. Closing with
        unread input makes the kernel reset the connection, and a reset can destroy the answer in flight."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            deadline, left = time.monotonic() + seconds, max_bytes
            while left > 0 and time.monotonic() < deadline:
                self.connection.settimeout(max(0.01, deadline - time.monotonic()))
                data = self.connection.recv(min(left, 65536))
                if not data:
                    break
                left -= len(data)
        except OSError:
            pass

    def _respond(self, status: int, text: str):
        data = text.encode("utf-8")
        if self.request_version == "HTTP/0.9":  # always answer with a status line and headers
            self.request_version = "HTTP/1.1"
        self.connection.settimeout(self.server.limits.body_timeout)  # a client that never reads is let go
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError:  # includes timeouts: the client stopped reading
            self.close_connection = True
        log.info("REST %s %s %d %dB %.1fms", self.command or "-", self.path or "-", status, len(data),
                 1000 * (time.perf_counter() - getattr(self, "_started", time.perf_counter())))


class BoundedHTTPServer(HTTPServer):
    """An HTTP server with a fixed worker pool and a cap on open connections."""

    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, limits: HttpLimits):
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._pool = ThreadPoolExecutor(limits.threads, thread_name_prefix="tfskin-rest")
        self._local = threading.local()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        try:
            self._pool.submit(self._serve_connection, request, client_address, time.monotonic())
        except RuntimeError:  # shutting down
            self._slots.release()
            self.shutdown_request(request)

    def accepted_at(self) -> float:
        """When the connection the calling worker serves was accepted (its first header deadline counts from
        there, so connections that waited for a worker are not given extra time)."""
        return getattr(self._local, "accepted", time.monotonic())

    def _serve_connection(self, request, client_address, accepted):
        self._local.accepted = accepted
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def _refuse(self, request):
        data = error_json(f"Too many open connections (tfskin serve --max-connections "
                          f"{self.limits.max_connections}); retry later").encode()
        head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode()
        try:
            request.settimeout(0)  # never block the accept loop: the answer fits the socket buffer or is dropped
            request.send(head + data)
        except OSError:
            pass
        self.shutdown_request(request)
        log.warning("REST connection refused: %d connections open", self.limits.max_connections)

    def handle_error(self, request, client_address):
        """A client that hangs up mid-request costs one log line, not a traceback."""
        log.warning("REST connection from %s:%s ended: %s", *client_address[:2], sys.exc_info()[1])

    def server_close(self):
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


def make_http_server(api, host: str, port: int, limits: HttpLimits = DEFAULT_HTTP_LIMITS) -> BoundedHTTPServer:
    handler = type("TfskinRestHandler", (BoundedHandler,), {"api": api})
    return BoundedHTTPServer((host, port), handler, limits)
