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
    """Fréchet distance between the Gaussians fitted to two feature sets.

    With fewer samples than dimensions (pixel features, small draws) the D x D covariances are never formed:
    for centred samples A (n, D) and B (m, D), sigma1 sigma2 = A'A B'B / ((n-1)(m-1)) has the same nonzero
    eigenvalues as (A B')(A B')' / ((n-1)(m-1)), so tr((sigma1 sigma2)^(1/2)) is the sum of the singular values
    of the (n, m) matrix A B' / sqrt((n-1)(m-1)): one min(n, m)-sized eigendecomposition instead of two D x D
    ones."""
    x, y = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or min(len(x), len(y)) < 2:
        return frechet_distance(*feature_statistics(x), *feature_statistics(y))
    if min(len(x), len(y)) >= x.shape[1]:
        return frechet_distance(*feature_statistics(x), *feature_statistics(y))
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    a, b = x - mu1, y - mu2
    scale1, scale2 = len(x) - 1.0, len(y) - 1.0
    cross = a @ b.T
    gram = cross @ cross.T if len(x) <= len(y) else cross.T @ cross
    # singular values of the cross product: square roots of its Gram matrix's eigenvalues (a symmetric
    # eigensolver is several times faster than an SVD); round-off eigenvalues are zeroed as in trace_sqrt_product
    singular_sum = np.sqrt(_clip_noise(np.linalg.eigvalsh((gram + gram.T) / 2.0))).sum()
    diff = mu1 - mu2
    value = (diff @ diff + (a * a).sum() / scale1 + (b * b).sum() / scale2
             - 2.0 * singular_sum / np.sqrt(scale1 * scale2))
    return float(max(value, 0.0))


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


def _subset_kernel_sums(x, y, x_sets, y_sets, diagonal: bool = False, block: int = 2048) -> np.ndarray:
    """For every subset s (rows of the 0/1 indicator matrices): the sum of k(x_i, y_j) over i in x_sets[s] and
    j in y_sets[s], leaving out i == j when ``diagonal`` (x is y). The kernel matrix is computed once, a block
    of rows at a time, instead of once per subset."""
    totals = np.zeros(len(x_sets))
    for start in range(0, len(x), block):
        k = polynomial_kernel(x[start:start + block], y)
        if diagonal:
            rows = np.arange(k.shape[0])
            k[rows, start + rows] = 0.0
        totals += (x_sets[:, start:start + block] * (y_sets @ k.T)).sum(axis=1)
    return totals


def _kid_from_whole_kernels(real, fake, real_idx, fake_idx) -> np.ndarray:
    """Per-subset unbiased MMD^2 from the kernel matrices of the whole samples (subsets as index rows)."""
    size = real_idx.shape[1]
    real_sets, fake_sets = np.zeros((len(real_idx), len(real))), np.zeros((len(fake_idx), len(fake)))
    np.put_along_axis(real_sets, real_idx, 1.0, axis=1)
    np.put_along_axis(fake_sets, fake_idx, 1.0, axis=1)
    within = (_subset_kernel_sums(real, real, real_sets, real_sets, diagonal=True)
              + _subset_kernel_sums(fake, fake, fake_sets, fake_sets, diagonal=True))
    across = _subset_kernel_sums(real, fake, real_sets, fake_sets)
    return within / (size * (size - 1)) - 2.0 * across / (size * size)


def _kid_per_subset(x, y) -> np.ndarray:
    """Unbiased MMD^2 of stacked subsets x (S, size, D) and y (S, size, D), one batched product per term."""
    size, gamma = x.shape[1], 1.0 / x.shape[2]

    def off_diagonal_sum(a):
        k = (gamma * np.matmul(a, a.transpose(0, 2, 1)) + 1.0) ** 3
        return k.sum(axis=(1, 2)) - np.trace(k, axis1=1, axis2=2)

    across = ((gamma * np.matmul(x, y.transpose(0, 2, 1)) + 1.0) ** 3).sum(axis=(1, 2))
    return (off_diagonal_sum(x) + off_diagonal_sum(y)) / (size * (size - 1)) - 2.0 * across / (size * size)


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
    draws = [(rng.choice(len(real), size, replace=False), rng.choice(len(fake), size, replace=False))
             for _ in range(num_subsets)]  # one subset after another, real then synthetic
    real_idx, fake_idx = (np.array(side) for side in zip(*draws, strict=True))
    n, m = len(real), len(fake)
    if n * n + m * m + n * m <= 3 * num_subsets * size * size:  # whole kernel matrices are the cheaper way
        values = _kid_from_whole_kernels(real, fake, real_idx, fake_idx)
    else:
        batch = max(1, 2 ** 22 // (size * size))  # subsets per batched product: ~32 MB of kernel values
        values = np.concatenate([_kid_per_subset(real[real_idx[i:i + batch]], fake[fake_idx[i:i + batch]])
                                 for i in range(0, num_subsets, batch)])
    return {"kid": float(values.mean()), "kid_std": float(values.std(ddof=1)) if num_subsets > 1 else 0.0,
            "subset_size": size, "num_subsets": int(num_subsets), "kid_seed": int(seed),
            "kid_subsets_are_whole_sample": bool(size >= min(len(real), len(fake)))}


def pairwise_sq_distances(x, y) -> np.ndarray:
    """Squared Euclidean distances (len(x), len(y)) in float64, clipped at zero."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    return np.maximum(d, 0.0)


def knn_radii(features, k: int = 3, block: int = 2048) -> np.ndarray:
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


def precision_recall(real, fake, k: int = 3, block: int = 2048) -> dict:
    """Improved precision and recall (Kynkäänniemi et al. 2019): precision is the share of synthetic samples
    inside the real manifold (the union of balls reaching each real sample's k-th neighbour), recall the share
    of real samples inside the synthetic manifold. One synthetic-to-real distance matrix (in blocks of
    ``block`` synthetic rows) serves both."""
    real = np.asarray(real, np.float64)
    fake = np.asarray(fake, np.float64)
    real_radii, fake_radii = knn_radii(real, k, block), knn_radii(fake, k, block)
    fake_inside = np.empty(len(fake), bool)
    real_inside = np.zeros(len(real), bool)
    for start in range(0, len(fake), block):
        d = np.sqrt(pairwise_sq_distances(fake[start:start + block], real))
        fake_inside[start:start + block] = (d <= real_radii[None, :]).any(axis=1)
        real_inside |= (d <= fake_radii[start:start + block, None]).any(axis=0)
    return {"precision": float(fake_inside.mean()), "recall": float(real_inside.mean()), "k": int(k)}


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
