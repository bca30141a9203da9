"""The REST conformance cases: (case name, method, path, body). Expected answers are in golden/rest.json;
each error's code and wording follow TF Serving (see shared/reference/tf_serving_api.md and the messages of
tensorflow_serving/util/json_tensor.cc and model_servers/http_rest_api_*.cc)."""

NOISE = [0.0] * 16

CASES = [
    # status
    ("status_all_versions", "GET", "/v1/models/dcgan", None),
    ("status_version", "GET", "/v1/models/dcgan/versions/1", None),
    ("status_label", "GET", "/v1/models/dcgan/labels/stable", None),
    ("status_case_insensitive", "GET", "/V1/MODELS/dcgan/VERSIONS/2", None),
    ("status_name_exact_case", "GET", "/v1/models/DCGAN", None),
    ("status_label_exact_case", "GET", "/v1/models/dcgan/labels/STABLE", None),
    ("status_unknown_model", "GET", "/v1/models/nope", None),
    ("status_unknown_version", "GET", "/v1/models/dcgan/versions/7", None),
    ("status_unknown_label", "GET", "/v1/models/dcgan/labels/canary", None),
    ("status_missing_model_name", "GET", "/v1/models", None),
    # metadata
    ("metadata_latest", "GET", "/v1/models/dcgan_mask/metadata", None),
    ("metadata_unknown_model", "GET", "/v1/models/nope/metadata", None),
    ("metadata_unknown_version", "GET", "/v1/models/dcgan/versions/9/metadata", None),
    # routing
    ("malformed_get", "GET", "/v1/foo", None),
    ("malformed_post_metadata", "POST", "/v1/models/dcgan/metadata", b"{}"),
    ("malformed_version_and_label", "POST", "/v1/models/dcgan/versions/1/labels/stable:predict", b"{}"),
    ("malformed_get_predict", "GET", "/v1/models/dcgan:predict", None),
    ("malformed_method", "DELETE", "/v1/models/dcgan", None),
    ("malformed_method_patch", "PATCH", "/v1/models/dcgan", b"{}"),
    ("malformed_method_unknown", "BREW", "/v1/models/dcgan", None),
    ("version_overflow", "POST", "/v1/models/dcgan/versions/99999999999999999999:predict", b"{}"),
    ("classify_unimplemented", "POST", "/v1/models/dcgan:classify", b'{"examples": [{}]}'),
    # predict errors
    ("predict_unknown_model", "POST", "/v1/models/nope:predict", {"instances": [NOISE]}),
    ("predict_unknown_version", "POST", "/v1/models/dcgan/versions/5:predict", {"instances": [NOISE]}),
    ("predict_unknown_label", "POST", "/v1/models/dcgan/labels/canary:predict", {"instances": [NOISE]}),
    ("predict_name_exact_case", "POST", "/v1/models/DCGAN:predict", {"instances": [NOISE]}),
    ("predict_label_exact_case", "POST", "/v1/models/dcgan/labels/Stable:predict", {"instances": [NOISE]}),
    ("predict_batch_over_cap", "POST", "/v1/models/dcgan:predict", {"signature_name": "generate_png",
                                                                  "instances": [NOISE] * 65}),
    ("predict_unknown_signature", "POST", "/v1/models/dcgan:predict", {"signature_name": "nope", "instances": [NOISE]}),
    ("predict_signature_not_string", "POST", "/v1/models/dcgan:predict", {"signature_name": 3, "instances": [NOISE]}),
    ("predict_empty_body", "POST", "/v1/models/dcgan:predict", b""),
    ("predict_bad_json", "POST", "/v1/models/dcgan:predict", b"instances = [1, 2]"),
    ("predict_not_object", "POST", "/v1/models/dcgan:predict", [1, 2]),
    ("predict_nested_too_deeply", "POST", "/v1/models/dcgan:predict", b'{"instances": ' + b"[" * 100000 + b"]" * 100000
     + b"}"),
    ("predict_both_keys", "POST", "/v1/models/dcgan:predict", {"instances": [NOISE], "inputs": [NOISE]}),
    ("predict_neither_key", "POST", "/v1/models/dcgan:predict", {"signature_name": "generate"}),
    ("predict_empty_instances", "POST", "/v1/models/dcgan:predict", {"instances": []}),
    ("predict_instances_not_list", "POST", "/v1/models/dcgan:predict", {"instances": 3}),
    ("predict_wrong_type", "POST", "/v1/models/dcgan:predict", {"instances": ["x", "y"]}),
    ("predict_ragged_instances", "POST", "/v1/models/dcgan:predict", {"instances": [NOISE, NOISE[:3]]}),
    ("predict_mixed_instances", "POST", "/v1/models/dcgan:predict", {"instances": [NOISE, {"noise": NOISE}]}),
    ("predict_object_wrong_key", "POST", "/v1/models/dcgan:predict", {"instances": [{"latent": NOISE}]}),
    ("predict_wrong_width", "POST", "/v1/models/dcgan:predict", {"instances": [[0.0, 1.0]]}),
    ("predict_columnar_missing_input", "POST", "/v1/models/dcgan:predict", {"inputs": {"latent": [NOISE]}}),
    ("predict_lossy_float", "POST", "/v1/models/dcgan:predict", {"instances": [[16777217] + NOISE[1:]]}),
    ("predict_object_for_float", "POST", "/v1/models/dcgan:predict", {"instances": [[{"b64": "AAAA"}] + NOISE[1:]]}),
    ("predict_nested_too_deep", "POST", "/v1/models/dcgan:predict", {"instances": [[[0.0]] + NOISE[1:]]}),
]
