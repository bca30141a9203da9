"""Classification Accuracy Score on toy cases whose answer is known: a "generator" that returns real images of
the right class scores a ratio of about 1; one whose labels are shuffled trains a classifier at chance (AUC
about 0.5). The fast tests use a nearest-centroid classifier on pixels; the slow one the tfskin small_cnn
through ``tfskin evaluate metrics --cas``."""

import json

import numpy as np
import pytest

from tfskin.classes import CLASS_NAMES, class_index
from tfskin.errors import ConfigError
from tfskin.evaluation import cas
from tfskin.sources import ArraySource, SyntheticSource

MEL, NV, BCC = class_index("MEL"), class_index("NV"), class_index("BCC")


def _toy(n_per_class, classes, seed, size=8):
    """Each class a mean colour; every pixel has noise several times larger than the colour differences, so a
    class is told apart only by pooling many pixels."""
    rng = np.random.default_rng(seed)
    colours = {MEL: (130, 100, 100), NV: (118, 108, 112), BCC: (124, 118, 100)}
    images, labels = [], []
    for c in classes:
        base = np.array(colours[c], np.float64)
        noise = rng.normal(0, 40, (n_per_class, size, size, 3))
        images.append(np.clip(base + noise, 0, 255).astype(np.uint8))
        labels.append(np.full(n_per_class, c, np.int64))
    return {"image": np.concatenate(images), "label": np.concatenate(labels)}


def centroid_trainer(images, labels, seed):
    """Nearest class mean in pixel space; probabilities from a softmax of negative squared distances."""
    x = images.reshape(len(images), -1).astype(np.float64) / 255.0
    centroids = np.stack([x[labels == k].mean(0) for k in range(labels.max() + 1)])

    def predict(test):
        t = test.reshape(len(test), -1).astype(np.float64) / 255.0
        d = ((t[:, None, :] - centroids[None]) ** 2).sum(-1)
        e = np.exp(-(d - d.min(1, keepdims=True)))
        return e / e.sum(1, keepdims=True)

    return predict


def _score(source, classes, repeats=4, per_class=30):
    train, test = _toy(200, classes, seed=1), _toy(100, classes, seed=2)
    sampler = cas.ClassSampler([source])
    assert sampler.classes == tuple(sorted((("MEL", "NV", "BCC")[[MEL, NV, BCC].index(c)] for c in classes),
                                           key=class_index))
    return cas.classification_accuracy_score(sampler, train, test, trainer=centroid_trainer, per_class=per_class,
                                             repeats=repeats, seed=0)


@pytest.mark.parametrize("classes", [(MEL, NV), (MEL, NV, BCC)])
def test_real_images_of_the_right_class_score_a_ratio_of_about_one(classes):
    generator = _toy(200, classes, seed=3)  # more real images, drawn apart from the training and test ones
    result = _score(ArraySource(generator["image"], generator["label"]), classes)
    assert result["real_auc"]["mean"] > 0.8  # the toy task is learnable, so the ratio means something
    assert 0.9 < result["cas_ratio"]["mean"] < 1.1
    assert result["cas_ratio"]["ci_low"] <= result["cas_ratio"]["mean"] <= result["cas_ratio"]["ci_high"]
    assert result["repeats"] == len(result["runs"]) == 4 and result["per_class"] == 30
    assert result["auc"] == ("binary ROC AUC" if len(classes) == 2 else "one-vs-rest macro ROC AUC")
    assert result["warnings"] == [] and "warning" not in cas.summary_line(result)


def test_a_reference_near_chance_and_short_classes_are_flagged():
    blank = {"image": np.full((40, 8, 8, 3), 128, np.uint8), "label": np.repeat([MEL, NV], 20)}
    result = cas.classification_accuracy_score(cas.ClassSampler([ArraySource(blank["image"], blank["label"])]),
                                               blank, blank, trainer=centroid_trainer, per_class=30, repeats=2)
    assert result["real_auc"]["mean"] == pytest.approx(0.5)  # identical images: nothing to learn
    assert len(result["warnings"]) == 3 and "near chance" in result["warnings"][0]
    assert "MEL has 20 training images" in result["warnings"][1]
    assert cas.summary_line(result).count("\n  warning:") == 3


class _ShuffledLabels(SyntheticSource):
    """A "generator" whose labels say nothing: real images, each with a class drawn at random on every draw."""

    def __init__(self, arrays):
        super().__init__()
        self.images, self.classes = arrays["image"], tuple(CLASS_NAMES[c] for c in np.unique(arrays["label"]))

    def __len__(self):
        return len(self.images)

    def _draw(self, n, seed):
        rng = np.random.default_rng(seed)
        labels = [class_index(c) for c in self.classes]
        return {"image": self.images[rng.choice(len(self.images), n)], "label": rng.choice(labels, n)}


