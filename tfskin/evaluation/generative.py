"""Generative metrics on feature vectors: Fréchet distance (FID), kernel inception distance (KID) and
k-nearest-neighbour precision/recall. Every result is stamped with the sample counts and the feature network
(``feature_network``) so that numbers are never compared across incomparable settings.

Features are (N, D) arrays from :mod:`tfskin.evaluation.features`; all arithmetic is float64.
"""

import numpy as np

from tfskin.errors import BadInputError

KID_SUBSETS = 100
KID_MAX_SUBSET = 1000


def feature_statistics(features) -> tuple:
    """(mean, covariance) of (N, D) features, covariance with the unbiased N - 1 normalization."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise BadInputError(f"features must be (N >= 2, D), got shape {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a (numerically) positive semi-definite matrix; tiny negative eigenvalues from
    round-off are clipped to zero."""
    sym = (sigma + sigma.T) / 2.0
    w, v = np.linalg.eigh(sym)
    return (v * np.sqrt(_clip_noise(w))) @ v.T


def _clip_noise(eigenvalues: np.ndarray) -> np.ndarray:
    """Zero the eigenvalues that are round-off noise (below D * eps * the largest, as ``matrix_rank`` does):
    their square roots would otherwise add up to a visible error when a covariance is rank deficient."""
    w = np.asarray(eigenvalues, np.float64)
    tol = w.size * np.finfo(np.float64).eps * max(float(np.abs(w).max(initial=0.0)), 0.0)
    return np.where(w > tol, w, 0.0)


def trace_sqrt_product(sigma1, sigma2) -> float:
    """tr((sigma1 sigma2)^(1/2)) for PSD sigma1, sigma2.

    sigma1 sigma2 is similar to the PSD matrix s sigma2 s with s = sigma1^(1/2), so its square-root trace is
    the sum of the square roots of that symmetric matrix's eigenvalues. This needs no matrix ``sqrtm`` of a
    non-symmetric product, no epsilon added to the diagonal, and stays exact for singular covariances (fewer
    samples than dimensions), where ``scipy.linalg.sqrtm(sigma1 @ sigma2)`` goes complex or inaccurate.
    """
    s = _psd_sqrt(np.asarray(sigma1, dtype=np.float64))
    m = s @ np.asarray(sigma2, dtype=np.float64) @ s
    w = np.linalg.eigvalsh((m + m.T) / 2.0)
    return float(np.sqrt(_clip_noise(w)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), the Fréchet distance of two Gaussians."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise BadInputError(f"mismatched statistics: means {mu1.shape}/{mu2.shape}, covariances "
                         f"{sigma1.shape}/{sigma2.shape}")
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2)
    return float(max(value, 0.0))


def fid_from_features(real, fake) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets."""
    return frechet_distance(*feature_statistics(real), *feature_statistics(fake))


def polynomial_kernel(x, y, degree: int = 3, gamma: float = None, coef0: float = 1.0) -> np.ndarray:
    """(gamma x.y + coef0)^degree with gamma = 1 / D by default: the KID kernel of Bińkowski et al. 2018."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef0) ** degree


def mmd2_unbiased(x, y, **kernel_args) -> float:
    """Unbiased estimate of the squared MMD between samples x (m, D) and y (n, D)."""
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise BadInputError("MMD needs at least 2 samples on each side")
    kxx = polynomial_kernel(x, x, **kernel_args)
    kyy = polynomial_kernel(y, y, **kernel_args)
    kxy = polynomial_kernel(x, y, **kernel_args)
    sum_xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    sum_yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sum_xx + sum_yy - 2.0 * kxy.mean())


