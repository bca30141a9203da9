"""TF Serving's ``MonitoringConfig`` and ``BatchingParameters`` messages, for checking config files.

``tensorflow-serving-api`` (2.21) ships ``model_server_config_pb2`` but not ``monitoring_config_pb2`` or
``session_bundle_config_pb2``. When those modules are missing, equivalent message classes are built here from
the messages' published schema (package ``tensorflow.serving``, same field names, numbers and types as
``tensorflow_serving/config/monitoring_config.proto`` and ``servables/tensorflow/session_bundle_config.proto``),
so ``text_format`` parses the files as strictly as ``tensorflow_model_server`` does: an unknown field fails.
"""

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    text_format,
    wrappers_pb2,  # noqa: F401 (registers google/protobuf/wrappers.proto in the pool)
)

_F = descriptor_pb2.FieldDescriptorProto
_FILE = "tfskin/serving/tf_serving_config_schema.proto"
_classes = {}


def _field(message, name, number, kind, type_name=None, repeated=False):
    field = message.field.add(name=name, number=number, type=kind,
                              label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL)
    if type_name:
        field.type_name = type_name


def _build():
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(_FILE)
    except KeyError:
        f = descriptor_pb2.FileDescriptorProto(name=_FILE, package="tensorflow.serving.tfskin_schema",
                                               syntax="proto3", dependency=["google/protobuf/wrappers.proto"])
        prometheus = f.message_type.add(name="PrometheusConfig")
        _field(prometheus, "enable", 1, _F.TYPE_BOOL)
        _field(prometheus, "path", 2, _F.TYPE_STRING)
        monitoring = f.message_type.add(name="MonitoringConfig")
        _field(monitoring, "prometheus_config", 1, _F.TYPE_MESSAGE,
               ".tensorflow.serving.tfskin_schema.PrometheusConfig")
        batching = f.message_type.add(name="BatchingParameters")
        for name, number in (("max_batch_size", 1), ("batch_timeout_micros", 2), ("max_enqueued_batches", 3),
                             ("num_batch_threads", 4)):
            _field(batching, name, number, _F.TYPE_MESSAGE, ".google.protobuf.Int64Value")
        _field(batching, "thread_pool_name", 5, _F.TYPE_MESSAGE, ".google.protobuf.StringValue")
        _field(batching, "allowed_batch_sizes", 6, _F.TYPE_INT64, repeated=True)
        _field(batching, "pad_variable_length_inputs", 7, _F.TYPE_BOOL)
        pool.Add(f)
    for name in ("MonitoringConfig", "BatchingParameters"):
        _classes[name] = message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"tensorflow.serving.tfskin_schema.{name}"))


def monitoring_config_class():
    try:
        from tensorflow_serving.config import monitoring_config_pb2

        return monitoring_config_pb2.MonitoringConfig
    except ImportError:
        if not _classes:
            _build()
        return _classes["MonitoringConfig"]


def batching_parameters_class():
    try:
        from tensorflow_serving.servables.tensorflow import session_bundle_config_pb2

        return session_bundle_config_pb2.BatchingParameters
    except ImportError:
        if not _classes:
            _build()
        return _classes["BatchingParameters"]


def parse_monitoring_config(text: str):
    return text_format.Parse(text, monitoring_config_class()())


def parse_batching_parameters(text: str):
    """Parsed, plus TF Serving's own checks: allowed_batch_sizes increasing and ending at max_batch_size."""
    params = text_format.Parse(text, batching_parameters_class()())
    sizes = list(params.allowed_batch_sizes)
    if sizes:
        if sizes != sorted(set(sizes)):
            raise ValueError("allowed_batch_sizes must be increasing")
        if params.HasField("max_batch_size") and sizes[-1] != params.max_batch_size.value:
            raise ValueError("the last allowed_batch_sizes entry must equal max_batch_size")
    return params
