"""Colour statistics MelanoGANs compared real and synthetic sets by (001 section 6.1.2): the Jensen-Shannon
divergence between normalized per-channel colour histograms, and the per-channel Wasserstein (earth mover's)
distance between pixel-intensity distributions.

Images are uint8 (N, H, W, 3) or floats in [0, 1]; intensities are measured on the 0..255 scale.
"""

import numpy as np

from tfskin.imaging import to_uint8

CHANNELS = ("red", "green", "blue")


def colour_histograms(images, bins: int = 256) -> np.ndarray:
    """(3, bins) normalized histograms (each row sums to 1) of the red, green and blue values of a set."""
    x = to_uint8(images)
    if x.ndim != 4 or x.shape[-1] < 3:
        raise ValueError(f"images must be (N, H, W, 3), got {x.shape}")
    if 256 % bins:
        raise ValueError(f"bins must divide 256, got {bins}")
    hist = np.stack([np.bincount(x[..., c].ravel() // (256 // bins), minlength=bins) for c in range(3)])
    return hist / hist.sum(axis=1, keepdims=True)


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


def colour_distances(real_images, synthetic_images, bins: int = 256) -> dict:
    """Per-channel and mean JS divergence of colour histograms and Wasserstein-1 distance of intensities
    (in 0..255 units), with the sample counts."""
    hr = colour_histograms(real_images, bins)
    hs = colour_histograms(synthetic_images, bins)
    js = {c: js_divergence(hr[i], hs[i]) for i, c in enumerate(CHANNELS)}
    # Wasserstein on the full-resolution 256-level histograms is exact for uint8 intensities.
    wr, ws = colour_histograms(real_images, 256), colour_histograms(synthetic_images, 256)
    w = {c: wasserstein_from_histograms(wr[i], ws[i]) for i, c in enumerate(CHANNELS)}
    return {
        "js_divergence": {**js, "mean": float(np.mean(list(js.values())))},
        "wasserstein": {**w, "mean": float(np.mean(list(w.values())))},
        "bins": int(bins),
        "num_real": int(len(real_images)),
        "num_synthetic": int(len(synthetic_images)),
    }