@pytest.mark.parametrize("classes", [(MEL, NV), (MEL, NV, BCC)])
def test_images_with_shuffled_labels_train_a_classifier_at_chance(classes):
    # one repeat's AUC strays from 0.5 by chance (a random direction in pixel space still separates the
    # classes a little, either way); over repeats it averages out
    result = _score(_ShuffledLabels(_toy(200, classes, seed=3)), classes, repeats=20)
    assert result["real_auc"]["mean"] > 0.8
    assert abs(result["synthetic_auc"]["mean"] - 0.5) < 0.08
    assert result["synthetic_auc"]["ci_low"] < 0.5 < result["synthetic_auc"]["ci_high"]
    assert result["cas_ratio"]["mean"] < 0.65


def test_each_repeat_draws_new_images_and_a_new_real_training_set():
    drawn = []

    def trainer(images, labels, seed):
        drawn.append(images.copy())
        return centroid_trainer(images, labels, seed)

    generator = _toy(200, (MEL, NV), seed=3)
    cas.classification_accuracy_score(cas.ClassSampler([ArraySource(generator["image"], generator["label"])]),
                                      _toy(200, (MEL, NV), 1), _toy(50, (MEL, NV), 2), trainer=trainer,
                                      per_class=10, repeats=2)
    synthetic_0, real_0, synthetic_1, real_1 = drawn
    assert not np.array_equal(synthetic_0, synthetic_1) and not np.array_equal(real_0, real_1)


class _Conditional(SyntheticSource):
    """A class-conditional "generator": the class it is asked for is the image's colour."""

    conditional = True
    classes = ("MEL", "NV")

    def _draw(self, n, seed):
        return {"image": np.full((n, 4, 4, 3), self.fixed_label * 100, np.uint8)}


def test_a_conditional_source_is_asked_for_each_class():
    sampler = cas.ClassSampler([_Conditional()], classes=("nv", "MEL"))
    assert sampler.classes == ("NV", "MEL")
    assert sampler.sample("NV", 3, seed=0).max() == NV * 100
    assert sampler.sample("MEL", 3, seed=0).max() == MEL * 100


def test_single_class_sources_combine_one_per_class_and_errors_name_the_gap():
    mel = ArraySource(np.zeros((5, 4, 4, 3), np.uint8), np.full(5, MEL))
    nv = ArraySource(np.ones((5, 4, 4, 3), np.uint8), np.full(5, NV))
    sampler = cas.ClassSampler([nv, mel])
    assert sampler.classes == ("MEL", "NV") and sampler.sample("NV", 2, 0).max() == 1
    with pytest.raises(ConfigError, match="BCC"):
        cas.ClassSampler([nv, mel], classes=("MEL", "BCC"))
    with pytest.raises(ConfigError, match="at least two"):
        cas.ClassSampler([mel])
    with pytest.raises(ConfigError, match="two synthetic sources"):
        cas.ClassSampler([mel, mel])


@pytest.mark.slow
def test_evaluate_metrics_cas_with_the_small_cnn_on_phantoms(tmp_path, capsys):
    """End to end: real phantom nevi and BCCs (colour-distinct classes a small CNN learns from 50 images each),
    written as a labelled PNG folder, score a CAS ratio near 1."""
    from tfskin.cli import main
    from tfskin.evaluation.real_data import load_real
    from tfskin.imaging import save_png

    real = load_real("phantoms", "train", (32, 32), classes=("NV", "BCC"))
    folder = tmp_path / "syn"
    for i in np.random.default_rng(0).permutation(len(real["label"]))[:300]:
        save_png(real["image"][i], folder / ("NV" if real["label"][i] == NV else "BCC") / f"{i}.png")
    out = tmp_path / "m.json"
    assert main(["evaluate", "metrics", "--synthetic", f"png:{folder}", "--n", "60", "--no-memorization",
                 "--real-classes", "NV,BCC", "--cas", "--cas-per-class", "50", "--cas-repeats", "2",
                 "--cas-epochs", "8", "--out", str(out)]) == 0
    result = json.loads(out.read_text())["cas"]
    assert "CAS ratio" in capsys.readouterr().out
    assert result["classes"] == ["NV", "BCC"] and result["real_auc"]["mean"] > 0.8 and not result["warnings"]
    assert 0.8 < result["cas_ratio"]["mean"] < 1.2 and len(result["runs"]) == 2
