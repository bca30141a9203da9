"""Keras lesion classifiers for the downstream evaluation (Bissoto et al. 2018, Table 1; Fossen-Romsaas et al.
2020, Tables 2-3) and for the CycleGAN confidence filter.

Backbones: ``small_cnn`` (trains in minutes on CPU), ``inception_v3``, ``inception_resnet_v2``, ``resnet50``
and ``efficientnet_b0`` .. ``efficientnet_b7`` from ``keras.applications``; weights ``none``, ``imagenet``
(fetched by Keras, needs internet) or a local weights file of the headless backbone. Tasks: ``malignant``
(benign vs malignant), ``melanoma`` (MEL vs rest) and ``multiclass`` (the 8 ISIC 2019 classes or a subset).

Training: flips, rotations and colour jitter (Keras 3 augmentation layers, in the input pipeline), optional
balanced class weights, a one-cycle learning-rate schedule (Adam); prediction with test-time augmentation over
N replicas (50 by default, as the papers). Models take float32 RGB in 0..255 and end in a float32 softmax;
the penultimate layer is named ``features``.

Precision: ``precision`` names a Keras dtype policy (``float32``, ``mixed_bfloat16``, ``mixed_float16``) or
``auto``, which :func:`tfskin.runtime.resolve_precision` decides from the machine; the softmax stays float32.
"""

import dataclasses
import math
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from tfskin.classes import CLASS_NAMES, MALIGNANT_CLASSES, class_index
from tfskin.config import ConfigError, ConfigMixin
from tfskin.errors import BadInputError
from tfskin.evaluation.choices import BACKBONES, TASKS
from tfskin.evaluation.choices import EFFICIENTNETS as _EFFICIENTNETS
from tfskin.evaluation.errors import MissingFileError
from tfskin.saved_classifier import classifier_inputs, read_classifier_files

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
_MIN_SIZE = {"inception_v3": 75, "inception_resnet_v2": 75, "resnet50": 32}


