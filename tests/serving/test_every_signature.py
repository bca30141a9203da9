"""Every signature of every tfskin export kind answers each REST request form of TF Serving's API: row
(plain values, or objects), named-input row objects, columnar (bare, or named), with every DT_STRING input sent
as ``{"b64": ...}``; the row and columnar answers agree."""

import base64
import io
import shutil

import numpy as np
import pytest
from PIL import Image

from tfskin.serving.metadata import read_signature_defs

from .conftest import http_json

pytestmark = pytest.mark.slow  # trains (or reuses) one tiny model of each export kind

DT_FLOAT, DT_INT32, DT_STRING = 1, 3, 7
BATCH, FREE_SIZE = 2, 16  # examples per request; the size given to dimensions a signature leaves open


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory, tiny_runs, dcgan_mel_run, dcgan_mask_run):
    """A model base with one export of each kind: unconditional (+ mask), class-conditional, image-to-image
    (float and PNG inputs) and label-map-to-image."""
    root = tmp_path_factory.mktemp("every_kind")
    base = root / "models"
    exports = {"dcgan": dcgan_mel_run.export_path, "dcgan_mask": dcgan_mask_run.export_path}
    for model in ("acgan", "cyclegan", "pix2pixhd"):
        exports[model] = tiny_runs.get(model, "tiny", steps=1).export_path
    for name, path in exports.items():
        shutil.copytree(path, base / name / "1")
    return base


@pytest.fixture(scope="module")
def url(every_kind):
    from tfskin.serving.server import Server

    server = Server(every_kind, port=0, grpc_port=None, poll_seconds=0).start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def _png(rng) -> str:
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (FREE_SIZE, FREE_SIZE, 3), dtype=np.uint8)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def _examples(signature, rng) -> dict:
    """input name -> BATCH JSON values, from the signature's dtypes and shapes."""
    out = {}
    for name, info in signature.inputs.items():
        shape = [d.size if d.size >= 0 else FREE_SIZE for d in info.tensor_shape.dim][1:]
        if info.dtype == DT_STRING:
            out[name] = [{"b64": _png(rng)} for _ in range(BATCH)]
        elif info.dtype == DT_INT32:
            out[name] = np.zeros([BATCH, *shape], np.int32).tolist()
        else:
            assert info.dtype == DT_FLOAT, (name, info.dtype)
            out[name] = rng.random([BATCH, *shape], np.float32).tolist()
    return out


def _cases(base):
    for model in sorted(p.name for p in base.iterdir()):
        for signature in sorted(read_signature_defs(base / model / "1")):
            if not signature.startswith("__"):  # __saved_model_init_op: no inputs, not for serving
                yield model, signature


def test_every_signature_answers_every_request_form(url, every_kind):
    rng = np.random.default_rng(0)
    checked = []
    for model, signature_name in _cases(every_kind):
        signature = read_signature_defs(every_kind / model / "1")[signature_name]
        values = _examples(signature, rng)
        names = sorted(values)
        rows = [{n: values[n][i] for n in names} for i in range(BATCH)]
        forms = {"named row": {"instances": rows}, "named columnar": {"inputs": values}}
        if len(names) == 1:
            forms["row"] = {"instances": values[names[0]]}
            forms["columnar"] = {"inputs": values[names[0]]}
        answers = {}
        for form, body in forms.items():
            status, doc = http_json(f"{url}/v1/models/{model}:predict", {"signature_name": signature_name, **body})
            assert status == 200, (model, signature_name, form, doc)
            answers[form] = doc
        for form, doc in answers.items():
            if "predictions" in doc:
                predictions = doc["predictions"]
                assert len(predictions) == BATCH, (model, signature_name, form)
                as_columns = ({k: [p[k] for p in predictions] for k in predictions[0]}
                              if isinstance(predictions[0], dict) and set(predictions[0]) != {"b64"} else predictions)
                assert as_columns == answers["named columnar"]["outputs"], (model, signature_name, form)
            else:
                assert doc == answers["named columnar"], (model, signature_name, form)
        checked.append((model, signature_name, any(i.dtype == DT_STRING for i in signature.inputs.values())))
    assert {m for m, _, _ in checked} == {"acgan", "cyclegan", "dcgan", "dcgan_mask", "pix2pixhd"}
    assert any(has_string for *_, has_string in checked)  # the b64 forms were exercised
