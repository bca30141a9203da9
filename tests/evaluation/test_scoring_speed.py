"""The vectorised scoring equals straightforward implementations: KID subset by subset, FID from the
covariances, precision/recall by explicit neighbour search, colour histograms by np.histogram; features are
extracted once per image set (content-hash cache)."""

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from tfskin import color_stats
from tfskin.evaluation import features as feats
from tfskin.evaluation import generative

# --- reference implementations: one subset / one sample at a time, as the metrics are defined ---------------

def _kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def _kid_reference(real, fake, num_subsets, size, seed):
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(num_subsets):
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        k = _kernel
        kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
        values.append((kxx.sum() - np.trace(kxx)) / (size * (size - 1)) + (kyy.sum() - np.trace(kyy))
                      / (size * (size - 1)) - 2.0 * kxy.mean())
    return np.mean(values), np.std(values, ddof=1)


def _fid_reference(real, fake):
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    eig = np.linalg.eigvals(s1 @ s2)  # (s1 s2)^(1/2) has the square roots of these eigenvalues
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2)
                 - 2.0 * np.sqrt(np.clip(eig.real, 0.0, None)).sum())


def _precision_recall_reference(real, fake, k):
    def radii(x):
        return np.array([np.sort(np.linalg.norm(x - row, axis=1))[k] for row in x])

    def inside(queries, support, r):
        return np.array([(np.linalg.norm(support - q, axis=1) <= r).any() for q in queries])

    return inside(fake, real, radii(real)).mean(), inside(real, fake, radii(fake)).mean()


@pytest.mark.parametrize("n_real, n_fake, dim, size", [(60, 50, 8, 20), (40, 90, 5, 15), (30, 30, 3, 29)])
def test_kid_equals_the_subset_by_subset_reference(n_real, n_fake, dim, size):
    rng = np.random.default_rng(dim)
    real, fake = rng.normal(size=(n_real, dim)), rng.normal(0.3, 1.2, size=(n_fake, dim))
    expected, expected_std = _kid_reference(real, fake, 12, size, seed=5)
    res = generative.kid(real, fake, num_subsets=12, subset_size=size, seed=5)
    assert res["kid"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert res["kid_std"] == pytest.approx(expected_std, rel=1e-9, abs=1e-12)


def test_kid_takes_both_routes_to_the_same_numbers():
    """Whole kernel matrices (subsets large against the sample) and batched subsets (subsets small): the size
    decides which runs; both must give the reference's numbers."""
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(400, 6)), rng.normal(size=(30, 6))  # subsets of 10 out of 400: batched route
    expected, _ = _kid_reference(real, fake, 7, 10, seed=1)
    assert generative.kid(real, fake, num_subsets=7, subset_size=10, seed=1)["kid"] == pytest.approx(expected,
                                                                                                       rel=1e-9)


@pytest.mark.parametrize("n_real, n_fake, dim", [(20, 25, 40), (30, 12, 64), (80, 70, 10)])
def test_fid_equals_the_covariance_reference_with_fewer_samples_than_dimensions(n_real, n_fake, dim):
    rng = np.random.default_rng(dim)
    real, fake = rng.random((n_real, dim)), rng.random((n_fake, dim)) ** 2
    assert generative.fid_from_features(real, fake) == pytest.approx(_fid_reference(real, fake), rel=1e-7)


@pytest.mark.parametrize("block", [7, 2048])
def test_precision_recall_equals_the_explicit_neighbour_search(block):
    rng = np.random.default_rng(block)
    real, fake = rng.normal(size=(45, 4)), rng.normal(0.5, 1.0, size=(38, 4))
    precision, recall = _precision_recall_reference(real, fake, 3)
    res = generative.precision_recall(real, fake, k=3, block=block)
    assert (res["precision"], res["recall"]) == (pytest.approx(precision), pytest.approx(recall))
    assert 0.0 < res["precision"] < 1.0 and 0.0 < res["recall"] < 1.0  # a case where the answer is not trivial


