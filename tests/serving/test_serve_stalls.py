"""Stalled and slow clients against a `tfskin serve` with small limits (2 workers, 6 connections, 1 s header
and body deadlines): raw sockets on loopback, every wait bounded, the server's threads and memory measured."""

import time

import pytest

from .conftest import ServeProcess, http_json
from .raw_http import PeakRss, connect, error_of, parse_answer, proc_status, read_until_closed

pytestmark = pytest.mark.e2e  # waits out the server's deadlines (seconds)

THREADS, CONNECTIONS, DEADLINE_S = 2, 6, 1.0
RELEASE_WAIT_S = 30  # bound of every wait below; without the deadlines nothing is released at all
HEAD = b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: x\r\n"


@pytest.fixture(scope="module")
def small_server(model_base):
    proc = ServeProcess(model_base, extra=("--rest-api-num-threads", str(THREADS), "--max-connections",
                                           str(CONNECTIONS), "--header-timeout-seconds", str(DEADLINE_S),
                                           "--body-timeout-seconds", str(DEADLINE_S)))
    try:
        yield proc.wait_ready()
    finally:
        proc.stop()


def _wait_closed(sockets, limit_s=RELEASE_WAIT_S):
    """{socket: bytes received until the server closed it}; sockets still open after ``limit_s`` map to None."""
    out, deadline = {}, time.monotonic() + limit_s
    for sock in sockets:
        data = read_until_closed(sock, max(0.1, deadline - time.monotonic()))
        sock.settimeout(0.1)
        try:
            still_open = sock.recv(1) != b""
        except TimeoutError:
            still_open = True
        except OSError:
            still_open = False
        out[sock] = None if still_open else data
    return out


def test_stalled_connections_are_capped_and_released(small_server):
    pid = small_server.proc.pid
    threads_before = proc_status(pid, "Threads")
    sockets = []
    with PeakRss(pid) as rss:
        for _ in range(40):  # headers started, never finished
            sock = connect(small_server.rest_port)
            sock.sendall(HEAD)
            sockets.append(sock)
        time.sleep(0.3)
        threads_during = proc_status(pid, "Threads")
        answers = _wait_closed(sockets)
    for sock in sockets:
        sock.close()
    assert all(data is not None for data in answers.values()), "a stalled connection was never released"
    statuses = [parse_answer(data)[0] for data in answers.values()]
    refused = [data for data in answers.values() if parse_answer(data)[0] == 503]
    assert len(refused) >= 40 - CONNECTIONS and "Too many open connections" in error_of(parse_answer(refused[0])[2])
    assert statuses.count(408) + len(refused) == 40, statuses
    assert threads_during <= threads_before + THREADS, (threads_before, threads_during)
    assert rss.growth_mib < 32, rss.growth_mib
    assert http_json(f"{small_server.rest}/v1/models/dcgan")[0] == 200  # served again once they are gone


def test_a_slow_trickle_of_headers_is_cut_at_the_deadline(small_server):
    with connect(small_server.rest_port) as sock:
        sock.sendall(HEAD)
        closed = False
        for _ in range(int(RELEASE_WAIT_S / 0.2)):  # one byte every 0.2 s: each read is quick, the whole is not
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            time.sleep(0.2)
        data = read_until_closed(sock, 5)
    assert closed or data, "the server kept reading a request that never ends"
    assert parse_answer(data)[0] == 408


def test_a_stalled_body_is_cut_at_the_deadline(small_server):
    with connect(small_server.rest_port) as sock:
        sock.sendall(HEAD + b"Content-Length: 1000\r\n\r\n" + b"[" * 10)
        data = read_until_closed(sock, RELEASE_WAIT_S)
    status, _, body = parse_answer(data)
    assert status == 408 and error_of(body).startswith("Request timed out")


def test_an_idle_keep_alive_connection_is_closed(small_server):
    with connect(small_server.rest_port) as sock:
        sock.sendall(b"GET /v1/models/dcgan HTTP/1.1\r\nHost: x\r\n\r\n")
        data = _wait_closed([sock])[sock]  # the answer, then a close once idle too long
    assert data is not None, "an idle keep-alive connection was kept open"
    assert data.startswith(b"HTTP/1.1 200 OK")
