"""Classifier: schedule, weights handling, and learning on phantoms."""

import time

import numpy as np
import pytest

from tfskin.config import ConfigError
from tfskin.evaluation import classifier as clf
from tfskin.evaluation.real_data import load_arrays


def test_one_cycle_schedule_shape():
    s = clf.OneCycleSchedule(1e-2, 100, pct_start=0.3, div_factor=25, final_div_factor=1e4)
    lrs = np.array([float(s(i)) for i in range(101)])
    assert lrs[0] == pytest.approx(1e-2 / 25, rel=1e-5)
    assert lrs.argmax() == 30 and lrs.max() == pytest.approx(1e-2, rel=1e-5)
    assert lrs[100] == pytest.approx(1e-2 / 25 / 1e4, rel=1e-3)
    assert np.all(np.diff(lrs[:31]) > 0) and np.all(np.diff(lrs[30:]) < 0)


def test_task_labels():
    y = np.array([0, 1, 2, 7, -1])  # MEL NV BCC SCC unknown
    assert clf.task_labels("malignant", y).tolist() == [1, 0, 1, 1, -1]
    assert clf.task_labels("melanoma", y).tolist() == [1, 0, 0, 0, -1]
    assert clf.task_labels("multiclass", y, ("NV", "MEL")).tolist() == [1, 0, -1, -1, -1]
    assert clf.task_label_of_classes("malignant", ("MEL", "BCC")) == 1
    assert clf.task_label_of_classes("malignant", ("MEL", "NV")) == -1


def test_weights_errors_and_local_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file"):
        clf.build_classifier(clf.ClassifierConfig(backbone="resnet50", weights=str(tmp_path / "x.h5")), 2)
    with pytest.raises(ConfigError, match="at least 75x75"):
        clf.ClassifierConfig(backbone="inception_v3", image_size=(64, 64))
    with pytest.raises(ConfigError, match="backbone"):
        clf.ClassifierConfig(backbone="vgg")


@pytest.mark.slow
def test_keras_application_backbone_loads_local_weights(tmp_path):
    import keras

    keras.utils.set_random_seed(1)
    base = keras.applications.ResNet50(include_top=False, pooling="avg", input_shape=(32, 32, 3), weights=None)
    path = tmp_path / "resnet50_notop.weights.h5"
    base.save_weights(path)
    model = clf.build_classifier(clf.ClassifierConfig(backbone="resnet50", image_size=(32, 32), weights=str(path)), 2)
    inner = next(layer for layer in model.layers if layer.name.startswith("resnet50"))
    np.testing.assert_array_equal(inner.get_weights()[0], base.get_weights()[0])
    for name in ("inception_v3", "efficientnet_b0"):
        size = (75, 75) if name == "inception_v3" else (32, 32)
        m = clf.build_classifier(clf.ClassifierConfig(backbone=name, image_size=size), 3)
        assert m.output_shape == (None, 3)


@pytest.fixture(scope="module")
def phantom_task():
    train = load_arrays("phantoms", "train", (48, 48), num_examples=400)
    test = load_arrays("phantoms", "test", (48, 48), num_examples=200)
    return train, test


@pytest.mark.slow
def test_small_cnn_learns_malignancy_on_phantoms(phantom_task, tmp_path):
    train, test = phantom_task
    config = clf.ClassifierConfig(task="malignant", image_size=(48, 48), epochs=20, width=16, tta=4, seed=0)
    y_train = clf.task_labels("malignant", train["label"])
    y_test = clf.task_labels("malignant", test["label"])
    start = time.perf_counter()
    model = clf.train_classifier(config, train["image"], y_train)
    before = clf.build_classifier(config, 2)  # the same network untrained
    report = clf.evaluate_classifier(model, test["image"], y_test, out_dir=tmp_path / "eval")
    print(f"small_cnn phantoms malignant AUC {report['auc']:.3f} ({time.perf_counter() - start:.1f} s)")
    assert report["auc"] > 0.7  # chance is 0.5; measured ~0.78 (phantom classes overlap on purpose)
    assert model.history["loss"][-1] < model.history["loss"][0]
    assert (tmp_path / "eval" / "confusion_matrix.png").is_file() and (tmp_path / "eval" / "roc_curve.png").is_file()
    # save / load round trip keeps predictions and exposes penultimate features
    model.save(tmp_path / "clf")
    loaded = clf.load_classifier(tmp_path / "clf")
    np.testing.assert_allclose(loaded.predict(test["image"][:8], tta=1), model.predict(test["image"][:8], tta=1),
                               atol=1e-5)
    assert loaded.features(test["image"][:3]).shape == (3, 128)
    del before



def test_small_cnn_batch_norm_statistics_catch_up_in_a_short_run():
    """After 64 steps (a cpu-budget classifier trains for about 56) the small CNN's first BatchNorm layer holds the
    variance of its inputs over the training images: inference runs on the data's statistics. With Keras's default
    momentum 0.99 the moving variance would still be about half its initial 1 (0.99^64 = 0.53)."""
    import keras

    rng = np.random.default_rng(0)
    images = rng.integers(180, 221, (64, 16, 16, 3), dtype=np.uint8)  # low contrast: variance far from 1
    labels = np.arange(64) % 2
    config = clf.ClassifierConfig(task="melanoma", backbone="small_cnn", width=4, image_size=(16, 16), epochs=8,
                                  batch_size=8, tta=1, augment=False, dropout=0.0, seed=0)
    model = clf.train_classifier(config, images, labels).model
    conv = keras.Model(model.inputs, model.get_layer("conv0a").output)
    actual = np.asarray(conv(images.astype(np.float32)), np.float64).reshape(-1, 4).var(axis=0)
    moving = np.asarray(model.get_layer("bn0a").moving_variance, np.float64)
    assert np.median(np.abs(moving / actual - 1.0)) < 0.5, (moving, actual)
