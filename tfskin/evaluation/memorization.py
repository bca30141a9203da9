"""Memorization checks: is a synthetic image a near copy of a training image?

For each synthetic image, its nearest training image in feature space and in pixel space. The distances only
mean something next to a baseline: the same nearest-neighbour distance from held-out real test images to the
training set. A generator that copies shows synthetic distances far below that baseline.

Flagged samples: every synthetic image closer to its nearest training image than the closest 1% of real test
images are to theirs (``FLAG_QUANTILE``) is listed by index with its nearest training image and the distance,
so the suspects can be looked at, not only counted; the closest pairs are also drawn as a PNG.
"""

from pathlib import Path

import numpy as np

from tfskin.errors import BadInputError
from tfskin.evaluation.features import PixelFeatures, as_uint8
from tfskin.evaluation.generative import pairwise_sq_distances

FLAG_QUANTILE = 0.01


def nearest_neighbours(queries, references, block: int = 512) -> tuple:
    """(index, Euclidean distance) of each query's nearest reference row."""
    q = np.asarray(queries, np.float64)
    r = np.asarray(references, np.float64)
    if len(r) == 0:
        raise BadInputError("no reference samples to search")
    index = np.empty(len(q), np.int64)
    dist = np.empty(len(q))
    for start in range(0, len(q), block):
        d = pairwise_sq_distances(q[start:start + block], r)
        i = d.argmin(axis=1)
        index[start:start + block] = i
        dist[start:start + block] = np.sqrt(d[np.arange(len(i)), i])
    return index, dist


def _summary(distances) -> dict:
    d = np.asarray(distances, np.float64)
    q = np.quantile(d, [0.0, 0.01, 0.05, 0.25, 0.5]) if d.size else [float("nan")] * 5
    return {"count": int(d.size), "mean": float(d.mean()) if d.size else float("nan"),
            "min": float(q[0]), "p01": float(q[1]), "p05": float(q[2]), "p25": float(q[3]), "median": float(q[4])}


def compare_to_baseline(synthetic_distances, baseline_distances) -> dict:
    """Distance summaries plus the share of synthetic images closer to the training set than the closest 1% /
    5% of real test images, and the ratio of medians (<< 1 suggests copying)."""
    s = np.asarray(synthetic_distances, np.float64)
    b = np.asarray(baseline_distances, np.float64)
    if b.size == 0 or s.size == 0:
        raise BadInputError("memorization needs at least one synthetic and one held-out real image")
    p01, p05 = np.quantile(b, [0.01, 0.05])
    return {
        "synthetic_to_train": _summary(s),
        "test_to_train": _summary(b),
        "share_below_baseline_p01": float((s < p01).mean()),
        "share_below_baseline_p05": float((s < p05).mean()),
        "median_ratio": float(np.median(s) / np.median(b)) if np.median(b) > 0 else float("nan"),
    }


def flagged_samples(nearest_index, distances, baseline_distances, quantile: float = FLAG_QUANTILE) -> dict:
    """The synthetic samples nearer to the training set than the ``quantile`` of the test-to-train baseline:
    {"threshold", "quantile", "samples": [{synthetic_index, nearest_train_index, distance}], closest first}."""
    d = np.asarray(distances, np.float64)
    threshold = float(np.quantile(np.asarray(baseline_distances, np.float64), quantile))
    hits = np.flatnonzero(d < threshold)
    hits = hits[np.argsort(d[hits], kind="stable")]
    return {"quantile": quantile, "threshold": threshold, "count": int(hits.size),
            "samples": [{"synthetic_index": int(i), "nearest_train_index": int(nearest_index[i]),
                         "distance": float(d[i])} for i in hits]}


def closest_pairs(nearest_index, distances, num_pairs: int = 16) -> list:
    """The ``num_pairs`` synthetic samples closest to a training image, closest first."""
    d = np.asarray(distances, np.float64)
    order = np.argsort(d, kind="stable")[:num_pairs]
    return [{"synthetic_index": int(i), "nearest_train_index": int(nearest_index[i]), "distance": float(d[i])}
            for i in order]


def memorization_report(train_images, synthetic_images, test_images, feature_network=None, pixel_size: int = 32,
                        closest_pairs_png=None, num_pairs: int = 16) -> dict:
    """Nearest training neighbour of every synthetic image (and, as a baseline, of every real test image) in
    pixel space (``pixel_size`` x ``pixel_size``, RMS distance per pixel value) and, when a feature network is
    given, in its feature space. Optionally writes a PNG of the closest synthetic/training pairs."""
    pixels = PixelFeatures(pixel_size)
    spaces = {"pixel": pixels}
    if feature_network is not None:
        spaces["feature"] = feature_network
    scale = {"pixel": 1.0 / np.sqrt(pixel_size * pixel_size * 3)}
    report = {"num_train": int(len(train_images)), "num_synthetic": int(len(synthetic_images)),
              "num_test": int(len(test_images))}
    nn = {}
    for space, net in spaces.items():
        f_train, f_syn, f_test = net(train_images), net(synthetic_images), net(test_images)
        idx, dist = nearest_neighbours(f_syn, f_train)
        _, base = nearest_neighbours(f_test, f_train)
        dist, base = dist * scale.get(space, 1.0), base * scale.get(space, 1.0)
        nn[space] = (idx, dist)
        report[space] = {"network": net.name, **compare_to_baseline(dist, base),
                         "flagged": flagged_samples(idx, dist, base), "closest": closest_pairs(idx, dist, num_pairs),
                         "nearest_train_index": idx.tolist(), "distance": dist.tolist()}
    if closest_pairs_png is not None:
        idx, dist = nn["feature" if "feature" in nn else "pixel"]
        report["closest_pairs_png"] = str(save_closest_pairs(synthetic_images, train_images, idx, dist,
                                                             closest_pairs_png, num_pairs))
    return report


def save_closest_pairs(synthetic_images, train_images, nearest_index, distances, path, num_pairs: int = 16):
    """PNG grid: each column a synthetic image (top) over its nearest training image (bottom), closest first."""
    from PIL import Image

    from tfskin.imaging import save_png, tile

    order = np.argsort(distances, kind="stable")[:num_pairs]
    syn = as_uint8(synthetic_images)
    train = as_uint8(train_images)
    h, w = syn.shape[1:3]
    if train.shape[1:3] != (h, w):
        train = np.stack([np.asarray(Image.fromarray(t).resize((w, h), Image.BILINEAR)) for t in train])
    pairs = np.concatenate([syn[order], train[nearest_index[order]]], axis=1)
    return Path(save_png(tile(pairs, columns=min(8, len(order))), path))
