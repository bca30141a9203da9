"""Lesion segmenters for the downstream evaluation of Pollastri et al. 2020 (section 4; "the paper" below).

* ``cdnn``: the convolutional/deconvolutional network of the ISIC 2017 winner as the paper reimplements it:
  stride-1 3x3 convolutions with ReLU, max-pool downsampling, stride-2 transposed convolutions back up, no skip
  connections, a sigmoid output. 28 layers (input, 23 convolution/deconvolution layers, 4 pooling layers);
  at ``width=1`` (encoder 32-64-128-256, a 256-wide bottleneck, decoder mirrored) it has 4.9M parameters,
  the paper's "about 5M". The exact filter table of the original is not in the paper; this is tfskin's reading.
* ``unet``: U-Net (Ronneberger et al. 2015) with skip connections; the paper trains it with BCE.

Variants (the paper's Table 1): input channels ``rgb`` (CDNN1), ``rgb_hsv_l`` (RGB+HSV+L*, the baseline
CDNN0) or ``rgb_hsv_lab`` (all of RGB, HSV and CIELAB, CDNN2); sizes 96x128, 192x256, 384x512; losses tanimoto
(Eq. 1), jaccard (Eq. 2/3), mse (Eq. 4), bce (Eq. 6). Models take RGB in [0, 1] and compute the extra colour
channels themselves, so inference needs nothing but the image.

Training (the paper's section 5): optional first phase on synthetic image/mask pairs drawn fresh from a
generator for every batch, then real data; compare with real-only training of equal total length. Post-processing of an
ensemble: the dual threshold (0.8, connected components, biggest object, then 0.4).
"""

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from tfskin.config import ConfigError, ConfigMixin
from tfskin.errors import BadInputError
from tfskin.evaluation.choices import ARCHITECTURES, CDNN_VARIANTS, CHANNEL_MODES  # noqa: F401 (re-exported)
from tfskin.evaluation.seg_losses import get_loss

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")


