"""The serving: source and its client: same images as savedmodel: for the same seed (REST and gRPC, PNG and
float signatures, masks), retries with backoff, and one-line errors naming the URL."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from tfskin.classes import class_index
from tfskin.config import ConfigError
from tfskin.errors import UserError
from tfskin.serving.client import ServingClient, ServingGenerator, parse_url
from tfskin.serving.errors import ServingError
from tfskin.sources import make_source


@pytest.fixture(scope="module")
def reference(model_base):
    return make_source(f"savedmodel:{model_base / 'dcgan'}")  # version 2, the latest


@pytest.mark.parametrize("kind", ["http", "grpc"])
def test_served_images_are_pixel_identical_to_savedmodel(server, reference, kind):
    url = f"{server.rest}/v1/models/dcgan" if kind == "http" else f"grpc://{server.grpc}/dcgan"
    served = make_source(f"serving:{url}")
    assert served.generator.use_png and served.generator.request_signature == "generate_png"
    want = reference.sample(300, seed=3)  # more than one request batch (64, the shipped max_batch_size)
    got = served.sample(300, seed=3)
    np.testing.assert_array_equal(got["image"], want["image"])
    assert got["image"].dtype == np.uint8 and got["image"].shape == (300, 32, 32, 3)


def test_float_signature_rounds_like_png(server, reference):
    served = make_source(f"serving:{server.rest}/v1/models/dcgan,signature=generate,batch_size=7")
    served.generator.use_png, served.generator.request_signature = False, "generate"  # the float path
    np.testing.assert_array_equal(served.sample(20, seed=5)["image"], reference.sample(20, seed=5)["image"])


def test_classes_come_from_the_card_and_labels_from_options(server):
    served = make_source(f"serving:{server.rest}/v1/models/dcgan/labels/stable")
    assert served.classes == ("MEL",)
    batch = served.sample(4, seed=0)
    assert np.all(batch["label"] == class_index("MEL"))
    nv = make_source(f"serving:grpc://{server.grpc}/dcgan/versions/1,label=NV")
    assert np.all(nv.sample(2, seed=0)["label"] == class_index("NV"))
    assert "grpc://" in nv.describe()


def test_masks_over_png_equal_savedmodel(server, model_base):
    reference = make_source(f"savedmodel:{model_base / 'dcgan_mask'},label=NV")
    served = make_source(f"serving:{server.rest}/v1/models/dcgan_mask,label=NV")
    assert served.has_masks
    want, got = reference.sample(6, seed=2), served.sample(6, seed=2)
    np.testing.assert_array_equal(got["image"], want["image"])
    np.testing.assert_array_equal(got["mask"], want["mask"])


def test_spec_errors_are_one_line_user_errors(server):
    with pytest.raises(ConfigError, match="unknown serving source option"):
        make_source(f"serving:{server.rest}/v1/models/dcgan,colour=red")
    with pytest.raises(ValueError, match="unknown class"):
        make_source(f"serving:{server.rest}/v1/models/dcgan,label=XYZ")
    with pytest.raises(ServingError, match="not a TF Serving URL"):
        make_source("serving:ftp://host/dcgan")
    with pytest.raises(ServingError, match=r"http://127.0.0.1:\d+/v1/models/nope answered HTTP 404: Servable not "
                                           r"found for request: Latest\(nope\)"):
        make_source(f"serving:{server.rest}/v1/models/nope")
    with pytest.raises(ServingError, match="has no signature 'nope'"):
        make_source(f"serving:{server.rest}/v1/models/dcgan,signature=nope")
    with pytest.raises(ServingError, match="answered NOT_FOUND: Servable not found"):
        make_source(f"serving:grpc://{server.grpc}/dcgan/versions/9")


def test_down_endpoint_fails_after_retries_with_the_url():
    from .conftest import free_port

    port = free_port()
    client = ServingClient(f"http://127.0.0.1:{port}/v1/models/dcgan", retries=2, backoff=0.01)
    with pytest.raises(ServingError) as info:
        client.signatures()
    message = str(info.value)
    assert isinstance(info.value, UserError) and "\n" not in message
    assert f"http://127.0.0.1:{port}/v1/models/dcgan is not reachable" in message and "tried 3 times" in message
    grpc_client = ServingClient(f"grpc://127.0.0.1:{port}/dcgan", retries=1, backoff=0.01, timeout=2)
    with pytest.raises(ServingError, match=f"grpc://127.0.0.1:{port}/dcgan is not reachable"):
        grpc_client.signatures()


def test_transient_errors_are_retried_with_backoff(server):
    """A proxy that answers 503 to the first two requests, then forwards to the real server."""
    import urllib.request

    calls = {"n": 0}

    class Flaky(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _forward(self, method):
            calls["n"] += 1
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
            if calls["n"] <= 2:
                data, status = b'{"error": "warming up"}', 503
            else:
                request = urllib.request.Request(server.rest + self.path, data=body, method=method)
                with urllib.request.urlopen(request, timeout=30) as response:
                    data, status = response.read(), response.status
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._forward("GET")

        def do_POST(self):
            self._forward("POST")

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{proxy.server_address[1]}/v1/models/dcgan"
        generator = ServingGenerator(url, client=ServingClient(url, retries=3, backoff=0.01))
        assert generator.sample(3, seed=0)["image"].shape == (3, 32, 32, 3)
        assert calls["n"] >= 5  # two refused + metadata + card + predict
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_url_parsing():
    assert parse_url("http://h:8501/v1/models/m/versions/3") == {"protocol": "http", "netloc": "h:8501", "name": "m",
                                                                "version": 3, "label": None}
    assert parse_url("grpc://h:8500/m/labels/stable")["label"] == "stable"
    with pytest.raises(ServingError):
        parse_url("http://h:8501/m")
