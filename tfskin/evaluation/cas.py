"""Classification Accuracy Score (Ravuri & Vinyals 2019): do a generator's images carry the class information?

A classifier is trained only on ``per_class`` synthetic images of each class and tested on held-out real images;
the same classifier, trained on ``per_class`` real images of each class, is the reference. Both are scored by
AUC (binary, or one-vs-rest macro for more than two classes) and balanced accuracy on the same real test set.
The headline is the CAS ratio, AUC(synthetic-trained) / AUC(real-trained): about 1 when the synthetic images
teach the classes as well as real ones, about 0.5 / AUC(real) when they teach nothing (AUC 0.5 is chance).

Each of ``repeats`` repeats draws new synthetic images (seed ``seed + r``), a new real training draw and
trains both classifiers from a new seed; the real test set is the same in every repeat. The ratio's
confidence interval is a Student-t interval over the per-repeat ratios (``ci_method``); with one repeat there
is none.

Where the class-labelled synthetic images come from (:class:`ClassSampler`): a class-conditional source
(ACGAN, the conditional progressive GAN, a conditional SavedModel or endpoint) is asked for each class; a
labelled source (``png:DIR`` with class subfolders or ``labels.csv``, arrays) is filtered by label; a source
that draws one class (``label=MEL``, a run trained on ``--classes MEL``, a CycleGAN's translations) serves
that class. Several sources can be combined, one per class.
"""

import copy
import dataclasses

import numpy as np

from tfskin.classes import CLASS_NAMES, class_index
from tfskin.errors import BadInputError, ConfigError
from tfskin.evaluation.metrics import classification_report
from tfskin.evaluation.stats import confidence_interval

NEAR_CHANCE_AUC = 0.6  # below this the real-trained reference barely learned the classes: the ratio means little
CI_METHOD = "Student-t interval over the per-repeat ratios (repeats - 1 degrees of freedom)"


class ClassSampler:
    """``sample(class_name, n, seed)`` -> uint8 images of that class, from one or more synthetic sources."""

    def __init__(self, sources, classes=None):
        classes = tuple(CLASS_NAMES[class_index(c)] for c in classes) if classes else None
        self.sources = list(sources)
        if not self.sources:
            raise ConfigError("CAS needs at least one synthetic source")
        self._by_class = {}
        for source in self.sources:
            for name in self._classes_of(source, classes):
                if classes and name not in classes:
                    continue
                if name in self._by_class:
                    raise ConfigError(f"class {name} is drawn by two synthetic sources "
                                      f"({self._by_class[name].describe()} and {source.describe()}); give one "
                                      f"source per class")
                self._by_class[name] = source
        self.classes = classes or tuple(sorted(self._by_class, key=class_index))
        missing = [c for c in self.classes if c not in self._by_class]
        if missing:
            raise ConfigError(f"no synthetic source draws class(es) {', '.join(missing)}; the sources draw "
                              f"{', '.join(sorted(self._by_class)) or 'no known class'} (name a class with "
                              f",label=CLASS, or use a class-conditional or labelled source)")
        if len(self.classes) < 2:
            raise ConfigError(f"CAS compares at least two classes, got {', '.join(self.classes) or 'none'}")

    @staticmethod
    def _classes_of(source, wanted) -> tuple:
        if getattr(source, "fixed_label", None) is not None:
            return (CLASS_NAMES[source.fixed_label],)
        if getattr(source, "conditional", False):  # asked for each class in turn
            return tuple(wanted or source.classes)
        return tuple(source.classes)

    def _per_class_source(self, name):
        source = self._by_class[name]
        if getattr(source, "conditional", False) and source.fixed_label is None:
            cache = self.__dict__.setdefault("_conditional", {})
            if name not in cache:  # the same generator, asked for that class
                cache[name] = _drawing(source, name)
            return cache[name]
        return source

    def sample(self, class_name: str, n: int, seed: int) -> np.ndarray:
        source = self._per_class_source(class_name)
        label = class_index(class_name)
        if source.fixed_label is not None or len(source.classes) == 1:
            return source.sample(n, seed)["image"]
        # a labelled multi-class source: draw everything it holds (or plenty) and keep the class
        pool = source.sample(len(source) if hasattr(source, "__len__") else 4 * n * len(source.classes), seed)
        images = pool["image"][pool["label"] == label]
        if len(images) == 0:
            raise BadInputError(f"{source.describe()} holds no image labelled {class_name}")
        rng = np.random.default_rng(seed)
        return images[rng.choice(len(images), n, replace=n > len(images))]

    def describe(self) -> dict:
        return {name: self._by_class[name].describe() for name in self.classes}