@dataclasses.dataclass(frozen=True)
class SegmenterConfig(ConfigMixin):
    arch: str = "cdnn"
    channels: str = "rgb_hsv_l"
    image_size: tuple = (192, 256)
    loss: str = "tanimoto"
    width: float = 1.0  # filter multiplier (1.0 = the paper's ~5M-parameter CDNN / 64-wide U-Net)
    learning_rate: float = 3e-4
    batch_size: int = 16
    augment: bool = True
    seed: int = 0
    # float32, not auto: bf16 trained the small CDNN no faster on an AVX512-BF16 CPU
    # (scripts/bench_small_precision.py), and its HSV/CIELAB channels would be computed at 8 bits of mantissa
    precision: str = "float32"

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ConfigError(f"segmenter.precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        if self.arch not in ARCHITECTURES:
            raise ConfigError(f"segmenter.arch {self.arch!r} is not one of {', '.join(ARCHITECTURES)}")
        if self.channels not in CHANNEL_MODES:
            raise ConfigError(f"segmenter.channels {self.channels!r} is not one of {', '.join(CHANNEL_MODES)}")
        get_loss(self.loss)
        h, w = self.image_size
        if h % 16 or w % 16:
            raise ConfigError(f"segmenter image size {h}x{w} must be divisible by 16 (four poolings)")

    @classmethod
    def variant(cls, name: str, **overrides) -> "SegmenterConfig":
        """A CDNN variant of Pollastri et al. 2020, Table 1, by name (cdnn0..cdnn6), with overrides."""
        try:
            values = CDNN_VARIANTS[name.lower()]
        except KeyError:
            raise ConfigError(f"unknown CDNN variant {name!r}; valid: {', '.join(CDNN_VARIANTS)}") from None
        return cls(arch="cdnn", **{**values, **overrides})


# --- colour channels ---------------------------------------------------------------------------------------

def rgb_to_hsv(rgb):
    """RGB in [0, 1] -> HSV in [0, 1] (hue as a fraction of a turn), keras.ops only."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = ops.max(rgb, axis=-1)
    c = v - ops.min(rgb, axis=-1)
    safe_c = ops.where(c > 0, c, 1.0)
    s = ops.where(v > 0, c / ops.where(v > 0, v, 1.0), 0.0)
    h = ops.where(v == r, (g - b) / safe_c, ops.where(v == g, 2.0 + (b - r) / safe_c, 4.0 + (r - g) / safe_c))
    h = ops.where(c > 0, (h / 6.0) % 1.0, 0.0)
    return ops.stack([h, s, v], axis=-1)


def rgb_to_lab(rgb):
    """sRGB in [0, 1] -> CIELAB (D65): L* in 0..100, a*, b* roughly -128..127, keras.ops only."""
    linear = ops.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = ops.convert_to_tensor([[0.412453, 0.212671, 0.019334],
                               [0.357580, 0.715160, 0.119193],
                               [0.180423, 0.072169, 0.950227]], dtype=rgb.dtype)
    xyz = ops.matmul(linear, m) / ops.convert_to_tensor([0.95047, 1.0, 1.08883], dtype=rgb.dtype)
    f = ops.where(xyz > 0.008856, ops.sign(xyz) * ops.abs(xyz) ** (1.0 / 3.0), 7.787 * xyz + 16.0 / 116.0)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return ops.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


@keras.saving.register_keras_serializable(package="tfskin")
class ColorChannels(layers.Layer):
    """RGB [0, 1] -> the stacked input channels of a segmenter variant (HSV in [0, 1], L* / 100, a*, b* / 128)."""

    def __init__(self, mode: str = "rgb", **kwargs):
        super().__init__(**kwargs)
        if mode not in CHANNEL_MODES:
            raise ConfigError(f"unknown channel mode {mode!r}; valid: {', '.join(CHANNEL_MODES)}")
        self.mode = mode

    def call(self, rgb):
        rgb = ops.clip(ops.cast(rgb, "float32"), 0.0, 1.0)
        if self.mode == "rgb":
            return rgb
        lab = rgb_to_lab(rgb)
        parts = [rgb, rgb_to_hsv(rgb)]
        if self.mode == "rgb_hsv_l":
            parts.append(lab[..., :1] / 100.0)
        else:
            parts.append(ops.concatenate([lab[..., :1] / 100.0, lab[..., 1:] / 128.0], axis=-1))
        return ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], CHANNEL_MODES[self.mode])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


# --- networks ----------------------------------------------------------------------------------------------

def _conv(x, filters, name):
    return layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)(x)


def build_cdnn(config: SegmenterConfig) -> keras.Model:
    widths = [max(4, int(round(w * config.width))) for w in (32, 64, 128, 256)]
    inputs = keras.Input((*config.image_size, 3), name="image")
    x = ColorChannels(config.channels, name="colour_channels")(inputs)
    for i, w in enumerate(widths):
        x = _conv(x, w, f"enc{i}_conv1")
        x = _conv(x, w, f"enc{i}_conv2")
        x = layers.MaxPooling2D(name=f"enc{i}_pool")(x)
    x = _conv(x, widths[-1], "bottleneck_conv1")
    x = _conv(x, widths[-1], "bottleneck_conv2")
    for i, w in reversed(list(enumerate(widths))):
        x = layers.Conv2DTranspose(w, 3, strides=2, padding="same", activation="relu", name=f"dec{i}_deconv")(x)
        x = _conv(x, w, f"dec{i}_conv1")
        x = _conv(x, w, f"dec{i}_conv2")
    outputs = layers.Conv2D(1, 1, activation="sigmoid", dtype="float32", name="probability")(x)
    return keras.Model(inputs, outputs, name=f"cdnn_{config.channels}")


def build_unet(config: SegmenterConfig) -> keras.Model:
    widths = [max(4, int(round(w * config.width))) for w in (64, 128, 256, 512)]
    inputs = keras.Input((*config.image_size, 3), name="image")
    x = ColorChannels(config.channels, name="colour_channels")(inputs)
    skips = []
    for i, w in enumerate(widths):
        x = _conv(_conv(x, w, f"enc{i}_conv1"), w, f"enc{i}_conv2")
        skips.append(x)
        x = layers.MaxPooling2D(name=f"enc{i}_pool")(x)
    bottom = widths[-1] * 2
    x = _conv(_conv(x, bottom, "bottleneck_conv1"), bottom, "bottleneck_conv2")
    for i, w in reversed(list(enumerate(widths))):
        x = layers.Conv2DTranspose(w, 2, strides=2, padding="same", name=f"dec{i}_up")(x)
        x = layers.Concatenate(name=f"dec{i}_skip")([x, skips[i]])
        x = _conv(_conv(x, w, f"dec{i}_conv1"), w, f"dec{i}_conv2")
    outputs = layers.Conv2D(1, 1, activation="sigmoid", dtype="float32", name="probability")(x)
    return keras.Model(inputs, outputs, name=f"unet_{config.channels}")


def build_segmenter(config: SegmenterConfig) -> keras.Model:
    """The configured network, compiled, under the dtype policy ``config.precision`` resolves to."""
    from tfskin.runtime import precision_policy, resolve_precision

    with precision_policy(resolve_precision(config.precision)[0]):
        model = build_cdnn(config) if config.arch == "cdnn" else build_unet(config)
        model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss=get_loss(config.loss))
    return model


# --- data --------------------------------------------------------------------------------------------------

def _prepare(images, masks, size):
    from tfskin.evaluation.real_data import resize_images

    x = resize_images(np.asarray(images), size).astype(np.float32) / 255.0
    if masks is None:
        return x, None
    m = np.asarray(masks)
    if m.ndim == 3:
        m = m[..., np.newaxis]
    m = resize_images(m, size, is_mask=True)
    return x, (m >= 128 if m.dtype == np.uint8 and m.max(initial=0) > 1 else m > 0.5).astype(np.float32)


def augment_pairs(images, masks, rng):
    """Random flips (and 180-degree turns) of image/mask pairs together, plus brightness/contrast jitter of the
    images: the paper's flips/rotations/contrast changes in a form that keeps non-square shapes."""
    n = len(images)
    flip_lr = rng.random(n) < 0.5
    flip_ud = rng.random(n) < 0.5
    images, masks = images.copy(), masks.copy()
    images[flip_lr] = images[flip_lr, :, ::-1]
    masks[flip_lr] = masks[flip_lr, :, ::-1]
    images[flip_ud] = images[flip_ud, ::-1]
    masks[flip_ud] = masks[flip_ud, ::-1]
    contrast = rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32)
    brightness = rng.uniform(-0.08, 0.08, (n, 1, 1, 1)).astype(np.float32)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    images = np.clip((images - mean) * contrast + mean + brightness, 0.0, 1.0)
    return images, masks


