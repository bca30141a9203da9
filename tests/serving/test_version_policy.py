"""models.config version policies and labels as TF Serving reads them (no server)."""

from tfskin.serving.models_config import parse_models_config
from tfskin.serving.version_policy import DEFAULT_POLICY, VersionPolicy, settings_from_config


def test_policies_select_versions_like_tf_serving():
    available = {1, 2, 5}
    assert DEFAULT_POLICY.select(available) == {5}  # TF Serving's default: latest { num_versions: 1 }
    assert VersionPolicy("latest", count=2).select(available) == {2, 5}
    assert VersionPolicy("all").select(available) == available
    assert VersionPolicy("specific", versions=frozenset({1, 3})).select(available) == {1}
    assert VersionPolicy("latest", count=4).select(set()) == set()


def test_settings_are_read_per_model():
    config = parse_models_config("""
model_config_list {
  config { name: "a" base_path: "/models/a" model_platform: "tensorflow"
           model_version_policy { specific { versions: 1 versions: 3 } }
           version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 3 } }
  config { name: "b" base_path: "/models/b" model_platform: "tensorflow" model_version_policy { all {} } }
  config { name: "c" base_path: "/models/c" model_platform: "tensorflow" }
}""")
    settings = settings_from_config(config)
    assert settings["a"].policy == VersionPolicy("specific", versions=frozenset({1, 3}))
    assert settings["a"].labels == {"stable": 1, "canary": 3}
    assert settings["b"].policy.kind == "all" and settings["b"].labels == {}
    assert settings["c"].policy == DEFAULT_POLICY
    assert settings["a"].policy.describe() == "specific { versions: 1 versions: 3 }"
