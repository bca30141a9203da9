"""Feature networks (the Inception-graph loader on a stand-in graph with the same tensor names) and
memorization checks against brute force."""

import hashlib

import numpy as np
import pytest
import tensorflow as tf

from tfskin.evaluation import features, memorization


def _write_standin_inception_graph(path, channels=2048):
    """A tiny graph with the classic graph's tensor names: DecodeJpeg/contents -> ExpandDims -> (resize, Sub,
    Mul, conv) -> pool_3 (N, 1, 1, 2048)."""
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(1, 1, 3, channels)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        contents = tf.compat.v1.placeholder(tf.string, [], name="DecodeJpeg/contents")
        decoded = tf.io.decode_jpeg(contents, channels=3, name="DecodeJpeg")
        cast = tf.cast(decoded, tf.float32, name="Cast")
        expand = tf.expand_dims(cast, 0, name="ExpandDims")
        resized = tf.compat.v1.image.resize_bilinear(expand, [8, 8], name="ResizeBilinear")
        normalized = tf.multiply(tf.subtract(resized, 128.0, name="Sub"), 1.0 / 128.0, name="Mul")
        conv = tf.nn.relu(tf.nn.conv2d(normalized, tf.constant(kernel), 1, "VALID"), name="mixed_10/join")
        tf.nn.avg_pool2d(conv, 8, 8, "VALID", name="pool_3")
    path.write_bytes(g.as_graph_def().SerializeToString())
    return g


def test_inception_graph_loader_matches_per_image_session(tmp_path):
    path = tmp_path / "classify_image_graph_def.pb"
    graph = _write_standin_inception_graph(path)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (5, 20, 24, 3), dtype=np.uint8)
    net = features.make_feature_network(f"inception-graph:{path}")
    got = net(images)
    # a stand-in with the right tensor names is not the published graph: no "comparable to papers" stamp
    assert got.shape == (5, 2048) and not net.comparable_to_papers
    assert net.describe()["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    with tf.compat.v1.Session(graph=graph) as sess:
        for i in range(5):
            direct = sess.run("pool_3:0", {"ExpandDims:0": images[i:i + 1].astype(np.float32)})
            np.testing.assert_allclose(got[i], direct.reshape(-1), rtol=1e-5, atol=1e-5)


def test_inception_graph_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="classify_image_graph_def"):
        features.make_feature_network(f"inception-graph:{tmp_path / 'missing.pb'}")
    bad = tmp_path / "bad.pb"
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0, name="something")
    bad.write_bytes(g.as_graph_def().SerializeToString())
    with pytest.raises(ValueError, match="ExpandDims"):
        features.InceptionGraphFeatures(bad)
    with pytest.raises(ValueError, match="unknown feature network"):
        features.make_feature_network("vgg")


def test_keras_inception_missing_weights_file_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file"):
        features.KerasInceptionV3Features(tmp_path / "nope.weights.h5")


@pytest.mark.slow
def test_keras_inception_honours_local_weights_file(tmp_path):
    import keras

    keras.utils.set_random_seed(3)
    reference = keras.applications.InceptionV3(include_top=False, pooling="avg", input_shape=(299, 299, 3),
                                               weights=None)
    path = tmp_path / "inception.weights.h5"
    reference.save_weights(path)
    net = features.KerasInceptionV3Features(path)
    assert "NOT comparable" in net.name
    images = np.random.default_rng(0).integers(0, 256, (2, 40, 40, 3), dtype=np.uint8)
    x = keras.ops.image.resize(images.astype(np.float32), (299, 299))
    expected = keras.ops.convert_to_numpy(reference(keras.applications.inception_v3.preprocess_input(x)))
    np.testing.assert_allclose(net(images), expected, rtol=1e-4, atol=1e-4)


def test_nearest_neighbours_brute_force():
    rng = np.random.default_rng(2)
    q, r = rng.normal(size=(30, 7)), rng.normal(size=(50, 7))
    idx, dist = memorization.nearest_neighbours(q, r, block=7)
    for i in range(30):
        d = np.linalg.norm(r - q[i], axis=1)
        assert idx[i] == d.argmin() and dist[i] == pytest.approx(d.min())