def train_segmenter(config: SegmenterConfig, real_images=None, real_masks=None, *, real_steps: int = 0,
                    synthetic_source=None, synthetic_steps: int = 0, model: keras.Model = None,
                    log_every: int = 0, stream=None, watch=None, pool=None) -> tuple:
    """Two-step training: ``synthetic_steps`` batches drawn fresh from ``synthetic_source`` (one
    ``sample(batch_size, seed)`` call per batch), then ``real_steps`` batches of real pairs. Returns
    (model, history) where history holds the loss per step, the phase boundaries and the dtype policy.
    ``watch`` (a :class:`tfskin.evaluation.profile.Stopwatch`) receives seconds for ``build``, ``generate``
    (synthetic batches), ``trace`` (the first step, when it traced) and ``train`` (the other steps). ``pool`` (a
    :class:`tfskin.evaluation.engine.ModelPool`, without ``model``): reuse its model of this config, reset to
    this seed's fresh state, with its traced step (valid until the pool's next run of this config); the history
    then says whether the model was reused (``reused_model``) and how often its step was traced."""
    from tfskin.evaluation.engine import config_key, tracing_count
    from tfskin.evaluation.profile import Stopwatch

    watch = watch if watch is not None else Stopwatch()
    if synthetic_steps and synthetic_source is None:
        raise ConfigError("synthetic_steps > 0 needs a synthetic source")
    if synthetic_steps and not synthetic_source.has_masks:
        raise ConfigError(f"synthetic source {synthetic_source.describe()} makes no masks; the segmenter needs "
                         f"image+mask pairs (a 4-channel generator)")
    if real_steps and (real_images is None or real_masks is None or len(real_images) == 0):
        raise BadInputError("real_steps > 0 needs real images and masks")
    keras.utils.set_random_seed(config.seed)
    reused = False
    with watch("build"):
        if model is None and pool is not None:
            model, reused = pool.model(config_key("segmenter", config), lambda: build_segmenter(config))
        model = model or build_segmenter(config)
    traces_before = tracing_count(model.train_function) or 0
    watch.add("trace", 0.0)
    rng = np.random.default_rng(config.seed)
    losses = []
    if real_steps:
        x_real, m_real = _prepare(real_images, real_masks, config.image_size)
    bs = config.batch_size
    for phase, steps in (("synthetic", synthetic_steps), ("real", real_steps)):
        for step in range(steps):
            if phase == "synthetic":
                with watch("generate"):
                    batch = synthetic_source.sample(bs, seed=config.seed * 1_000_003 + step)
                    x, m = _prepare(batch["image"], batch["mask"], config.image_size)
            else:
                idx = rng.choice(len(x_real), bs, replace=len(x_real) < bs)
                x, m = x_real[idx], m_real[idx]
            if config.augment:
                x, m = augment_pairs(x, m, rng)
            started = time.perf_counter()
            loss = model.train_on_batch(x, m)
            # the first step traces, unless a reused model's step was traced already
            first = not losses and (tracing_count(model.train_function) or 0) > traces_before
            watch.add("trace" if first else "train", time.perf_counter() - started)
            losses.append(float(loss if np.isscalar(loss) else loss[0]))
            if log_every and (len(losses) % log_every == 0) and stream is not None:
                print(f"  {phase} step {step + 1}/{steps}: loss {np.mean(losses[-log_every:]):.4f}", file=stream)
    return model, {"loss": losses, "synthetic_steps": int(synthetic_steps), "real_steps": int(real_steps),
                   "precision": model.dtype_policy.name, "reused_model": reused,
                   "train_traces": (tracing_count(model.train_function) or 0) - traces_before}


