"""TF Serving's response protos built from the repository (shared by the REST and gRPC front ends)."""

from tfskin.serving.repository import AVAILABLE

_STATE_VALUES = {"UNKNOWN": 0, "START": 10, "LOADING": 20, "AVAILABLE": 30, "UNLOADING": 40, "END": 50}


def model_status_response(entries):
    """[(version, state, error message)] -> GetModelStatusResponse (OK status unless there is a message)."""
    from tensorflow_serving.apis import get_model_status_pb2

    response = get_model_status_pb2.GetModelStatusResponse()
    for version, state, message in entries:
        item = response.model_version_status.add()
        item.version = int(version)
        item.state = _STATE_VALUES.get(state, _STATE_VALUES[AVAILABLE])
        item.status.error_code = 2 if message else 0  # UNKNOWN: the load failed (the message says how)
        item.status.error_message = message
    return response


def signature_def_map(servable):
    from tensorflow_serving.apis import get_model_metadata_pb2

    sig_map = get_model_metadata_pb2.SignatureDefMap()
    for name, sig in servable.signature_defs.items():
        sig_map.signature_def[name].CopyFrom(sig)
    return sig_map


def model_metadata_response(servable):
    """GetModelMetadataResponse with the ``signature_def`` metadata field."""
    from tensorflow_serving.apis import get_model_metadata_pb2

    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = servable.name
    response.model_spec.version.value = servable.version
    response.metadata["signature_def"].Pack(signature_def_map(servable))
    return response


def status_json(entries) -> str:
    from google.protobuf import json_format

    return json_format.MessageToJson(model_status_response(entries), always_print_fields_with_no_presence=True,
                                     indent=1) + "\n"


def metadata_json(servable) -> str:
    """As TF Serving's REST metadata answer: model_spec and the SignatureDefMap printed separately with proto
    field names and default values, then joined."""
    import json

    from google.protobuf import json_format

    spec = json_format.MessageToDict(model_metadata_response(servable).model_spec, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)
    sigs = json_format.MessageToDict(signature_def_map(servable), preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)
    return json.dumps({"model_spec": spec, "metadata": {"signature_def": sigs}}, indent=1) + "\n"
