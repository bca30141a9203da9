"""REST conformance: every endpoint and error of TF Serving's REST API against golden JSON (golden/rest.json),
plus predictions in row and columnar form checked against the SavedModel run locally."""

import base64
import io
import json
import socket
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from .conftest import MAX_BODY_BYTES, http_json
from .rest_cases import CASES

GOLDEN = json.loads((Path(__file__).parent / "golden" / "rest.json").read_text())


def test_golden_covers_every_case():
    assert sorted(GOLDEN) == sorted(name for name, *_ in CASES)


@pytest.mark.parametrize("name, method, path, body", CASES, ids=[c[0] for c in CASES])
def test_endpoint_matches_golden(server, name, method, path, body):
    status, doc = http_json(server.rest + path, body=body, method=method)
    assert (status, doc) == (GOLDEN[name]["status"], GOLDEN[name]["body"])


def _local(model_base, name, version, signature, **inputs):
    loaded = tf.saved_model.load(str(model_base / name / str(version)))
    out = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
    return {k: v.numpy() for k, v in out.items()}


def _png(data):
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.mark.slow
def test_row_and_columnar_predictions_equal_the_savedmodel(server, model_base):
    noise = np.random.default_rng(0).standard_normal((3, 16)).astype("float32")
    local = _local(model_base, "dcgan", 2, "generate", noise=noise)

    status, row = http_json(f"{server.rest}/v1/models/dcgan:predict",
                            {"signature_name": "generate", "instances": noise.tolist()})
    assert status == 200 and len(row["predictions"]) == 3
    assert sorted(row["predictions"][0]) == ["image", "image_png_bytes"]
    np.testing.assert_array_equal(np.asarray([p["image"] for p in row["predictions"]], "float32"), local["image"])
    for p, want in zip(row["predictions"], local["image_png_bytes"]):
        assert base64.b64decode(p["image_png_bytes"]["b64"]) == want

    status, col = http_json(f"{server.rest}/v1/models/dcgan:predict", {"inputs": {"noise": noise.tolist()}})
    assert status == 200 and sorted(col["outputs"]) == ["image", "image_png_bytes"]  # serving_default = generate
    np.testing.assert_array_equal(np.asarray(col["outputs"]["image"], "float32"), local["image"])


def test_single_output_drops_its_name_and_bytes_are_base64(server, model_base):
    noise = np.zeros((2, 16), "float32")
    status, row = http_json(f"{server.rest}/v1/models/dcgan:predict",
                            {"signature_name": "generate_png", "instances": noise.tolist()})
    assert status == 200 and all(set(p) == {"b64"} for p in row["predictions"])
    status, col = http_json(f"{server.rest}/v1/models/dcgan:predict",
                            {"signature_name": "generate_png", "inputs": noise.tolist()})
    assert status == 200 and isinstance(col["outputs"], list) and len(col["outputs"]) == 2
    local = _local(model_base, "dcgan", 2, "generate_png", noise=noise)
    assert [base64.b64decode(v["b64"]) for v in col["outputs"]] == list(local["image_png_bytes"])
    assert _png(base64.b64decode(col["outputs"][0]["b64"])).shape == (32, 32, 3)


def test_mask_model_png_signature_returns_mask_bytes(server):
    status, row = http_json(f"{server.rest}/v1/models/dcgan_mask:predict",
                            {"signature_name": "generate_png", "instances": [[0.5] * 16]})
    assert status == 200 and sorted(row["predictions"][0]) == ["image_png_bytes", "mask_png_bytes"]
    mask = _png(base64.b64decode(row["predictions"][0]["mask_png_bytes"]["b64"]))
    assert mask.shape == (32, 48) and set(np.unique(mask)) <= {0, 255}


def test_versions_and_labels_route_to_their_version(server):
    body = {"signature_name": "generate_png", "instances": [[0.1] * 16]}
    for path in ("/versions/1", "/labels/stable", "/versions/2", "/LABELS/stable"):
        status, doc = http_json(f"{server.rest}/v1/models/dcgan{path}:predict", body)
        assert status == 200 and len(doc["predictions"]) == 1, (path, doc)
    status, meta = http_json(f"{server.rest}/v1/models/dcgan/labels/stable/metadata")
    assert status == 200 and meta["model_spec"] == {"name": "dcgan", "signature_name": "", "version": "1"}


def test_special_floats_and_batch_zero(server):
    status, doc = http_json(f"{server.rest}/v1/models/dcgan:predict",
                            b'{"signature_name": "generate_png", "instances": [[NaN, Infinity, -Infinity'
                            + b", 0" * 13 + b"]]}")
    assert status == 200 and len(doc["predictions"]) == 1
    status, doc = http_json(f"{server.rest}/v1/models/dcgan:predict",
                            {"signature_name": "generate_png", "inputs": {"noise": []}})
    assert status == 400 and "does not match the signature" in doc["error"]  # shape [0] is not [-1, 16]


def test_oversized_body_is_refused_and_the_server_survives(server):
    size = MAX_BODY_BYTES + 1
    with socket.create_connection(("127.0.0.1", server.rest_port), timeout=10) as sock:
        sock.sendall(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {size}\r\n\r\n".encode())
        chunks = []
        while True:  # the server answers and closes without reading the body
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
        answer = b"".join(chunks).decode()
    assert answer.startswith("HTTP/1.1 413") and f"exceeds the limit of {MAX_BODY_BYTES} bytes" in answer
    assert http_json(f"{server.rest}/v1/models/dcgan")[0] == 200


def test_card_route(server):
    status, card = http_json(f"{server.rest}/v1/models/dcgan/card")
    assert status == 200 and card["model"] == "dcgan" and card["preset"] == "tiny"
    assert card["data"]["classes"] == ["MEL"] and "generate_png" in card["signatures"]
    assert card["signatures"]["generate"]["inputs"]["noise"] == {"dtype": "DT_FLOAT", "shape": [-1, 16]}
    status, doc = http_json(f"{server.rest}/v1/models/nope/card")
    assert status == 404 and doc == {"error": "Servable not found for request: Latest(nope)"}
