"""TF Serving's JSON tensor encoding and status-code mapping, unit by unit (no server)."""

import json

import numpy as np
import pytest

from tfskin.serving import json_tensors as jt
from tfskin.serving.errors import HTTP_STATUS, ServingStatus


class _Info:
    def __init__(self, dtype):
        self.dtype = dtype


def test_http_codes_follow_the_reference():
    expected = {"INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400, "NOT_FOUND": 404,
                "ALREADY_EXISTS": 409, "ABORTED": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429,
                "DEADLINE_EXCEEDED": 504, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503, "UNAUTHENTICATED": 401,
                "CANCELLED": 499, "INTERNAL": 500, "UNKNOWN": 500, "DATA_LOSS": 500}
    assert {code: HTTP_STATUS[code] for code in expected} == expected
    assert ServingStatus("NOT_FOUND", "x").to_string() == "NOT_FOUND: x"


def test_floats_are_written_like_tf_serving():
    values = np.array([0.2, 1.0, 9e6, 3e-5, 0.123456789, np.nan, np.inf, -np.inf, -0.0], np.float32)
    text = jt.response_json({"y": values.reshape(1, -1)}, "columnar")
    assert "[0.2, 1.0, 9e+06, 3e-05, 0.123456791, NaN, Infinity, -Infinity, -0.0]" in text
    back = json.loads(text)["outputs"]  # Python's json reads NaN/Infinity like TF Serving's clients
    np.testing.assert_array_equal(np.asarray(back, np.float32)[0, :5], values[:5])


def test_row_format_names_and_bytes():
    out = {"image_png_bytes": np.array([b"\x89PNG", b"ab"], dtype=object), "score": np.array([1, 2], np.int32),
           "tag": np.array([b"x", b"y"], dtype=object)}
    doc = json.loads(jt.response_json(out, "row"))
    assert doc == {"predictions": [{"image_png_bytes": {"b64": "iVBORw=="}, "score": 1, "tag": "x"},
                                   {"image_png_bytes": {"b64": "YWI="}, "score": 2, "tag": "y"}]}
    single = jt.response_json({"y": np.array([[1.5], [2.5]], np.float32)}, "row")
    assert json.loads(single) == {"predictions": [[1.5], [2.5]]}  # one output: its name is dropped
    with pytest.raises(ServingStatus, match="inconsistent batch size: 3 expecting: 2"):
        jt.response_json({"a": np.zeros((2, 1)), "b": np.zeros((3, 1))}, "row")


def test_string_inputs_take_b64_objects_and_plain_strings():
    import tensorflow as tf

    infos = {"image_png": _Info(jt.DT_STRING)}
    inputs, fmt = jt.inputs_from_request({"instances": [{"b64": "aGk="}, "plain"]}, infos)
    assert fmt == "row" and list(inputs["image_png"]) == [b"hi", b"plain"]
    for request in ({"instances": [{"b64": "aGk="}]}, {"instances": [{"image_png": {"b64": "aGk="}}]},
                    {"instances": ["hi"]}):  # the row forms, as TensorFlow receives them
        inputs, _ = jt.inputs_from_request(request, infos)
        assert [type(v) for v in inputs["image_png"]] == [bytes], request
        assert tf.constant(inputs["image_png"]).numpy().tolist() == [b"hi"]
    inputs, fmt = jt.inputs_from_request({"inputs": [{"b64": "aGk="}]}, infos)
    assert fmt == "columnar" and list(inputs["image_png"]) == [b"hi"]
    with pytest.raises(ServingStatus, match="not formatted correctly for base64 data"):
        jt.inputs_from_request({"inputs": [{"b64": "aGk=", "x": 1}]}, infos)


def test_several_inputs_need_objects_and_int32_needs_integers():
    infos = {"noise": _Info(jt.DT_FLOAT), "label": _Info(jt.DT_INT32)}
    inputs, _ = jt.inputs_from_request({"instances": [{"noise": [0.5, 1], "label": 3}]}, infos)
    assert inputs["noise"].dtype == np.float32 and inputs["noise"].shape == (1, 2)
    assert inputs["label"].dtype == np.int32 and list(inputs["label"]) == [3]
    with pytest.raises(ServingStatus, match="instances is a plain list, but expecting list of objects"):
        jt.inputs_from_request({"instances": [[0.5, 1]]}, infos)
    with pytest.raises(ServingStatus, match=r"JSON Value: 2.5 Type: Number is not of expected type: int32"):
        jt.inputs_from_request({"instances": [{"noise": [0.5], "label": 2.5}]}, infos)
    with pytest.raises(ServingStatus, match="must only have keys: label,noise"):
        jt.inputs_from_request({"instances": [{"noise": [0.5]}]}, infos)
    with pytest.raises(ServingStatus, match="inputs is a plain value/list, but expecting an object"):
        jt.inputs_from_request({"inputs": [[0.5]]}, infos)
