"""The colour statistics by which MelanoGANs compared real and synthetic sets (Lunagariya and Patel, section
6.1.2): the Jensen-Shannon divergence between normalized per-channel colour histograms, and the per-channel
Wasserstein (earth mover's) distance between pixel-intensity distributions.

Images are uint8 (N, H, W, 3) or floats in [0, 1]; intensities are measured on the 0..255 scale.
"""

import numpy as np

from tfskin.imaging import to_uint8

CHANNELS = ("red", "green", "blue")


def _channel_counts(images) -> np.ndarray:
    """(3, 256) counts of the red, green and blue values of a set; every bin count derives from these."""
    x = to_uint8(images)
    if x.ndim != 4 or x.shape[-1] < 3:
        raise ValueError(f"images must be (N, H, W, 3), got {x.shape}")
    # one bincount per channel of the uint8 values is faster than one over channel-offset (wider) integers
    return np.stack([np.bincount(x[..., c].ravel(), minlength=256) for c in range(3)])


def _normalized(counts, bins: int) -> np.ndarray:
    if 256 % bins:
        raise ValueError(f"bins must divide 256, got {bins}")
    hist = counts.reshape(3, bins, 256 // bins).sum(axis=2)
    return hist / hist.sum(axis=1, keepdims=True)


def colour_histograms(images, bins: int = 256) -> np.ndarray:
    """(3, bins) normalized histograms (each row sums to 1) of the red, green and blue values of a set."""
    if 256 % bins:
        raise ValueError(f"bins must divide 256, got {bins}")
    return _normalized(_channel_counts(images), bins)


def js_divergence(p, q, base: float = 2.0) -> float:
    """Jensen-Shannon divergence between two discrete distributions (base 2: between 0 and 1)."""
    p = np.asarray(p, np.float64)
    q = np.asarray(q, np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2.0

    def kl(a, b):
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / b[nz])))

    return (kl(p, m) + kl(q, m)) / 2.0 / np.log(base)


def wasserstein_from_histograms(p, q, bin_width: float = 1.0) -> float:
    """1-D Wasserstein-1 distance between two histograms on the same equally spaced bins: the area between
    their cumulative distributions."""
    p = np.asarray(p, np.float64)
    q = np.asarray(q, np.float64)
    return float(np.abs(np.cumsum(p / p.sum()) - np.cumsum(q / q.sum()))[:-1].sum() * bin_width)


def _js_rows(p, q, base: float = 2.0) -> np.ndarray:
    """:func:`js_divergence` of each row pair of two (C, bins) arrays of distributions."""
    p = p / p.sum(axis=1, keepdims=True)
    q = q / q.sum(axis=1, keepdims=True)
    m = (p + q) / 2.0

    def kl(a, b):
        return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / np.where(a > 0, b, 1.0)), 0.0).sum(axis=1)

    return (kl(p, m) + kl(q, m)) / 2.0 / np.log(base)


def _wasserstein_rows(p, q) -> np.ndarray:
    """:func:`wasserstein_from_histograms` (unit bins) of each row pair of two (C, bins) arrays."""
    cp = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    cq = np.cumsum(q / q.sum(axis=1, keepdims=True), axis=1)
    return np.abs(cp - cq)[:, :-1].sum(axis=1)


def colour_distances(real_images, synthetic_images, bins: int = 256) -> dict:
    """Per-channel and mean JS divergence of colour histograms and Wasserstein-1 distance of intensities
    (in 0..255 units), with the sample counts."""
    counts_real, counts_synthetic = _channel_counts(real_images), _channel_counts(synthetic_images)
    js_rows = _js_rows(_normalized(counts_real, bins), _normalized(counts_synthetic, bins))
    # Wasserstein on the full-resolution 256-level histograms is exact for uint8 intensities.
    w_rows = _wasserstein_rows(_normalized(counts_real, 256), _normalized(counts_synthetic, 256))
    js = {c: float(v) for c, v in zip(CHANNELS, js_rows, strict=True)}
    w = {c: float(v) for c, v in zip(CHANNELS, w_rows, strict=True)}
    return {
        "js_divergence": {**js, "mean": float(np.mean(list(js.values())))},
        "wasserstein": {**w, "mean": float(np.mean(list(w.values())))},
        "bins": int(bins),
        "num_real": int(len(real_images)),
        "num_synthetic": int(len(synthetic_images)),
    }
