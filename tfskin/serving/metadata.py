"""Signature definitions read straight from ``saved_model.pb`` (no graph is loaded): what TF Serving reports
as model metadata, and what the model card lists."""

from pathlib import Path


def read_saved_model_proto(saved_model_dir):
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((Path(saved_model_dir) / "saved_model.pb").read_bytes())
    return proto


def read_signature_defs(saved_model_dir) -> dict:
    """name -> SignatureDef proto of the "serve" meta graph (the first one when none is tagged "serve")."""
    proto = read_saved_model_proto(saved_model_dir)
    graphs = list(proto.meta_graphs)
    if not graphs:
        return {}
    chosen = next((g for g in graphs if "serve" in g.meta_info_def.tags), graphs[0])
    return dict(chosen.signature_def)
