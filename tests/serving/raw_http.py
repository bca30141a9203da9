"""Raw-socket helpers for the serving limit tests: bounded reads, HTTP answers parsed by hand, server memory."""

import json
import socket
import threading
import time


def connect(port: int, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_until_closed(sock, limit_s: float = 10, max_bytes: int = 1 << 20) -> bytes:
    """Everything the server sends until it closes (at most ``limit_s`` seconds and ``max_bytes``)."""
    deadline = time.monotonic() + limit_s
    data = b""
    while time.monotonic() < deadline and len(data) < max_bytes:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionError):
            break
        if not chunk:
            break
        data += chunk
    return data


def parse_answer(data: bytes):
    """(status, headers with lower-case names, body bytes) of one HTTP response."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/1.1 ") else None
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    headers = {k.lower(): v for k, v in headers.items()}
    length = int(headers.get("content-length", len(body)))
    return status, headers, body[:length]


def exchange(port: int, raw: bytes, limit_s: float = 10):
    """Send ``raw`` on a fresh connection; (status, headers, body) of the answer (the server must close)."""
    with connect(port, limit_s) as sock:
        sock.sendall(raw)
        return parse_answer(read_until_closed(sock, limit_s))


def error_of(body: bytes) -> str:
    """The message of TF Serving's JSON error form; fails if the body is not exactly that form."""
    doc = json.loads(body)
    assert set(doc) == {"error"} and isinstance(doc["error"], str), doc
    return doc["error"]


def proc_status(pid: int, field: str) -> int:
    """A number from /proc/PID/status (VmRSS and VmHWM in KiB, Threads)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class PeakRss:
    """Samples a process's resident memory every 10 ms while in use: ``growth_mib`` = peak - start."""

    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self):
        self.start = self.peak = proc_status(self.pid, "VmRSS")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, proc_status(self.pid, "VmRSS"))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak = max(self.peak, proc_status(self.pid, "VmRSS"))

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.start) / 1024
