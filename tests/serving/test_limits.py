"""Per-request limits (batch cap, response size) unit by unit: no server."""

import numpy as np
import pytest

from tfskin.serving.errors import ServingStatus
from tfskin.serving.json_tensors import request_batch_size
from tfskin.serving.limits import JSON_BYTES_PER_FLOAT, RequestLimits


def _signature(**outputs):
    """A SignatureDef whose outputs have the given (dtype, shape) pairs."""
    from tensorflow.core.protobuf import meta_graph_pb2

    sig = meta_graph_pb2.SignatureDef()
    for name, (dtype, shape) in outputs.items():
        info = sig.outputs[name]
        info.dtype = dtype
        for size in shape:
            info.tensor_shape.dim.add().size = size
    return sig


def test_batch_cap_answers_like_tf_servings_batcher():
    limits = RequestLimits(max_batch=8)
    limits.check_batch(8)
    with pytest.raises(ServingStatus, match="^Task size 9 is larger than maximum input batch size 8$") as err:
        limits.check_batch(9)
    assert err.value.http_status == 400


def test_cap_is_lowered_so_that_a_json_response_stays_under_the_limit():
    image = _signature(image=(1, [-1, 32, 32, 3]), image_png_bytes=(7, [-1]))
    per_example = 32 * 32 * 3 * JSON_BYTES_PER_FLOAT
    limits = RequestLimits(max_batch=256, max_response_bytes=10 * per_example)
    assert limits.batch_cap(image) == 10
    with pytest.raises(ServingStatus, match="maximum input batch size 10 .*--max-response-bytes"):
        limits.check_batch(11, image)
    unknown = _signature(image=(1, [-1, -1, -1, 3]))  # sized by the request: measured once computed
    assert limits.batch_cap(unknown) == 256
    assert RequestLimits(max_batch=4, max_response_bytes=10 * per_example).batch_cap(image) == 4


def test_response_limit_measures_floats_and_strings():
    limits = RequestLimits(max_response_bytes=1000)
    limits.check_response({"y": np.zeros((2, 10), np.float32), "png": np.array([b"x" * 300], dtype=object)})
    with pytest.raises(ServingStatus, match="exceeds the limit of 1000 bytes"):
        limits.check_response({"y": np.zeros((8, 10), np.float32)})
    with pytest.raises(ServingStatus, match="exceeds the limit of 1000 bytes"):
        limits.check_response({"png": np.array([b"x" * 400, b"y" * 400], dtype=object)})


def test_request_batch_size_reads_every_request_form():
    assert request_batch_size({"instances": [[0.0]] * 5}) == 5
    assert request_batch_size({"inputs": [[0.0]] * 3}) == 3
    assert request_batch_size({"inputs": {"noise": [[0.0]] * 4, "label": [1, 2, 3, 4]}}) == 4
    assert request_batch_size({"inputs": {"b64": "aGk="}}) == 0