def predict_masks(model, images, image_size=None, batch_size: int = 32) -> np.ndarray:
    """Lesion probabilities (N, H, W, 1) at the model's input size."""
    size = image_size or tuple(model.input_shape[1:3])
    x, _ = _prepare(images, None, size)
    return np.concatenate([ops.convert_to_numpy(model(x[i:i + batch_size], training=False))
                           for i in range(0, len(x), batch_size)]) if len(x) else np.zeros((0, *size, 1))


def evaluate_segmenter(model, images, masks, *, out_dir=None, threshold: float = 0.5) -> dict:
    from tfskin.evaluation.metrics import segmentation_report

    size = tuple(model.input_shape[1:3])
    probs = predict_masks(model, images, size)
    _, truth = _prepare(images, masks, size)
    report = segmentation_report(truth, probs, threshold)
    if out_dir is not None:
        _write_report(report, out_dir)
    return report


def _write_report(report, out_dir):
    from tfskin.evaluation.plots import histogram_png

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hist = report["jaccard_histogram"]
    title = (f"per-image Jaccard: mean (ISIC 2017) {report['jaccard']:.3f}, thresholded (ISIC 2018) "
             f"{report['thresholded_jaccard']:.3f}")
    report["jaccard_histogram_png"] = str(histogram_png(hist["counts"], hist["edges"], out / "jaccard_histogram.png",
                                                        title=title))
    from tfskin.evaluation.jsonio import write_json

    write_json(out / "metrics.json", report)


# --- ensemble ----------------------------------------------------------------------------------------------

def dual_threshold(probability, high: float = 0.8, low: float = 0.4) -> np.ndarray:
    """Pollastri et al. 2020, section 5.2: threshold at ``high``, label connected components, take the biggest
    object's centre as the lesion centre, then threshold at ``low`` and keep the low-threshold component holding
    that centre (or, if the centre falls outside it, the one overlapping the biggest high object most). Without
    any pixel above ``high``, the biggest low-threshold component. Input (H, W) or (H, W, 1); output bool (H, W)."""
    from scipy import ndimage

    p = np.asarray(probability, np.float64)
    if p.ndim == 3:
        p = p[..., 0]
    low_labels, n_low = ndimage.label(p > low)
    if n_low == 0:
        return np.zeros(p.shape, bool)
    high_labels, n_high = ndimage.label(p > high)
    if n_high == 0:
        sizes = np.bincount(low_labels.ravel())[1:]
        return low_labels == (int(sizes.argmax()) + 1)
    biggest = (high_labels == (int(np.bincount(high_labels.ravel())[1:].argmax()) + 1))
    cy, cx = (int(round(c)) for c in ndimage.center_of_mass(biggest))
    keep = low_labels[cy, cx]
    if keep == 0:
        keep = int(np.bincount(low_labels[biggest], minlength=n_low + 1)[1:].argmax()) + 1
    return low_labels == keep


