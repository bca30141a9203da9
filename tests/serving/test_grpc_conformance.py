"""gRPC conformance with tensorflow-serving-api's own stubs (the real protocol): Predict, GetModelMetadata,
GetModelStatus, and TF Serving's status codes and messages (golden/grpc.json)."""

import json
from pathlib import Path

import grpc
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import json_format
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

GOLDEN = json.loads((Path(__file__).parent / "golden" / "grpc.json").read_text())


@pytest.fixture(scope="module")
def stubs(server):
    channel = grpc.insecure_channel(server.grpc)
    yield (prediction_service_pb2_grpc.PredictionServiceStub(channel), model_service_pb2_grpc.ModelServiceStub(channel))
    channel.close()


def _predict_request(name="dcgan", signature="generate_png", version=None, version_label=None, **inputs):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if version_label is not None:
        request.model_spec.version_label = version_label
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
    return request


def _error(call, request):
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=30)
    return {"code": info.value.code().name, "details": info.value.details()}


NOISE = np.zeros((2, 16), "float32")
ERROR_CASES = {
    "predict_unknown_model": lambda: _predict_request("nope", noise=NOISE),
    "predict_unknown_version": lambda: _predict_request(version=7, noise=NOISE),
    "predict_unknown_label": lambda: _predict_request(version_label="canary", noise=NOISE),
    "predict_unknown_signature": lambda: _predict_request(signature="nope", noise=NOISE),
    "predict_missing_input": lambda: _predict_request(),
    "predict_extra_input": lambda: _predict_request(noise=NOISE, label=np.zeros(2, "int32")),
    "predict_wrong_alias": lambda: _predict_request(latent=NOISE),
    "predict_wrong_shape": lambda: _predict_request(noise=np.zeros((2, 3), "float32")),
    "predict_wrong_dtype": lambda: _predict_request(noise=np.zeros((2, 16), "int32")),
    "predict_name_exact_case": lambda: _predict_request("DCGAN", noise=NOISE),
    "predict_label_exact_case": lambda: _predict_request(version_label="STABLE", noise=NOISE),
    "predict_batch_over_cap": lambda: _predict_request(noise=np.zeros((65, 16), "float32")),
}


def _filtered(request, *names):
    request.output_filter.extend(names)
    return request


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_predict_errors_match_golden(stubs, case):
    assert _error(stubs[0].Predict, ERROR_CASES[case]()) == GOLDEN[case]


def test_output_filter_errors_match_golden(stubs):
    bad = _filtered(_predict_request(signature="generate", noise=NOISE), "nope")
    assert _error(stubs[0].Predict, bad) == GOLDEN["predict_unknown_output_filter"]
    twice = _filtered(_predict_request(signature="generate", noise=NOISE), "image", "image")
    assert _error(stubs[0].Predict, twice) == GOLDEN["predict_duplicate_output_filter"]


def test_predict_equals_the_savedmodel_and_honours_output_filter(stubs, model_base):
    noise = np.random.default_rng(1).standard_normal((4, 16)).astype("float32")
    response = stubs[0].Predict(_filtered(_predict_request(signature="generate", noise=noise), "image"), timeout=30)
    assert list(response.outputs) == ["image"]
    assert response.model_spec.name == "dcgan" and response.model_spec.version.value == 2
    assert response.model_spec.signature_name == "generate"
    loaded = tf.saved_model.load(str(model_base / "dcgan" / "2"))
    want = loaded.signatures["generate"](noise=tf.constant(noise))["image"].numpy()
    np.testing.assert_array_equal(tf.make_ndarray(response.outputs["image"]), want)


def test_versions_labels_and_batch_zero(stubs):
    for kwargs in ({"version": 1}, {"version_label": "stable"}, {}):
        response = stubs[0].Predict(_predict_request(noise=NOISE, **kwargs), timeout=30)
        want = 1 if kwargs else 2
        assert response.model_spec.version.value == want
        assert tf.make_ndarray(response.outputs["image_png_bytes"]).shape == (2,)
    empty = stubs[0].Predict(_predict_request(noise=np.zeros((0, 16), "float32")), timeout=30)
    assert tf.make_ndarray(empty.outputs["image_png_bytes"]).shape == (0,)


def test_metadata_and_status(stubs, server):
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "dcgan_mask"
    response = stubs[0].GetModelMetadata(request, timeout=30)
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(sig_map)
    rest_golden = json.loads((Path(__file__).parent / "golden" / "rest.json").read_text())["metadata_latest"]["body"]
    as_json = json_format.MessageToDict(sig_map, preserving_proto_field_name=True,
                                        always_print_fields_with_no_presence=True)
    assert as_json == rest_golden["metadata"]["signature_def"]  # gRPC and REST report the same signatures
    assert response.model_spec.name == "dcgan_mask" and response.model_spec.version.value == 1

    bad = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["nope"])
    bad.model_spec.name = "dcgan"
    assert _error(stubs[0].GetModelMetadata, bad) == GOLDEN["metadata_unsupported_field"]
    none = get_model_metadata_pb2.GetModelMetadataRequest()
    none.model_spec.name = "dcgan"
    assert _error(stubs[0].GetModelMetadata, none) == GOLDEN["metadata_no_field"]

    status_request = get_model_status_pb2.GetModelStatusRequest()
    status_request.model_spec.name = "dcgan"
    status = stubs[1].GetModelStatus(status_request, timeout=30)
    rest_status = json.loads((Path(__file__).parent / "golden" / "rest.json").read_text())["status_all_versions"]
    assert json_format.MessageToDict(status, always_print_fields_with_no_presence=True) == rest_status["body"]
    status_request.model_spec.name = "nope"
    assert _error(stubs[1].GetModelStatus, status_request) == GOLDEN["status_unknown_model"]
    status_request.model_spec.name = "dcgan"
    status_request.model_spec.version.value = 9
    assert _error(stubs[1].GetModelStatus, status_request) == GOLDEN["status_unknown_version"]
