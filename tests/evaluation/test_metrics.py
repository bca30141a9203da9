"""Downstream metrics against direct (brute-force) computations."""

import itertools

import numpy as np
import pytest

from tfskin.evaluation import metrics


def _auc_brute(y, s):
    pos = [si for yi, si in zip(y, s, strict=True) if yi]
    neg = [si for yi, si in zip(y, s, strict=True) if not yi]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.3
    s = np.round(rng.random(200) + 0.4 * y, 1)  # rounding makes many ties
    assert metrics.roc_auc(y, s) == pytest.approx(_auc_brute(y, s), abs=1e-12)
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert metrics.roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert np.isnan(metrics.roc_auc([1, 1], [0.3, 0.4]))


def test_roc_curve_area_equals_auc():
    rng = np.random.default_rng(1)
    y = rng.random(300) < 0.5
    s = np.round(rng.normal(size=300) + y, 2)
    fpr, tpr, thr = metrics.roc_curve(y, s)
    assert fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(metrics.roc_auc(y, s), abs=1e-12)


def test_confusion_per_class_and_balanced_accuracy():
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    p = np.array([0, 1, 0, 1, 1, 2, 0, 2, 1])
    cm = metrics.confusion_matrix(y, p, 3)
    assert cm.tolist() == [[2, 1, 0], [0, 2, 0], [1, 1, 2]]
    scores = metrics.per_class_scores(cm, ["a", "b", "c"])
    assert scores["a"]["precision"] == pytest.approx(2 / 3)
    assert scores["b"]["precision"] == pytest.approx(2 / 4)
    assert scores["c"]["recall"] == pytest.approx(2 / 4)
    assert scores["c"]["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert metrics.balanced_accuracy(cm) == pytest.approx((2 / 3 + 1 + 2 / 4) / 3)
    with pytest.raises(ValueError):
        metrics.confusion_matrix([0, 3], [0, 0], 3)


def test_classification_report_multiclass_ovr_auc():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 120)
    logits = rng.normal(size=(120, 3)) + 2.0 * np.eye(3)[y]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    rep = metrics.classification_report(y, p, ["a", "b", "c"])
    direct = np.mean([_auc_brute(y == c, p[:, c]) for c in range(3)])
    assert rep["auc"] == pytest.approx(direct, abs=1e-12)
    assert rep["accuracy"] == pytest.approx((p.argmax(1) == y).mean())
    binary = metrics.classification_report(y == 1, np.stack([1 - p[:, 1], p[:, 1]], 1), ["no", "yes"])
    assert binary["auc"] == pytest.approx(_auc_brute(y == 1, p[:, 1]), abs=1e-12)


def test_jaccard_and_dice_against_sets():
    rng = np.random.default_rng(3)
    t = rng.random((5, 8, 9)) < 0.4
    prob = rng.random((5, 8, 9, 1))
    jac = metrics.jaccard_per_image(t.astype(np.uint8) * 255, prob)
    dice = metrics.dice_per_image(t, prob)
    for i in range(5):
        a = set(zip(*np.nonzero(t[i]), strict=True))
        b = set(zip(*np.nonzero(prob[i, ..., 0] > 0.5), strict=True))
        assert jac[i] == pytest.approx(len(a & b) / len(a | b))
        assert dice[i] == pytest.approx(2 * len(a & b) / (len(a) + len(b)))
    empty = np.zeros((1, 4, 4), bool)
    assert metrics.jaccard_per_image(empty, empty)[0] == 1.0
    rep = metrics.segmentation_report(t, prob)
    assert rep["jaccard"] == pytest.approx(jac.mean())
    assert rep["share_below_0.6"] == pytest.approx((jac < 0.6).mean())
    assert sum(rep["jaccard_histogram"]["counts"]) == 5


def test_macro_averages_leave_out_classes_absent_from_the_labels():
    y = np.array([0, 0, 1, 1, 1])  # class 2 never occurs in the test labels
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.1, 0.7], [0.1, 0.8, 0.1], [0.3, 0.6, 0.1], [0.1, 0.2, 0.7]])
    rep = metrics.classification_report(y, p, ["a", "b", "c"])
    s = rep["per_class"]
    assert rep["macro_f1"] == pytest.approx((s["a"]["f1"] + s["b"]["f1"]) / 2)
    assert rep["balanced_accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert rep["auc"] == pytest.approx(np.mean([_auc_brute(y == c, p[:, c]) for c in (0, 1)]))
    assert np.isnan(rep["auc_per_class"]["c"]) and s["c"]["precision"] == 0.0
    assert rep["classes_absent_from_labels"] == ["c"] and "present in the test labels" in rep["macro_convention"]


def test_bad_inputs_raise_clear_errors():
    from tfskin.errors import BadInputError

    with pytest.raises(BadInputError, match="NaN"):
        metrics.roc_auc([0, 1, 1], [0.2, float("nan"), 0.9])
    with pytest.raises(BadInputError, match="NaN"):
        metrics.classification_report([0, 1], [[0.5, 0.5], [np.nan, 1.0]], ["a", "b"])
    with pytest.raises(BadInputError, match=r"0\.\.1"):
        metrics.classification_report([0, 2], [[0.5, 0.5], [0.4, 0.6]], ["a", "b"])
    with pytest.raises(BadInputError, match=r"0\.\.2"):
        metrics.confusion_matrix([0, -1], [0, 0], 3)
    with pytest.raises(BadInputError, match=r"\(H, W, 1\)"):
        metrics.jaccard_per_image(np.ones((8, 8, 1)), np.ones((8, 8, 1)))
    with pytest.raises(BadInputError, match="shapes differ"):
        metrics.dice_per_image(np.ones((2, 8, 8)), np.ones((2, 8, 9)))


def test_isic2018_thresholded_jaccard_beside_the_mean():
    t = np.zeros((3, 10, 10), bool)
    t[:, :, :5] = True                       # 50 true pixels each
    p = np.zeros_like(t)
    p[0, :, :5] = True                       # Jaccard 1.0
    p[1, :, :3] = True                       # 30 / 50 = 0.6 -> counts 0 under ISIC 2018
    p[2, :, :4] = True                       # 40 / 50 = 0.8
    rep = metrics.segmentation_report(t, p)
    assert rep["jaccard"] == pytest.approx((1.0 + 0.6 + 0.8) / 3)
    assert rep["thresholded_jaccard"] == pytest.approx((1.0 + 0.0 + 0.8) / 3)
    assert "ISIC 2017" in rep["score_names"]["jaccard"] and "ISIC 2018" in rep["score_names"]["thresholded_jaccard"]
