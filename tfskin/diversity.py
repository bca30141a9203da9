"""Sample diversity: how far apart the images of a set lie from each other, to be read beside the same figure
for real images of the same count. A generator that makes nearly the same image for every input (mode
collapse) scores far below real images on both figures, even where its colours match real ones.

Features are the images averaged down to 16 x 16 pixels (RGB in [0, 1], flattened): cheap, model-free, and
enough to see lesion size, position, shape and colour. Two figures per set of N images:

* ``mean_pairwise``: the mean Euclidean distance over all N (N - 1) / 2 pairs;
* ``mean_nearest``: the mean distance from each image to its nearest other image (near-duplicates pull it down
  much more than they pull the pairwise mean).

Both depend on N (the nearest-neighbour distance falls as N grows): compare sets of the same size only.
"""

import numpy as np

from tfskin.imaging import to_uint8

FEATURE_SIZE = 16
FIGURES = ("mean_pairwise", "mean_nearest")


def diversity_features(images, size: int = FEATURE_SIZE) -> np.ndarray:
    """(N, s * s * 3) features: ``images`` (uint8 (N, H, W, 3+) or floats in [0, 1]) averaged over an s x s
    grid of (near-)equal pixel blocks, RGB in [0, 1]; s = ``size``, or the image's height or width if smaller."""
    x = to_uint8(images)
    if x.ndim != 4 or x.shape[-1] < 3:
        raise ValueError(f"images must be (N, H, W, 3), got {x.shape}")
    size = min(size, *x.shape[1:3])
    x = x[..., :3].astype(np.float64) / 255.0

    def pooled(a, axis):  # means over ``size`` near-equal blocks along ``axis``
        edges = np.linspace(0, a.shape[axis], size + 1).round().astype(int)
        return np.add.reduceat(a, edges[:-1], axis=axis) / np.diff(edges).reshape(
            [-1 if i == axis else 1 for i in range(a.ndim)])

    return pooled(pooled(x, 1), 2).reshape(len(x), -1)


def _distances(features) -> np.ndarray:
    f = np.asarray(features, np.float64)
    squared = (f * f).sum(1)
    return np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2.0 * f @ f.T, 0.0))


def sample_diversity(images) -> dict:
    """``{"mean_pairwise": ..., "mean_nearest": ..., "count": N}`` of a set of N >= 2 images (see the module
    docstring)."""
    features = diversity_features(images)
    if len(features) < 2:
        raise ValueError(f"diversity needs at least 2 images, got {len(features)}")
    d = _distances(features)
    pairs = d[np.triu_indices(len(d), 1)]
    np.fill_diagonal(d, np.inf)
    return {"mean_pairwise": float(pairs.mean()), "mean_nearest": float(d.min(axis=1).mean()), "count": len(d)}


def diversity_ratio(outputs: dict, real: dict) -> dict:
    """Each figure of ``outputs`` divided by the same figure of ``real`` (sets of the same size): about 1 for
    a generator as varied as the real images, near 0 for one that makes one image."""
    if outputs["count"] != real["count"]:
        raise ValueError(f"compare sets of the same size: {outputs['count']} outputs vs {real['count']} real")
    return {name: outputs[name] / real[name] if real[name] > 0 else float("nan") for name in FIGURES}
