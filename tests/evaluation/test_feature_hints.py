"""Without Inception weights, the errors point at the offline choice: domain features of a tfskin classifier."""

import pytest

from tfskin.errors import UserError
from tfskin.evaluation.features import make_feature_network


def test_a_missing_inception_graph_points_at_classifier_features(tmp_path):
    with pytest.raises(UserError, match="classifier:DIR"):
        make_feature_network(f"inception-graph:{tmp_path / 'classify_image_graph_def.pb'}")


def test_imagenet_weights_that_cannot_be_fetched_point_at_classifier_features(monkeypatch):
    import keras

    def offline(**kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")

    monkeypatch.setattr(keras.applications, "InceptionV3", offline)
    with pytest.raises(UserError, match="could not be fetched.*classifier:DIR"):
        make_feature_network("keras-inception-v3:imagenet")
