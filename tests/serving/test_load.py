"""A bounded load test on loopback: 8 concurrent clients, 2,000 requests, at most 60 s; no errors, no lost
requests (every request answered and logged once), server memory flat."""

import json
import threading
import time
import urllib.request

import pytest

CLIENTS, REQUESTS, LIMIT_S = 8, 2000, 60
BODY = json.dumps({"signature_name": "generate_png", "instances": [[0.25] * 16]}).encode()


def _requests(url, count, results, errors):
    import http.client

    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    for _ in range(count):
        try:
            conn.request("POST", "/v1/models/dcgan:predict", body=BODY, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            doc = json.loads(response.read())
            if response.status == 200 and len(doc["predictions"]) == 1 and "b64" in doc["predictions"][0]:
                results.append(1)
            else:
                errors.append(f"{response.status} {str(doc)[:100]}")
        except Exception as err:  # counted, reported below
            errors.append(repr(err))
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.close()


def _rss(pid) -> int:
    """Resident set size of a process in bytes (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _logged_predictions(server, at_least: int, timeout: float = 10.0) -> int:
    """How many predict requests the server has logged, once it has logged ``at_least`` (or ``timeout`` passed):
    a request's log line is written after its response is sent, so it can trail the client by a moment."""
    deadline = time.monotonic() + timeout
    while True:
        count = server.output().count(" REST POST /v1/models/dcgan:predict 200")
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def _run(url, total):
    results, errors = [], []
    per_client = total // CLIENTS
    threads = [threading.Thread(target=_requests, args=(url, per_client, results, errors)) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=LIMIT_S + 30)
    return results, errors


@pytest.mark.slow
def test_eight_clients_two_thousand_requests(server):
    already = server.output().count(" REST POST /v1/models/dcgan:predict 200")
    _run(server.rest, 200)  # warm-up: threads, connection handling, traced functions
    before_log = _logged_predictions(server, already + 200)
    rss_before = _rss(server.proc.pid)
    started = time.monotonic()
    results, errors = _run(server.rest, REQUESTS)
    elapsed = time.monotonic() - started
    rss_after = _rss(server.proc.pid)
    assert not errors, errors[:5]
    assert len(results) == REQUESTS and elapsed <= LIMIT_S, (len(results), elapsed)
    logged = _logged_predictions(server, before_log + REQUESTS) - before_log
    assert logged == REQUESTS  # one log line per request, none lost
    assert rss_after - rss_before < 64 * 2**20, (rss_before, rss_after)
    assert urllib.request.urlopen(f"{server.rest}/v1/models/dcgan", timeout=10).status == 200
    print(f"{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1f} s; server RSS {rss_before / 2**20:.0f} -> "
          f"{rss_after / 2**20:.0f} MiB")