def ensemble_predict(models, images, *, output_size=None, high: float = 0.8, low: float = 0.4) -> dict:
    """Mean probability of several segmenters (each at its own input size, resized to ``output_size``, by
    default the first model's) and its dual-threshold masks."""
    from tfskin.evaluation.real_data import resize_images

    size = output_size or tuple(models[0].input_shape[1:3])
    total = np.zeros((len(images), *size, 1), np.float32)
    for model in models:
        probs = predict_masks(model, images)
        if probs.shape[1:3] != size:
            probs = resize_images((probs * 255).astype(np.uint8), size).astype(np.float32) / 255.0
        total += probs
    mean = total / len(models)
    masks = np.stack([dual_threshold(p, high, low) for p in mean])[..., np.newaxis] if len(mean) else mean > 0
    return {"probability": mean, "mask": masks}


# --- studies -----------------------------------------------------------------------------------------------

def two_step_comparison(config: SegmenterConfig, train, test, *, synthetic_source, synthetic_steps: int,
                        real_steps: int, out_dir=None) -> dict:
    """Pollastri et al.'s comparison: synthetic-then-real training against real-only training of the same
    total length, both scored on the same real test set. ``train`` / ``test``: dicts with ``image`` and ``mask``."""
    results = {}
    runs = {"real_only": dict(real_steps=synthetic_steps + real_steps),
            "synthetic_then_real": dict(synthetic_source=synthetic_source, synthetic_steps=synthetic_steps,
                                        real_steps=real_steps)}
    for name, kwargs in runs.items():
        model, history = train_segmenter(config, train["image"], train["mask"], **kwargs)
        report = evaluate_segmenter(model, test["image"], test["mask"],
                                    out_dir=None if out_dir is None else Path(out_dir) / name)
        report.pop("jaccard_per_image", None)
        results[name] = {**report, "final_loss": float(np.mean(history["loss"][-10:])), **{
            k: history[k] for k in ("synthetic_steps", "real_steps")}}
    results["jaccard_gain"] = results["synthetic_then_real"]["jaccard"] - results["real_only"]["jaccard"]
    return results


def subset_size_study(config: SegmenterConfig, train, test, *, sizes=(500, 1000, 1500), synthetic_source=None,
                      synthetic_steps: int = 0, real_steps: int = 100, seed: int = 0) -> list:
    """Pollastri et al. 2020, section 5.3: real training subsets of the given sizes, each trained with and
    without a synthetic first phase (same total steps). Returns rows {size, with_gan, jaccard,
    thresholded_jaccard, dice}."""
    rows = []
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train["image"]))
    for size in sizes:
        if size > len(order):
            raise ConfigError(f"subset size {size} exceeds the {len(order)} training images")
        idx = np.sort(order[:size])  # nested subsets: the 1000 contain the 500
        subset = {k: train[k][idx] for k in ("image", "mask")}
        for with_gan in ([False, True] if synthetic_source is not None else [False]):
            kwargs = (dict(synthetic_source=synthetic_source, synthetic_steps=synthetic_steps, real_steps=real_steps)
                      if with_gan else dict(real_steps=real_steps + synthetic_steps))
            model, _ = train_segmenter(config, subset["image"], subset["mask"], **kwargs)
            report = evaluate_segmenter(model, test["image"], test["mask"])
            rows.append({"size": int(size), "with_gan": with_gan, "jaccard": report["jaccard"],
                         "thresholded_jaccard": report["thresholded_jaccard"], "dice": report["dice"],
                         "share_below_0.7": report["share_below_0.7"]})
    return rows
