"""`tfskin serve` on a shared network: request framing, methods, batch size and error bodies, tested with raw
sockets against the session server on loopback, every read bounded in time; the server's memory is measured
(/proc/PID/status) while the malicious requests run."""

import json

import pytest

from tfskin.serving.limits import DEFAULT_MAX_BATCH

from .conftest import MAX_BODY_BYTES, http_json
from .raw_http import PeakRss, connect, error_of, exchange, parse_answer, read_until_closed

PREDICT = b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: x\r\n"
BODY = json.dumps({"signature_name": "generate_png", "instances": [[0.1] * 16, [0.2] * 16]}).encode()
MEMORY_BOUND_MIB = 32  # far below what the attacks would cost if the limit gave way (>= 64 MiB each)


def test_negative_content_length_is_refused_before_any_body_is_read(server):
    stream = b"[" + b"1," * (1 << 19)  # 1 MiB per send, up to 100 MiB or until the server closes
    sent = 0
    with PeakRss(server.proc.pid) as rss, connect(server.rest_port) as sock:
        sock.sendall(PREDICT + b"Content-Length: -1\r\n\r\n")
        try:
            while sent < 100 * len(stream):
                sock.sendall(stream)
                sent += len(stream)
        except OSError:  # the server answered and closed: what is left is refused
            pass
        status, headers, body = parse_answer(read_until_closed(sock))
    assert status == 400 and headers["content-type"] == "application/json"
    assert error_of(body) == "Invalid Content-Length: -1"
    assert sent < 100 * len(stream)  # the server stopped the stream
    assert rss.growth_mib < MEMORY_BOUND_MIB, rss.growth_mib


@pytest.mark.parametrize("value", ["abc", "1e3", "+5", "0x10", "5, 6", ""])
def test_invalid_content_length_is_400(server, value):
    status, headers, body = exchange(server.rest_port, PREDICT + f"Content-Length: {value}\r\n\r\n{{}}".encode())
    assert status == 400 and headers["connection"] == "close"
    assert error_of(body).startswith("Invalid Content-Length")


def test_differing_content_lengths_are_400(server):
    status, _, body = exchange(server.rest_port, PREDICT + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
    assert status == 400 and error_of(body) == "Invalid Content-Length: 2, 3"


def test_a_body_without_its_length_is_411(server):
    status, _, body = exchange(server.rest_port, PREDICT + b"\r\n" + BODY)
    assert status == 411 and "Content-Length or Transfer-Encoding: chunked" in error_of(body)


def _chunked(data: bytes, size: int) -> bytes:
    pieces = [data[i:i + size] for i in range(0, len(data), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"


def test_chunked_body_is_read(server):
    raw = PREDICT + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + _chunked(BODY, 100)
    status, _, body = exchange(server.rest_port, raw)
    assert status == 200 and len(json.loads(body)["predictions"]) == 2


def test_chunked_body_over_the_limit_is_413_and_not_kept(server):
    chunk = b"[" + b"1," * (1 << 17)  # 256 KiB chunks, up to 20 x the limit
    sent = 0
    with PeakRss(server.proc.pid) as rss, connect(server.rest_port) as sock:
        sock.sendall(PREDICT + b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < 20 * MAX_BODY_BYTES:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
        except OSError:
            pass
        status, _, body = parse_answer(read_until_closed(sock))
    assert status == 413 and f"exceeds the limit of {MAX_BODY_BYTES} bytes" in error_of(body)
    assert sent < 20 * MAX_BODY_BYTES and rss.growth_mib < MEMORY_BOUND_MIB, (sent, rss.growth_mib)


@pytest.mark.parametrize("framing", [b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
                                     b"Transfer-Encoding: gzip\r\n\r\n{}",
                                     b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n"])
def test_malformed_or_ambiguous_framing_is_400(server, framing):
    status, headers, body = exchange(server.rest_port, PREDICT + framing)
    assert status == 400 and headers["connection"] == "close" and error_of(body)


def test_head_patch_and_unknown_methods_answer_tf_servings_json_error(server):
    status, headers, body = exchange(server.rest_port, b"HEAD /v1/models/dcgan HTTP/1.1\r\nHost: x\r\n"
                                                       b"Connection: close\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/json" and body == b""  # HEAD: no body
    for method in ("PATCH", "BREW", "OPTIONS"):
        status, headers, body = exchange(server.rest_port, f"{method} /v1/models/dcgan HTTP/1.1\r\nHost: x\r\n"
                                                            f"Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        assert status == 400 and headers["content-type"] == "application/json"
        assert error_of(body) == f"Malformed request: {method} /v1/models/dcgan"


@pytest.mark.parametrize("raw, code", [(b"GARBAGE\r\n\r\n", 400), (b"GET /v1/models/dcgan HTTP/9.9\r\n\r\n", 505),
                                       (b"GET /v1/models/dcgan HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n", 431),
                                       (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414)])
def test_unparsable_requests_answer_json(server, raw, code):
    status, headers, body = exchange(server.rest_port, raw)
    assert status == code and headers["content-type"] == "application/json" and error_of(body)


def test_batch_over_the_cap_is_refused_before_running(server):
    noise = [[0.123456] * 16 for _ in range(4000)]  # ~0.65 MB in; 4,000 float images (~170 MB of JSON) out
    body = json.dumps({"signature_name": "generate", "instances": noise}).encode()
    raw = PREDICT + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
    with PeakRss(server.proc.pid) as rss:
        status, _, answer = exchange(server.rest_port, raw, limit_s=60)
    assert status == 400
    assert error_of(answer) == f"Task size 4000 is larger than maximum input batch size {DEFAULT_MAX_BATCH}"
    assert rss.growth_mib < MEMORY_BOUND_MIB, rss.growth_mib


def test_a_large_answer_arrives_whole(server):
    noise = [[0.5] * 16] * DEFAULT_MAX_BATCH  # the largest batch allowed: megabytes of JSON floats
    status, doc = http_json(f"{server.rest}/v1/models/dcgan:predict", {"signature_name": "generate",
                                                                      "instances": noise}, timeout=120)
    assert status == 200 and len(doc["predictions"]) == DEFAULT_MAX_BATCH


def test_keep_alive_survives_a_refused_request(server):
    """An error that leaves the framing intact keeps the connection: the next request on it is answered."""
    bad = json.dumps({"instances": []}).encode()
    with connect(server.rest_port) as sock:
        sock.sendall(PREDICT + f"Content-Length: {len(bad)}\r\n\r\n".encode() + bad
                     + PREDICT + f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n".encode() + BODY)
        data = read_until_closed(sock)
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 400") and b"HTTP/1.1 200 OK" in rest


def test_expect_100_continue_is_answered_after_the_framing_is_checked(server):
    with connect(server.rest_port) as sock:  # too large: refused before the client sends a byte of body
        sock.sendall(PREDICT + f"Expect: 100-continue\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode())
        status, _, body = parse_answer(read_until_closed(sock))
    assert status == 413 and "exceeds the limit" in error_of(body)
    with connect(server.rest_port) as sock:
        sock.sendall(PREDICT + f"Expect: 100-continue\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
                     .encode())
        assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(BODY)
        status, _, body = parse_answer(read_until_closed(sock))
    assert status == 200 and len(json.loads(body)["predictions"]) == 2