def default_kid_subset_size(num_real: int, num_synthetic: int) -> int:
    """min(1000, n / 2) for the smaller sample n: subsets smaller than the sample, so they differ from one
    another and the spread over subsets means something (a subset equal to the whole set gives a std of 0)."""
    return int(max(2, min(KID_MAX_SUBSET, min(num_real, num_synthetic) // 2)))


def kid(real, fake, num_subsets: int = KID_SUBSETS, subset_size: int = None, seed: int = 0) -> dict:
    """Kernel inception distance: the unbiased polynomial-kernel MMD^2 averaged over ``num_subsets`` random
    subsets of ``subset_size`` (default ``default_kid_subset_size``; capped at the smaller sample count), drawn
    with ``seed``, with its standard deviation over subsets. The result states the subset size and count."""
    real = np.asarray(real, np.float64)
    fake = np.asarray(fake, np.float64)
    if min(len(real), len(fake)) < 2:
        raise BadInputError("KID needs at least 2 real and 2 synthetic samples")
    if subset_size is None:
        subset_size = default_kid_subset_size(len(real), len(fake))
    size = int(min(subset_size, len(real), len(fake)))
    if size < 2 or num_subsets < 1:
        raise BadInputError(f"KID needs subsets of at least 2 samples and at least 1 subset, got size {size}, "
                            f"{num_subsets} subsets")
    rng = np.random.default_rng(seed)
    values = np.array([
        mmd2_unbiased(real[rng.choice(len(real), size, replace=False)],
                      fake[rng.choice(len(fake), size, replace=False)])
        for _ in range(num_subsets)
    ])
    return {"kid": float(values.mean()), "kid_std": float(values.std(ddof=1)) if num_subsets > 1 else 0.0,
            "subset_size": size, "num_subsets": int(num_subsets), "kid_seed": int(seed),
            "kid_subsets_are_whole_sample": bool(size >= min(len(real), len(fake)))}


def pairwise_sq_distances(x, y) -> np.ndarray:
    """Squared Euclidean distances (len(x), len(y)) in float64, clipped at zero."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    return np.maximum(d, 0.0)


def knn_radii(features, k: int = 3, block: int = 1024) -> np.ndarray:
    """Distance of every sample to its k-th nearest other sample in the same set."""
    x = np.asarray(features, np.float64)
    if len(x) <= k:
        raise BadInputError(f"need more than k={k} samples for k-NN radii, got {len(x)}")
    radii = np.empty(len(x))
    for start in range(0, len(x), block):
        d = pairwise_sq_distances(x[start:start + block], x)
        # the sample itself sits at distance 0 and is the 0-th neighbour
        radii[start:start + block] = np.sqrt(np.partition(d, k, axis=1)[:, k])
    return radii


def _inside_manifold(queries, support, radii, block: int = 1024) -> np.ndarray:
    inside = np.empty(len(queries), bool)
    for start in range(0, len(queries), block):
        d = np.sqrt(pairwise_sq_distances(queries[start:start + block], support))
        inside[start:start + block] = (d <= radii[None, :]).any(axis=1)
    return inside


def precision_recall(real, fake, k: int = 3) -> dict:
    """Improved precision and recall (Kynkäänniemi et al. 2019): precision is the share of synthetic samples
    inside the real manifold (the union of balls reaching each real sample's k-th neighbour), recall the share
    of real samples inside the synthetic manifold."""
    real = np.asarray(real, np.float64)
    fake = np.asarray(fake, np.float64)
    precision = _inside_manifold(fake, real, knn_radii(real, k)).mean()
    recall = _inside_manifold(real, fake, knn_radii(fake, k)).mean()
    return {"precision": float(precision), "recall": float(recall), "k": int(k)}


def generative_metrics(real_features, fake_features, *, feature_network: str, comparable_to_papers: bool = False,
                       kid_subsets: int = KID_SUBSETS, kid_subset_size: int = None, k: int = 3, seed: int = 0) -> dict:
    """FID, KID (+ std) and precision/recall between two feature sets, stamped with what produced them.
    ``seed`` (the run's seed) draws the KID subsets; ``kid_subset_size`` None = min(1000, n / 2)."""
    real = np.asarray(real_features, np.float64)
    fake = np.asarray(fake_features, np.float64)
    result = {
        "feature_network": feature_network,
        "comparable_to_papers": bool(comparable_to_papers),
        "feature_dim": int(real.shape[1]),
        "num_real": int(len(real)),
        "num_synthetic": int(len(fake)),
        "fid": fid_from_features(real, fake),
    }
    result.update(kid(real, fake, kid_subsets, kid_subset_size, seed))
    result.update(precision_recall(real, fake, k))
    return result
