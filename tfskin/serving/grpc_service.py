"""TF Serving's gRPC ``PredictionService`` (Predict, GetModelMetadata) and ``ModelService`` (GetModelStatus),
implemented on tensorflow-serving-api's generated servicers."""

import logging
import time
from concurrent import futures

import grpc
from tensorflow_serving.apis import (
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from tfskin.serving import protos
from tfskin.serving.errors import ServingStatus, invalid
from tfskin.serving.limits import DEFAULT_REQUEST_LIMITS, RequestLimits
from tfskin.serving.repository import check_input_shapes

log = logging.getLogger("tfskin.serving")


def _spec(model_spec):
    version = model_spec.version.value if model_spec.HasField("version") else None
    label = model_spec.version_label if model_spec.WhichOneof("version_choice") == "version_label" else None
    return model_spec.name, version, label


def _abort(context, err: ServingStatus):
    context.abort(getattr(grpc.StatusCode, err.code, grpc.StatusCode.UNKNOWN), err.message)


class _Logged:
    def _log(self, method, request_name, code, started):
        log.info("gRPC %s %s %s %.1fms", method, request_name, code, 1000 * (time.perf_counter() - started))


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer, _Logged):
    def __init__(self, repository, limits: RequestLimits = DEFAULT_REQUEST_LIMITS):
        self.repository = repository
        self.limits = limits

    def Predict(self, request, context):
        import tensorflow as tf

        started = time.perf_counter()
        try:
            name, version, label = _spec(request.model_spec)
            servable = self.repository.servable(name, version, label)
            key = request.model_spec.signature_name or "serving_default"
            signature = servable.signature(key)
            if signature is None:
                raise ServingStatus("FAILED_PRECONDITION", f'Serving signature key "{key}" not found.')
            sent, wanted = set(request.inputs), set(signature.inputs)
            if len(sent) != len(wanted):
                raise invalid(
                    f"input size does not match signature: {len(sent)}!={len(wanted)} len({{{','.join(sorted(sent))}}})"
                    f" != len({{{','.join(sorted(wanted))}}}). Sent extra: {{{','.join(sorted(sent - wanted))}}}. "
                    f"Missing but required: {{{','.join(sorted(wanted - sent))}}}.")
            batch = max((t.tensor_shape.dim[0].size for t in request.inputs.values() if t.tensor_shape.dim),
                        default=0)
            self.limits.check_batch(batch)  # gRPC has no JSON to grow: the response limit is its message limit
            inputs = {}
            for alias, tensor in request.inputs.items():
                if alias not in signature.inputs:
                    raise invalid(f"input tensor alias not found in signature: {alias}. Inputs expected to be in "
                                  f"the set {{{','.join(sorted(wanted))}}}.")
                try:
                    inputs[alias] = tf.make_ndarray(tensor)
                except Exception:
                    raise invalid(f"tensor parsing error: {alias}") from None
                if tensor.dtype != signature.inputs[alias].dtype:
                    raise invalid(f"Expects arg for {alias} to be "
                                  f"{tf.dtypes.as_dtype(signature.inputs[alias].dtype).name} but "
                                  f"{tf.dtypes.as_dtype(tensor.dtype).name} is provided")
            check_input_shapes(signature, inputs)
            seen = set()
            for alias in request.output_filter:
                if alias not in signature.outputs:
                    raise invalid(f"output tensor alias not found in signature: {alias} Outputs expected to be in "
                                  f"the set {{{','.join(sorted(signature.outputs))}}}.")
                if alias in seen:
                    raise invalid(f"duplicate output tensor alias: {alias}")
                seen.add(alias)
            outputs = servable.run(key, inputs, output_filter=list(request.output_filter))
            response = predict_pb2.PredictResponse()
            response.model_spec.name = servable.name
            response.model_spec.version.value = servable.version
            response.model_spec.signature_name = key
            for alias, value in outputs.items():
                response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
            self._log("Predict", f"{name}/{servable.version}:{key}", "OK", started)
            return response
        except ServingStatus as err:
            self._log("Predict", request.model_spec.name, err.code, started)
            _abort(context, err)

    def GetModelMetadata(self, request, context):
        started = time.perf_counter()
        try:
            if not request.HasField("model_spec"):
                raise invalid("Missing ModelSpec")
            fields = list(request.metadata_field)
            if not fields:
                raise invalid("GetModelMetadataRequest must specify at least one metadata_field")
            for field in fields:
                if field != "signature_def":
                    raise invalid(f"Metadata field {field} is not supported")
            servable = self.repository.servable(*_spec(request.model_spec))
            self._log("GetModelMetadata", servable.name, "OK", started)
            return protos.model_metadata_response(servable)
        except ServingStatus as err:
            self._log("GetModelMetadata", request.model_spec.name, err.code, started)
            _abort(context, err)


class ModelService(model_service_pb2_grpc.ModelServiceServicer, _Logged):
    def __init__(self, repository):
        self.repository = repository

    def GetModelStatus(self, request, context):
        started = time.perf_counter()
        try:
            if not request.HasField("model_spec"):
                raise invalid("Missing ModelSpec")
            entries = self.repository.status(*_spec(request.model_spec))
            self._log("GetModelStatus", request.model_spec.name, "OK", started)
            return protos.model_status_response(entries)
        except ServingStatus as err:
            self._log("GetModelStatus", request.model_spec.name, err.code, started)
            _abort(context, err)


def make_grpc_server(repository, host: str, port: int, workers: int = 8, max_message_bytes: int = 64 * 1024 * 1024,
                     limits: RequestLimits = DEFAULT_REQUEST_LIMITS):
    """A ready (not yet started) grpc.Server and the port it bound; OSError when the port cannot be bound."""
    options = [("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", max_message_bytes),
               ("grpc.max_send_message_length", max_message_bytes)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tfskin-grpc"),
                         options=options, maximum_concurrent_rpcs=4 * workers)  # beyond: RESOURCE_EXHAUSTED
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService(repository, limits), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(repository), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:  # grpcio raises where older versions returned 0
        bound = 0
    if not bound:
        raise OSError(f"could not bind gRPC port {host}:{port}")
    return server, bound