def test_memorization_flags_copies(tmp_path):
    rng = np.random.default_rng(3)
    train = rng.integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
    test = rng.integers(0, 256, (20, 16, 16, 3), dtype=np.uint8)
    copies = train[[3, 7, 11]]
    fresh = rng.integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)
    synthetic = np.concatenate([copies, fresh])
    rep = memorization.memorization_report(train, synthetic, test, pixel_size=16,
                                           closest_pairs_png=tmp_path / "pairs.png", num_pairs=4)
    pix = rep["pixel"]
    assert pix["nearest_train_index"][:3] == [3, 7, 11]
    assert pix["distance"][:3] == pytest.approx([0, 0, 0], abs=1e-6)
    assert pix["share_below_baseline_p01"] == pytest.approx(3 / 8)
    # direct RMS distance of a fresh image to its nearest training image
    d = np.sqrt(((train.astype(float) / 255 - fresh[0].astype(float) / 255) ** 2).mean(axis=(1, 2, 3)))
    assert pix["distance"][3] == pytest.approx(d.min(), rel=1e-6)
    from PIL import Image

    assert Image.open(rep["closest_pairs_png"]).size == (4 * 18 + 2, 34 + 2)


def test_inception_graph_is_stamped_comparable_only_by_its_digest(tmp_path, monkeypatch):
    path = tmp_path / "classify_image_graph_def.pb"
    _write_standin_inception_graph(path, channels=8)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(features, "INCEPTION_2015_SHA256", "0" * 64)
    other = features.InceptionGraphFeatures(path)
    assert not other.comparable_to_papers and "differs" in other.comparability_note
    assert "NOT verified" in other.name
    monkeypatch.setattr(features, "INCEPTION_2015_SHA256", digest)  # pretend this file were the published one
    same = features.InceptionGraphFeatures(path)
    assert same.comparable_to_papers and "matches" in same.comparability_note


def test_keras_inception_without_weights_builds():
    net = features.make_feature_network("keras-inception-v3:none")
    assert "random init" in net.name and "NOT comparable" in net.name and not net.comparable_to_papers


def test_memorization_lists_flagged_samples(tmp_path):
    rng = np.random.default_rng(4)
    train = rng.integers(0, 256, (30, 8, 8, 3), dtype=np.uint8)
    test = rng.integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
    synthetic = np.concatenate([rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8), train[[9, 2]]])
    rep = memorization.memorization_report(train, synthetic, test, pixel_size=8, closest_pairs_png=tmp_path / "p.png")
    flagged = rep["pixel"]["flagged"]
    assert flagged["count"] == 2
    assert [(f["synthetic_index"], f["nearest_train_index"]) for f in flagged["samples"]] in (
        [(4, 9), (5, 2)], [(5, 2), (4, 9)])
    assert all(f["distance"] < flagged["threshold"] for f in flagged["samples"])
    base = np.sort(rep["pixel"]["distance"])
    assert [c["distance"] for c in rep["pixel"]["closest"][:3]] == pytest.approx(base[:3].tolist())
    assert (tmp_path / "p.png").is_file()


def test_classifier_features_see_the_images_the_classifier_sees(tmp_path):
    """``classifier:PATH`` features equal the classifier's own penultimate layer on the same uint8 images (float
    images in [0, 1] too), and differ between different images: the network hands the classifier its pixels on
    the scale it reads (a float 0..255 array read as [0, 1] saturates to white, every image the same features)."""
    from tfskin.evaluation.classifier import ClassifierConfig, train_classifier

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (24, 16, 16, 3), dtype=np.uint8)
    labels = np.arange(24) % 2
    config = ClassifierConfig(task="melanoma", backbone="small_cnn", width=4, image_size=(16, 16), epochs=1,
                              batch_size=8, tta=1, seed=0)
    train_classifier(config, images, labels).save(tmp_path / "clf")
    network = features.make_feature_network(f"classifier:{tmp_path / 'clf'}")
    direct = network.classifier.features(images)
    assert np.allclose(network(images), direct, atol=1e-5)
    assert np.allclose(network(images.astype(np.float32) / 255.0), direct, atol=1e-5)
    out = network(images)
    assert np.abs(out[0] - out[1]).max() > 1e-3 * (np.abs(out).max() + 1e-12)