@dataclasses.dataclass(frozen=True)
class ClassifierConfig(ConfigMixin):
    """How a downstream classifier is built and trained."""

    task: str = "malignant"
    classes: tuple = None  # multiclass: the class names to tell apart (default: all 8)
    backbone: str = "small_cnn"
    weights: str = "none"  # none | imagenet | path to a weights file of the headless backbone
    image_size: tuple = (64, 64)
    epochs: int = 15
    batch_size: int = 32
    learning_rate: float = 3e-3  # the one-cycle peak
    one_cycle: bool = True
    class_weight: str = "none"  # none | balanced
    augment: bool = True
    rotation: float = 0.5  # RandomRotation factor (fraction of a full turn each way)
    colour_jitter: float = 0.1
    colour_jitter_hue: bool = False  # also jitter saturation and hue (slow on CPU)
    tta: int = 50  # test-time augmentation replicas (1 = off)
    width: int = 32  # small_cnn base width
    dropout: float = 0.3
    seed: int = 0
    # auto: the machine's (tfskin.runtime): bfloat16 where the hardware computes it natively, else float32;
    # bf16 trained the small_cnn ~2x faster per epoch on an AVX512-BF16 CPU (scripts/bench_small_precision.py)
    precision: str = "auto"

    def __post_init__(self):
        if self.task not in TASKS:
            raise ConfigError(f"classifier.task {self.task!r} is not one of {', '.join(TASKS)}")
        if self.backbone not in BACKBONES:
            raise ConfigError(f"classifier.backbone {self.backbone!r} is not one of {', '.join(BACKBONES)}")
        if self.class_weight not in ("none", "balanced"):
            raise ConfigError("classifier.class_weight must be none or balanced")
        minimum = _MIN_SIZE.get(self.backbone, 16)
        if min(self.image_size) < minimum:
            raise ConfigError(f"{self.backbone} needs images of at least {minimum}x{minimum}, got {self.image_size}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"classifier.precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        if self.tta < 1 or self.epochs < 1 or self.batch_size < 1:
            raise ConfigError("classifier.tta, epochs and batch_size must be >= 1")
        if self.classes:
            for c in self.classes:
                class_index(c)


# --- tasks -------------------------------------------------------------------------------------------------

def task_class_names(task: str, classes=None) -> tuple:
    if task == "malignant":
        return ("benign", "malignant")
    if task == "melanoma":
        return ("other", "MEL")
    if task == "multiclass":
        return tuple(c.upper() for c in classes) if classes else CLASS_NAMES
    raise ConfigError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")


def task_labels(task: str, class_labels, classes=None) -> np.ndarray:
    """ISIC class indices (-1 = unknown) -> task labels (-1 = unknown or not part of the task)."""
    y = np.asarray(class_labels, np.int64)
    out = np.full(y.shape, -1, np.int64)
    known = y >= 0
    if task == "malignant":
        malignant = np.array([c in MALIGNANT_CLASSES for c in CLASS_NAMES])
        out[known] = malignant[y[known]]
    elif task == "melanoma":
        out[known] = y[known] == class_index("MEL")
    else:
        names = task_class_names(task, classes)
        lookup = np.full(len(CLASS_NAMES), -1, np.int64)
        for i, name in enumerate(names):
            lookup[class_index(name)] = i
        out[known] = lookup[y[known]]
    return out


def task_label_of_classes(task: str, class_names, classes=None) -> int:
    """The one task label a set of ISIC classes maps to (e.g. MEL,BCC -> malignant), or -1 if mixed."""
    labels = set(task_labels(task, [class_index(c) for c in class_names], classes).tolist())
    return labels.pop() if len(labels) == 1 else -1


# --- networks ----------------------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="tfskin")
class CaffePreprocess(layers.Layer):
    """RGB 0..255 -> BGR minus the ImageNet channel means (ResNet-50's ``preprocess_input``)."""

    def call(self, x):
        return ops.flip(x, axis=-1) - ops.convert_to_tensor([103.939, 116.779, 123.68], dtype=x.dtype)


#: BatchNorm momentum of ``small_cnn`` (PyTorch's default, 0.1 there). Keras's 0.99 leaves the moving statistics
#: far from the data after the few dozen steps of a ``cpu``-budget run (1 - 0.99^56 = 43% of the way), so
#: inference ran on wrong statistics: melanoma AUC on phantoms 0.39-0.70 over three seeds, 0.72-0.76 with 0.9.
BN_MOMENTUM = 0.9


def _small_cnn(x, width: int):
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(x)
    for i, filters in enumerate((width, width * 2, width * 4, width * 8)):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}a")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i}a")(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}b")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i}b")(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    return layers.GlobalAveragePooling2D()(x)


def _application(name: str, x, weights):
    apps = keras.applications
    local = weights not in (None, "imagenet")
    kwargs = dict(include_top=False, pooling="avg", input_shape=tuple(x.shape[1:]),
                  weights=None if local else weights)
    if name == "inception_v3":
        base, pre = apps.InceptionV3(**kwargs), layers.Rescaling(1.0 / 127.5, offset=-1.0)
    elif name == "inception_resnet_v2":
        base, pre = apps.InceptionResNetV2(**kwargs), layers.Rescaling(1.0 / 127.5, offset=-1.0)
    elif name == "resnet50":
        base, pre = apps.ResNet50(**kwargs), CaffePreprocess()
    else:  # EfficientNets rescale and normalize 0..255 inputs themselves
        base, pre = getattr(apps, _EFFICIENTNETS[name])(**kwargs), layers.Identity()
    if local:
        base.load_weights(weights)
    return base(pre(x))


def resolve_weights(weights):
    """'none' -> None, 'imagenet' stays, anything else must be an existing local file."""
    if weights in (None, "none", "None", ""):
        return None
    if weights == "imagenet":
        return "imagenet"
    path = Path(weights)
    if not path.is_file():
        raise MissingFileError(f"classifier weights file {path} not found (weights: none, imagenet or a local "
                                f"file of the headless backbone)")
    return str(path)


def build_classifier(config: ClassifierConfig, num_classes: int) -> keras.Model:
    """Backbone + dropout + a dense ``features`` layer + float32 softmax over ``num_classes``."""
    weights = resolve_weights(config.weights)
    if config.backbone == "small_cnn" and weights not in (None,):
        if weights == "imagenet":
            raise ConfigError("small_cnn has no imagenet weights; use weights: none or a local file")
    inputs = keras.Input((*config.image_size, 3), name="image")
    if config.backbone == "small_cnn":
        x = _small_cnn(inputs, config.width)
    else:
        x = _application(config.backbone, inputs, weights)
    x = layers.Dropout(config.dropout, seed=config.seed)(x)
    features = layers.Dense(128 if config.backbone == "small_cnn" else 256, activation="relu", name="features")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(features)
    model = keras.Model(inputs, outputs, name=f"classifier_{config.backbone}")
    if config.backbone == "small_cnn" and weights:
        model.load_weights(weights)
    return model


def augmentation_layers(config: ClassifierConfig) -> keras.Sequential:
    """Random flips, rotations and colour jitter (brightness and contrast; saturation and hue too when
    ``colour_jitter_hue``, which costs ~2x the training time on CPU) on 0..255 images, active only with
    ``training=True``."""
    seed = config.seed
    pipeline = [layers.RandomFlip("horizontal_and_vertical", seed=seed)]
    if config.rotation > 0:
        pipeline.append(layers.RandomRotation(config.rotation, fill_mode="reflect", seed=seed + 1))
    j = config.colour_jitter
    if j > 0 and config.colour_jitter_hue:
        pipeline.append(layers.RandomColorJitter(value_range=(0, 255), brightness_factor=j, contrast_factor=j,
                                                 saturation_factor=(0.5 - j, 0.5 + j), hue_factor=j / 2,
                                                 seed=seed + 2))
    elif j > 0:
        pipeline.append(layers.RandomBrightness(j, value_range=(0, 255), seed=seed + 2))
        pipeline.append(layers.RandomContrast(j, value_range=(0, 255), seed=seed + 3))
    return keras.Sequential(pipeline, name="augmentation")


class _EagerAugment:
    """TTA's augmentation as a callable: the layers, called eagerly in training mode."""

    def __init__(self, config: ClassifierConfig):
        self.layers = augmentation_layers(config)

    def __call__(self, images):
        return self.layers(images, training=True)


class TracedAugment(_EagerAugment):
    """The same augmentation traced once (a ``tf.function``) and reset per run to a fresh build's seeds, so a
    reused classifier's TTA draws what a fresh one draws eagerly (stateless random ops seeded by the layers'
    seed generators give the same numbers in both modes) at a fraction of the eager cost."""

    def __init__(self, config: ClassifierConfig):
        import tensorflow as tf

        super().__init__(config)
        self._function = tf.function(lambda x: self.layers(x, training=True), reduce_retracing=True)

    def reset(self, config: ClassifierConfig):
        """Seed generator states as ``augmentation_layers(config)`` starts with."""
        fresh = augmentation_layers(config).variables
        mine = self.layers.variables
        if len(fresh) != len(mine):
            raise RuntimeError("cannot reset a reused augmentation: its layers differ from a fresh build's")
        for variable, value in zip(mine, fresh, strict=True):
            variable.assign(value)
        return self

    def __call__(self, images):
        return self._function(images)


@keras.saving.register_keras_serializable(package="tfskin")
class OneCycleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle learning rate (Smith 2018, as fastai's ``fit_one_cycle``): cosine warm-up from
    ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of the steps, then cosine annealing to
    ``max_lr / (div_factor * final_div_factor)``. (fastai also cycles Adam's beta_1; Keras optimizers take a
    constant beta_1, so tfskin cycles only the learning rate.)"""

    def __init__(self, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        self.max_lr = float(max_lr)
        self.total_steps = int(total_steps)
        self.pct_start = float(pct_start)
        self.div_factor = float(div_factor)
        self.final_div_factor = float(final_div_factor)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = max(1.0, self.pct_start * self.total_steps)
        rest = max(1.0, self.total_steps - warm)
        start = self.max_lr / self.div_factor
        end = start / self.final_div_factor

        def cos_ramp(a, b, t):
            return b + (a - b) * (1.0 + ops.cos(math.pi * ops.clip(t, 0.0, 1.0))) / 2.0

        return ops.where(step < warm, cos_ramp(start, self.max_lr, step / warm),
                         cos_ramp(self.max_lr, end, (step - warm) / rest))

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps, "pct_start": self.pct_start,
                "div_factor": self.div_factor, "final_div_factor": self.final_div_factor}


def balanced_class_weights(labels, num_classes: int) -> dict:
    counts = np.bincount(np.asarray(labels, np.int64), minlength=num_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return {i: float(w) for i, w in enumerate(weights)}


# --- the trained classifier --------------------------------------------------------------------------------

class Classifier:
    """A trained classifier with its config and class names: ``predict`` (with TTA), ``features``, ``save``."""

    def __init__(self, model: keras.Model, config: ClassifierConfig, class_names, history=None, precision=None,
                 augment=None):
        self.model = model
        self.config = config
        self.class_names = tuple(class_names)
        self.history = history or {}
        self.precision = precision or model.dtype_policy.name  # the dtype policy it was built with
        # TTA's augmentation: these layers called eagerly, or ``augment`` (the same layers traced, which draws
        # the same replicas: stateless random ops seeded by the layers' seed generators)
        self._augment = augment or _EagerAugment(config)
        self._features = None
        self.engine = {}  # train_classifier: {"reused_model", "train_traces"}

    @property
    def backbone(self) -> str:
        return self.config.backbone

    def _prepare(self, images) -> np.ndarray:
        return classifier_inputs(images, self.config.image_size)

    def predict(self, images, tta: int = None, batch_size: int = 256, seed: int = 0) -> np.ndarray:
        """Class probabilities (N, K), averaged over ``tta`` randomly augmented replicas (1 = plain)."""
        tta = self.config.tta if tta is None else int(tta)
        x = self._prepare(images)
        if len(x) == 0:
            return np.zeros((0, len(self.class_names)))
        total = np.zeros((len(x), len(self.class_names)))
        keras.utils.set_random_seed(seed)
        for replica in range(tta):
            for start in range(0, len(x), batch_size):
                batch = x[start:start + batch_size]
                if replica > 0:  # replica 0 is the un-augmented image
                    batch = self._augment(batch)
                total[start:start + batch_size] += ops.convert_to_numpy(self.model(batch, training=False))
        return total / tta

    def features(self, images, batch_size: int = 256) -> np.ndarray:
        if self._features is None:
            self._features = keras.Model(self.model.inputs, self.model.get_layer("features").output)
        x = self._prepare(images)
        return np.concatenate([ops.convert_to_numpy(self._features(x[i:i + batch_size], training=False))
                               for i in range(0, len(x), batch_size)]) if len(x) else np.zeros((0, 0))

    def save(self, directory) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save(directory / "model.keras")
        meta = {"config": self.config.to_dict(), "class_names": list(self.class_names), "history": self.history}
        from tfskin.evaluation.jsonio import dumps

        (directory / "classifier.json").write_text(dumps(meta))
        return directory


def load_classifier(directory) -> Classifier:
    """A saved classifier: its folder, its ``model.keras``, or the folder ``tfskin evaluate classify`` wrote."""
    model, meta = read_classifier_files(directory)
    return Classifier(model, ClassifierConfig.from_dict(meta["config"]), meta["class_names"], meta.get("history"))


class _FirstStepTimer(keras.callbacks.Callback):
    """Seconds from the start of ``fit`` to the end of its first batch: tracing the step plus running it once."""

    def __init__(self):
        super().__init__()
        self.start = None
        self.first_step = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.first_step is None:
            self.first_step = time.perf_counter() - self.start


def train_classifier(config: ClassifierConfig, images, labels, *, validation=None, verbose: int = 0,
                     watch=None, pool=None) -> Classifier:
    """Train on uint8 images (N, H, W, 3) and task labels (N,) in 0..K-1. ``validation``: (images, labels).
    ``watch`` (a :class:`tfskin.evaluation.profile.Stopwatch`) receives the seconds spent in ``build`` (model
    and optimizer), ``trace`` (``fit`` up to the end of its first step) and ``train``
    (the rest of ``fit``; all of it when the step was not traced again).
    ``pool`` (a :class:`tfskin.evaluation.engine.ModelPool`): reuse its model of this config and training-set
    size, reset to this seed's fresh state, with its traced step and TTA augmentation; the classifier returned
    is valid until the pool's next run of that size. ``Classifier.engine`` says whether the model was reused and
    how often its training step was traced."""
    import tensorflow as tf

    from tfskin.evaluation.engine import config_key, tracing_count
    from tfskin.evaluation.profile import Stopwatch
    from tfskin.evaluation.real_data import resize_images
    from tfskin.runtime import precision_policy, resolve_precision

    watch = watch if watch is not None else Stopwatch()

    names = task_class_names(config.task, config.classes)
    y = np.asarray(labels, np.int64)
    if y.size == 0 or y.min() < 0 or y.max() >= len(names):
        raise BadInputError(f"training labels must lie in 0..{len(names) - 1} ({', '.join(names)}) and be non-empty")
    x = resize_images(np.asarray(images), config.image_size)
    keras.utils.set_random_seed(config.seed)
    precision, _ = resolve_precision(config.precision)
    steps_per_epoch = max(1, math.ceil(len(x) / config.batch_size))

    def build():
        with precision_policy(precision):
            model = build_classifier(config, len(names))
            lr = (OneCycleSchedule(config.learning_rate, steps_per_epoch * config.epochs) if config.one_cycle
                  else config.learning_rate)
            model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
        return model

    # what shapes the traced step: everything but the seed (the schedule's length comes from the set's size)
    key = (config_key("classifier", config), len(names), steps_per_epoch, precision)
    with watch("build"):
        model, reused = pool.model(key, build) if pool is not None else (build(), False)
    traces_before = tracing_count(model.train_function) or 0
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)
    ds = ds.batch(config.batch_size).map(lambda a, b: (tf.cast(a, tf.float32), b))
    if config.augment:
        augment = augmentation_layers(config)
        # one batch at a time: the layers' seed generators advance per call, so parallel calls would draw in a
        # racy order and the same seed would not give the same classifier
        ds = ds.map(lambda a, b: (augment(a, training=True), b))
    # every epoch from one iterator (the same batches as one iterator per epoch; a new iterator cost ~0.2 s)
    ds = ds.repeat(config.epochs).prefetch(tf.data.AUTOTUNE)
    val = None
    if validation is not None:
        vx = resize_images(np.asarray(validation[0]), config.image_size).astype(np.float32)
        val = (vx, np.asarray(validation[1], np.int64))
    class_weight = balanced_class_weights(y, len(names)) if config.class_weight == "balanced" else None
    timer = _FirstStepTimer()
    start = time.perf_counter()
    history = model.fit(ds, epochs=config.epochs, steps_per_epoch=steps_per_epoch, validation_data=val,
                        class_weight=class_weight, verbose=verbose, shuffle=False,
                        callbacks=[timer])  # the dataset shuffles itself
    fit_seconds = time.perf_counter() - start
    trace = min(timer.first_step if timer.first_step is not None else 0.0, fit_seconds)
    traces = (tracing_count(model.train_function) or 0) - traces_before
    if not traces:  # a reused model's first step traced nothing: it is training (and the input pipeline's start)
        trace = 0.0
    watch.add("trace", trace)
    watch.add("train", fit_seconds - trace)
    logs = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    augment = None
    if pool is not None:
        augment = pool.helper(key, "tta_augment", lambda: TracedAugment(config)).reset(config)
    classifier = Classifier(model, config, names, logs, precision=precision, augment=augment)
    classifier.engine = {"reused_model": reused, "train_traces": traces}
    return classifier


def evaluate_classifier(classifier: Classifier, images, labels, *, tta: int = None, out_dir=None,
                        seed: int = 0, watch=None) -> dict:
    """The full classification report on (images, task labels); with ``out_dir`` also writes metrics.json,
    the confusion matrix and (binary) ROC curve as PNGs, and the predictions. ``watch`` (a
    :class:`tfskin.evaluation.profile.Stopwatch`) receives seconds for ``predict``, ``score`` and ``io``."""
    from tfskin.evaluation import metrics
    from tfskin.evaluation.profile import Stopwatch

    watch = watch if watch is not None else Stopwatch()
    with watch("predict"):
        probs = classifier.predict(images, tta=tta, seed=seed)
    with watch("score"):
        y = np.asarray(labels, np.int64)
        report = metrics.classification_report(y, probs, classifier.class_names)
        report["tta"] = classifier.config.tta if tta is None else int(tta)
    if out_dir is not None:
        _write_evaluation(classifier, report, y, probs, Path(out_dir), watch)
    return report


def _write_evaluation(classifier, report, y, probs, out: Path, watch):
    """metrics.json, the confusion matrix and (binary) ROC curve PNGs and predictions.npz under ``out``."""
    from tfskin.evaluation import metrics, plots
    from tfskin.evaluation.jsonio import write_json

    with watch("io"):
        out.mkdir(parents=True, exist_ok=True)
        report["confusion_matrix_png"] = str(plots.confusion_matrix_png(
            np.array(report["confusion_matrix"]), classifier.class_names, out / "confusion_matrix.png"))
        if len(classifier.class_names) == 2:
            fpr, tpr, _ = metrics.roc_curve(y == 1, probs[:, 1])
            report["roc_curve_png"] = str(plots.roc_curve_png(fpr, tpr, report["auc"], out / "roc_curve.png"))
        np.savez_compressed(out / "predictions.npz", labels=y, probabilities=probs)
        write_json(out / "metrics.json", report)