def _drawing(source, name: str):
    """A conditional source that draws class ``name`` (every scheme's ``_draw`` asks for ``fixed_label``)."""
    clone = copy.copy(source)
    clone.fixed_label = class_index(name)
    clone.classes = (CLASS_NAMES[clone.fixed_label],)
    return clone


def draw_per_class(images, labels, class_indices, per_class: int, seed: int):
    """``per_class`` examples of each class (without replacement while the class has enough), in class order:
    (images, task labels 0..K-1). A class with no example is an error."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    chosen, y = [], []
    for k, c in enumerate(class_indices):
        idx = np.flatnonzero(labels == c)
        if idx.size == 0:
            raise BadInputError(f"no real image of class {CLASS_NAMES[c]} to draw from")
        chosen.append(rng.choice(idx, per_class, replace=per_class > idx.size))
        y.append(np.full(per_class, k, np.int64))
    chosen = np.concatenate(chosen)
    return np.asarray(images)[chosen], np.concatenate(y)


def small_cnn_trainer(config):
    """The tfskin classifier (``evaluation.classifier``) as a CAS trainer: (images, labels, seed) -> predict."""
    from tfskin.evaluation.classifier import train_classifier

    def train(images, labels, seed):
        classifier = train_classifier(dataclasses.replace(config, seed=int(seed)), images, labels)
        return lambda x: classifier.predict(x, seed=int(seed))

    return train


def _scores(predict, images, labels, class_names) -> dict:
    report = classification_report(labels, predict(images), class_names)
    return {"auc": report["auc"], "balanced_accuracy": report["balanced_accuracy"]}


def _ratio(a, b) -> float:
    return float(a / b) if np.isfinite(a) and np.isfinite(b) and b > 0 else float("nan")


def _above_chance(a, b) -> float:
    return float((a - 0.5) / (b - 0.5)) if np.isfinite(a) and np.isfinite(b) and b > 0.5 else float("nan")


def _summary(values, level) -> dict:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    low, high = confidence_interval(v, level)
    return {"mean": float(v.mean()) if v.size else float("nan"), "std": float(v.std(ddof=1)) if v.size > 1 else
            float("nan"), "ci_low": low, "ci_high": high, "n": int(v.size)}


def classification_accuracy_score(sampler: ClassSampler, real_train: dict, real_test: dict, *, trainer,
                                  per_class: int = 100, repeats: int = 3, seed: int = 0, level: float = 0.95,
                                  stream=None) -> dict:
    """CAS of ``sampler``'s classes (see the module docstring). ``real_train`` / ``real_test``: dicts of
    ``image`` (uint8) and ``label`` (ISIC class indices); ``trainer(images, labels, seed)`` returns a function
    images -> class probabilities (N, K) (``small_cnn_trainer`` for the tfskin classifier)."""
    if per_class < 1 or repeats < 1:
        raise ConfigError(f"CAS needs per_class >= 1 and repeats >= 1, got {per_class} and {repeats}")
    names = sampler.classes
    indices = [class_index(c) for c in names]
    test_keep = np.isin(real_test["label"], indices)
    test_images = real_test["image"][test_keep]
    position = {c: k for k, c in enumerate(indices)}  # ISIC class index -> position in ``names``
    test_labels = np.array([position[c] for c in real_test["label"][test_keep]], np.int64)
    present = sorted(set(test_labels.tolist()))
    if len(present) < 2:
        raise BadInputError(f"the real test images hold {len(present)} of the classes {', '.join(names)}; CAS needs "
                            f"at least two")
    size = test_images.shape[1:3]
    runs = []
    for r in range(repeats):
        s = seed + r
        syn = np.concatenate([_resized(sampler.sample(c, per_class, s), size) for c in names])
        syn_y = np.repeat(np.arange(len(names), dtype=np.int64), per_class)
        real_x, real_y = draw_per_class(real_train["image"], real_train["label"], indices, per_class, s)
        synthetic = _scores(trainer(syn, syn_y, s), test_images, test_labels, names)
        real = _scores(trainer(real_x, real_y, s), test_images, test_labels, names)
        runs.append({"repeat": r, "seed": s, "synthetic": synthetic, "real": real,
                     "auc_ratio": _ratio(synthetic["auc"], real["auc"]),
                     "auc_ratio_above_chance": _above_chance(synthetic["auc"], real["auc"]),
                     "balanced_accuracy_ratio": _ratio(synthetic["balanced_accuracy"], real["balanced_accuracy"])})
        if stream is not None:
            print(f"CAS repeat {r + 1}/{repeats}: AUC synthetic-trained {synthetic['auc']:.3f}, real-trained "
                  f"{real['auc']:.3f} (ratio {runs[-1]['auc_ratio']:.3f})", file=stream, flush=True)
    pick = lambda key, sub=None: [run[key][sub] if sub else run[key] for run in runs]
    real_auc = _summary(pick("real", "auc"), level)
    available = {c: int((np.asarray(real_train["label"]) == i).sum()) for c, i in zip(names, indices)}
    warnings = [f"the real-trained reference is near chance (AUC {real_auc['mean']:.3f} < {NEAR_CHANCE_AUC}): the "
                f"ratio says little; train longer or on more images per class"] if real_auc["mean"] < NEAR_CHANCE_AUC \
        else []
    warnings += [f"real class {c} has {k} training images, fewer than {per_class} per class: drawn with replacement"
                 for c, k in available.items() if k < per_class]
    return {
        "classes": list(names),
        "synthetic_sources": sampler.describe(),
        "per_class": int(per_class),
        "repeats": int(repeats),
        "num_test": int(len(test_labels)),
        "test_per_class": {names[k]: int((test_labels == k).sum()) for k in range(len(names))},
        "auc": "binary ROC AUC" if len(names) == 2 else "one-vs-rest macro ROC AUC",
        "ci_level": level,
        "ci_method": CI_METHOD,
        "cas_ratio": _summary(pick("auc_ratio"), level),
        "auc_ratio_above_chance": _summary(pick("auc_ratio_above_chance"), level),
        "balanced_accuracy_ratio": _summary(pick("balanced_accuracy_ratio"), level),
        "synthetic_auc": _summary(pick("synthetic", "auc"), level),
        "real_auc": real_auc,
        "synthetic_balanced_accuracy": _summary(pick("synthetic", "balanced_accuracy"), level),
        "real_balanced_accuracy": _summary(pick("real", "balanced_accuracy"), level),
        "real_train_available": available,
        "warnings": warnings,
        "runs": runs,
    }


def _resized(images, size):
    from tfskin.evaluation.real_data import resize_images

    return resize_images(np.asarray(images), size)


def summary_line(result: dict) -> str:
    """One line: the CAS ratio with its interval and the two AUCs it divides (then any warnings)."""
    r, s, q = result["cas_ratio"], result["synthetic_auc"], result["real_auc"]
    ci = (f" [{result['ci_level']:.0%} CI {r['ci_low']:.3f}..{r['ci_high']:.3f}]" if np.isfinite(r["ci_low"])
          else " (one repeat: no CI)")
    return (f"CAS ratio {r['mean']:.3f}{ci}: AUC trained on synthetic {s['mean']:.3f} vs on real {q['mean']:.3f} "
            f"({result['per_class']} per class, {', '.join(result['classes'])}; {result['repeats']} repeats; "
            f"{result['num_test']} real test images)" + "".join(f"\n  warning: {w}" for w in result["warnings"]))
