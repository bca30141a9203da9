"""FID / KID / precision-recall / colour statistics against direct computations."""

import numpy as np
import pytest
import scipy.linalg
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from tfskin import color_stats
from tfskin.evaluation import generative


def _fid_scipy(x, y):
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * np.real(covmean)))


def test_fid_matches_scipy_sqrtm_on_well_conditioned_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 16))
    y = rng.normal(size=(300, 16)) @ rng.normal(size=(16, 16)) * 0.5 + 0.3
    assert generative.fid_from_features(x, y) == pytest.approx(_fid_scipy(x, y), rel=1e-6, abs=1e-6)
    assert generative.fid_from_features(x, x) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("tiny", [1e-8, 1e-12, 0.0])
def test_fid_exact_for_nearly_singular_commuting_covariances(tiny):
    """Covariances sharing eigenvectors have a closed form: |dmu|^2 + sum (sqrt(a_i) - sqrt(b_i))^2."""
    rng = np.random.default_rng(1)
    d = 32
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    a = rng.random(d) * 2.0
    b = rng.random(d) * 3.0
    a[:10] = tiny
    b[5:15] = tiny
    s1, s2 = (q * a) @ q.T, (q * b) @ q.T
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert generative.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, abs=1e-6)


def test_fid_exact_with_fewer_samples_than_dimensions():
    """Rank-deficient covariances straight from features: tr sqrt(S1 S2) equals the nuclear norm of
    A B^T with S1 = A^T A and S2 = B^T B, a computation that never forms a matrix square root."""
    rng = np.random.default_rng(2)
    d = 64
    x = rng.normal(size=(20, d)) * rng.random(d) * 3
    y = rng.normal(size=(30, d)) + 0.1
    a = (x - x.mean(0)) / np.sqrt(len(x) - 1)
    b = (y - y.mean(0)) / np.sqrt(len(y) - 1)
    nuclear = np.linalg.svd(a @ b.T, compute_uv=False).sum()
    expected = np.sum((x.mean(0) - y.mean(0)) ** 2) + np.sum(a * a) + np.sum(b * b) - 2 * nuclear
    assert generative.fid_from_features(x, y) == pytest.approx(expected, abs=1e-6)
    assert generative.trace_sqrt_product(a.T @ a, b.T @ b) == pytest.approx(nuclear, abs=1e-6)


def test_fid_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        generative.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def _mmd2_loops(x, y):
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1.0) ** 3
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_kid_matches_loop_computation_and_reports_std():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(25, 6))
    y = rng.normal(size=(30, 6)) + 0.5
    assert generative.mmd2_unbiased(x, y) == pytest.approx(_mmd2_loops(x, y), rel=1e-10)
    res = generative.kid(x, y, num_subsets=10, subset_size=20, seed=0)
    rs = np.random.default_rng(0)
    vals = []
    for _ in range(10):
        xi = x[rs.choice(25, 20, replace=False)]
        yi = y[rs.choice(30, 20, replace=False)]
        vals.append(_mmd2_loops(xi, yi))
    assert res["kid"] == pytest.approx(np.mean(vals), rel=1e-10)
    assert res["kid_std"] == pytest.approx(np.std(vals, ddof=1), rel=1e-8)
    assert res["subset_size"] == 20
    same = generative.kid(rng.normal(size=(300, 6)), rng.normal(size=(300, 6)), num_subsets=5, subset_size=200)
    assert abs(same["kid"]) < 0.1 < 1.0 < res["kid"]


def _pr_brute(real, fake, k):
    def radius(s, i):
        d = sorted(np.linalg.norm(s[i] - s[j]) for j in range(len(s)) if j != i)
        return d[k - 1]

    rr = [radius(real, i) for i in range(len(real))]
    rf = [radius(fake, i) for i in range(len(fake))]
    prec = np.mean([any(np.linalg.norm(f - real[j]) <= rr[j] for j in range(len(real))) for f in fake])
    rec = np.mean([any(np.linalg.norm(r - fake[j]) <= rf[j] for j in range(len(fake))) for r in real])
    return prec, rec


def test_precision_recall_matches_brute_force():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(40, 5))
    fake = rng.normal(size=(35, 5)) * 0.5 + 1.0
    res = generative.precision_recall(real, fake, k=3)
    prec, rec = _pr_brute(real, fake, 3)
    assert res["precision"] == pytest.approx(prec) and res["recall"] == pytest.approx(rec)
    assert 0.0 < res["precision"] < 1.0 and res["recall"] < res["precision"]


def test_generative_metrics_are_stamped():
    rng = np.random.default_rng(5)
    res = generative.generative_metrics(rng.normal(size=(30, 4)), rng.normal(size=(20, 4)),
                                        feature_network="test-net", kid_subsets=3, kid_subset_size=10)
    assert res["num_real"] == 30 and res["num_synthetic"] == 20
    assert res["feature_network"] == "test-net" and res["comparable_to_papers"] is False
    assert res["feature_dim"] == 4


def test_colour_js_and_wasserstein_against_scipy():
    rng = np.random.default_rng(6)
    real = rng.integers(0, 256, (6, 10, 12, 3), dtype=np.uint8)
    fake = np.clip(rng.normal(140, 30, (5, 10, 12, 3)), 0, 255).astype(np.uint8)
    res = color_stats.colour_distances(real, fake, bins=32)
    for c, name in enumerate(color_stats.CHANNELS):
        hr = np.bincount(real[..., c].ravel() // 8, minlength=32)
        hf = np.bincount(fake[..., c].ravel() // 8, minlength=32)
        assert res["js_divergence"][name] == pytest.approx(jensenshannon(hr, hf, base=2) ** 2, abs=1e-12)
        w = sps.wasserstein_distance(real[..., c].ravel().astype(float), fake[..., c].ravel().astype(float))
        assert res["wasserstein"][name] == pytest.approx(w, abs=1e-9)
    same = color_stats.colour_distances(real, real)
    assert same["js_divergence"]["mean"] == 0.0 and same["wasserstein"]["mean"] == 0.0
    floats = color_stats.colour_distances(real.astype(np.float32) / 255.0, fake)
    assert floats["wasserstein"]["mean"] == pytest.approx(res["wasserstein"]["mean"], abs=1e-9)


def test_kid_default_subsets_are_smaller_than_the_sample_and_seeded():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(60, 5)), rng.normal(0.3, 1.0, size=(50, 5))
    res = generative.kid(x, y, num_subsets=20, seed=11)
    assert res["subset_size"] == generative.default_kid_subset_size(60, 50) == 25
    assert res["num_subsets"] == 20 and res["kid_seed"] == 11 and res["kid_std"] > 0
    assert not res["kid_subsets_are_whole_sample"]
    assert generative.kid(x, y, num_subsets=20, seed=11) == res
    assert generative.kid(x, y, num_subsets=20, seed=12)["kid"] != res["kid"]
    assert generative.default_kid_subset_size(5000, 4000) == 1000