@pytest.mark.parametrize("bins", [256, 32, 4])
def test_colour_distances_equal_numpy_and_scipy_histograms(bins):
    rng = np.random.default_rng(bins)
    real = rng.integers(0, 256, (6, 9, 7, 3), dtype=np.uint8)
    fake = np.clip(rng.normal(90, 30, (5, 9, 7, 3)), 0, 255).astype(np.uint8)
    res = color_stats.colour_distances(real, fake, bins=bins)
    for c, name in enumerate(color_stats.CHANNELS):
        hr = np.histogram(real[..., c], bins=bins, range=(0, 256))[0]
        hf = np.histogram(fake[..., c], bins=bins, range=(0, 256))[0]
        assert res["js_divergence"][name] == pytest.approx(jensenshannon(hr, hf, base=2) ** 2, rel=1e-9, abs=1e-12)
        assert res["wasserstein"][name] == pytest.approx(
            wasserstein_distance(real[..., c].ravel(), fake[..., c].ravel()), rel=1e-9)
    assert np.allclose(color_stats.colour_histograms(real, bins)[1],
                       np.histogram(real[..., 1], bins=bins, range=(0, 256))[0] / real[..., 1].size)


# --- the feature cache -------------------------------------------------------------------------------------

class _CountingFeatures(feats.FeatureNetwork):
    name = "mean colour"

    def __init__(self, stable=True):
        self.calls = 0
        self.stable = stable

    def cache_key(self):
        return "mean-colour-test" if self.stable else None

    def _features(self, x):
        self.calls += 1
        return x.mean(axis=(1, 2))


def _images(seed, n=6):
    return np.random.default_rng(seed).integers(0, 256, (n, 4, 4, 3), dtype=np.uint8)


def test_features_are_extracted_once_per_image_set_and_read_back_from_disk(tmp_path):
    feats.FEATURE_CACHE.clear()
    net = _CountingFeatures().cache_on_disk(tmp_path)
    a, b = _images(0), _images(1)
    first = net(a)
    again = net(a.copy())  # same content, another array: a hit
    assert net.calls == 1 and np.array_equal(first, again)
    again[:] = -1  # callers get their own copy: the cache stays intact
    assert np.array_equal(net(a), first) and net.calls == 1
    net(b)
    assert net.calls == 2
    assert len(list(tmp_path.glob("*.npy"))) == 2
    feats.FEATURE_CACHE.clear()  # a new process: only the files remain
    fresh = _CountingFeatures().cache_on_disk(tmp_path)
    assert np.array_equal(fresh(a), first) and fresh.calls == 0


def test_a_network_without_a_stable_key_keeps_its_features_to_itself(tmp_path):
    feats.FEATURE_CACHE.clear()
    a = _images(2)
    one, two = _CountingFeatures(stable=False).cache_on_disk(tmp_path), _CountingFeatures(stable=False)
    one(a), one(a), two(a)
    assert (one.calls, two.calls) == (1, 1)
    assert not list(tmp_path.glob("*.npy"))


def test_the_memory_cache_keeps_the_most_recent_items_within_its_bounds():
    cache = feats.FeatureCache(max_items=3, max_bytes=10 * 8 * 4)  # four rows of ten float64 values
    for i in range(4):
        cache.put(f"k{i}", np.full((1, 10), i))
    assert cache.get("k0") is None and cache.get("k3")[0, 0] == 3  # k0 was the least recently used
    cache.get("k1")
    cache.put("big", np.zeros((3, 10)))  # 3 + 1 rows fit, 3 + 2 do not: evicts k2, then k3
    assert cache.get("k2") is None and cache.get("k3") is None and cache.get("k1") is not None


def test_content_hash_tells_dtype_shape_and_bytes_apart():
    x = np.arange(12, dtype=np.uint8)
    hashes = {feats.content_hash(x), feats.content_hash(x.reshape(3, 4)), feats.content_hash(x.astype(np.int16)),
              feats.content_hash(x[::-1])}
    assert len(hashes) == 4 and feats.content_hash(x.copy()) == feats.content_hash(x)


def test_pixel_features_are_the_same_with_and_without_the_cache():
    feats.FEATURE_CACHE.clear()
    images = _images(4, n=3)
    net = feats.PixelFeatures(4)
    cold, warm = net(images), net(images)
    assert np.array_equal(cold, warm)
    assert np.allclose(cold, images.reshape(3, -1) / 255.0, atol=1e-6)
