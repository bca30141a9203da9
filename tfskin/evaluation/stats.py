"""Paired significance tests between conditions run on the same seeded splits (scipy.stats), their confidence
intervals, the Holm correction across comparisons, and the pieces of a design-aware comparison: the
Nadeau-Bengio corrected resampled t-test, Student-t intervals at a family's Bonferroni level, the smallest
difference a design could detect, and percentile bootstraps over replicates, GAN replicates (nested) and test
cases. Everything here is a pure function of numbers."""

import math

import numpy as np
from scipy import stats as sps

from tfskin.errors import BadInputError


def summarize(values) -> dict:
    """Mean, sample standard deviation, count, min and max of a list of run results (None and NaN dropped)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], np.float64)
    if v.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "n": 0, "min": float("nan"), "max": float("nan")}
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0, "n": int(v.size),
            "min": float(v.min()), "max": float(v.max())}


def confidence_interval(differences, level: float = 0.95) -> tuple:
    """Two-sided Student-t confidence interval of the mean of paired differences; (nan, nan) below 2 pairs."""
    d = np.asarray(differences, np.float64)
    if d.size < 2:
        return float("nan"), float("nan")
    half = sps.t.ppf(0.5 + level / 2.0, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return float(d.mean() - half), float(d.mean() + half)


def paired_tests(values, reference, level: float = 0.95) -> dict:
    """Paired t-test and Wilcoxon signed-rank test of ``values`` against ``reference`` (same repeats, same
    order; pairs where either side is missing or NaN are dropped), the mean difference and its ``level``
    confidence interval. p-values are NaN where a test is undefined (fewer than 2 pairs, or all differences
    zero; the t-test also when every difference is the same)."""
    a = np.asarray([np.nan if v is None else v for v in values], np.float64)
    b = np.asarray([np.nan if v is None else v for v in reference], np.float64)
    if a.shape != b.shape:
        raise BadInputError(f"paired tests need the same repeats on both sides, got {a.size} and {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    diff = a - b
    low, high = confidence_interval(diff, level)
    out = {"n_pairs": int(a.size), "pairs": np.flatnonzero(keep).tolist(),
           "mean_difference": float(diff.mean()) if a.size else float("nan"),
           "ci_level": level, "ci_low": low, "ci_high": high,
           "mean": float(a.mean()) if a.size else float("nan"),
           "reference_mean": float(b.mean()) if a.size else float("nan"),
           "t_statistic": float("nan"), "t_pvalue": float("nan"),
           "wilcoxon_statistic": float("nan"), "wilcoxon_pvalue": float("nan")}
    if a.size < 2 or np.all(diff == 0):
        return out
    if np.std(diff) > 0:
        t = sps.ttest_rel(a, b)
        out["t_statistic"], out["t_pvalue"] = float(t.statistic), float(t.pvalue)
    # else: every pair moved by the same nonzero amount (typical of degenerate models that predict one class):
    # the t-test has no variance to work with, so its p-value stays NaN (untested), not a misleading 0.
    w = sps.wilcoxon(a, b)
    out["wilcoxon_statistic"], out["wilcoxon_pvalue"] = float(w.statistic), float(w.pvalue)
    return out


def holm(pvalues, count_untested: bool = False) -> list:
    """Holm-Bonferroni adjusted p-values (same order as given; NaN stays NaN in the output).

    The i-th smallest of m p-values is multiplied by (m - i + 1), then made monotone non-decreasing in that
    order and capped at 1; rejecting where the adjusted value is below alpha controls the family-wise error.
    A NaN p-value (an untestable comparison) leaves the family by default; with ``count_untested`` it stays in
    the family as p = 1, so m is the number of comparisons given."""
    p = np.asarray([np.nan if v is None else v for v in pvalues], np.float64)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    m = p.size if count_untested else valid.size
    running = 0.0
    for rank, i in enumerate(valid[np.argsort(p[valid], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()


# --- design-aware comparisons ------------------------------------------------------------------------------

def finite_pairs(values, reference) -> tuple:
    """(a, b, kept indices) of the pairs where both sides are finite (None counts as missing)."""
    a = np.asarray([np.nan if v is None else v for v in values], np.float64)
    b = np.asarray([np.nan if v is None else v for v in reference], np.float64)
    if a.shape != b.shape:
        raise BadInputError(f"paired values need the same replicates on both sides, got {a.size} and {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep], np.flatnonzero(keep)


def difference_test(differences, *, test_train_ratio: float = 0.0, extra_variance: float = 0.0) -> dict:
    """Two-sided t-test that the mean of J paired differences is zero, with the variance of the mean taken as
    ``s^2 * (1/J + test_train_ratio) + extra_variance`` (s^2 the sample variance of the differences), J - 1
    degrees of freedom.

    ``test_train_ratio = 0`` and no extra variance is the paired t-test; ``test_train_ratio = n_test / n_train``
    is Nadeau and Bengio's (2003) corrected resampled t-test for replicates whose training sets overlap;
    ``extra_variance`` adds a variance the replicates cannot show (the test-case bootstrap variance of a test
    set that is the same in every replicate). The p-value is NaN (untestable) with fewer than 2 differences or
    a zero standard error."""
    d = np.asarray(differences, np.float64)
    d = d[np.isfinite(d)]
    j = d.size
    out = {"n": int(j), "mean": float(d.mean()) if j else float("nan"), "se": float("nan"), "df": max(j - 1, 0),
           "t": float("nan"), "p": float("nan"), "test": describe_test(test_train_ratio, extra_variance)}
    if j < 2:
        return out
    # identical differences (e.g. two one-class models) have no spread: untestable, not p = 0
    spread = 0.0 if np.all(d == d[0]) else d.var(ddof=1)
    var = spread * (1.0 / j + float(test_train_ratio)) + float(extra_variance)
    se = math.sqrt(var) if var > 0 else 0.0
    out["se"] = se
    if se > 0:
        t = out["mean"] / se
        out["t"], out["p"] = float(t), float(2.0 * sps.t.sf(abs(t), j - 1))
    return out


def describe_test(test_train_ratio: float = 0.0, extra_variance: float = 0.0) -> str:
    name = ("Nadeau-Bengio corrected resampled t-test" if test_train_ratio > 0 else "paired t-test")
    return name + (" with the test-case bootstrap variance added" if extra_variance > 0 else "")


def wilcoxon_pvalue(differences) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences; NaN below 2 pairs or when all are zero."""
    d = np.asarray(differences, np.float64)
    d = d[np.isfinite(d)]
    if d.size < 2 or np.all(d == 0):
        return float("nan")
    return float(sps.wilcoxon(d).pvalue)


def t_interval(mean: float, se: float, df: int, level: float) -> tuple:
    """mean +/- t_{(1 + level)/2, df} * se; (nan, nan) when undefined. With ``se`` and ``df`` from
    :func:`difference_test` it excludes zero exactly when that test's p is below 1 - level."""
    if not (np.isfinite(mean) and np.isfinite(se)) or se <= 0 or df < 1:  # no spread: no interval
        return float("nan"), float("nan")
    half = sps.t.ppf(0.5 + level / 2.0, df) * se
    return float(mean - half), float(mean + half)


def detectable_difference(se: float, df: int, alpha: float, power: float = 0.8) -> float:
    """The smallest true difference a two-sided t-test at level ``alpha`` detects with probability ``power``:
    (t_{1 - alpha/2, df} + t_{power, df}) * se, se the standard error of the mean difference the test uses."""
    if not np.isfinite(se) or se <= 0 or df < 1:
        return float("nan")
    return float((sps.t.ppf(1.0 - alpha / 2.0, df) + sps.t.ppf(power, df)) * se)


def group_means(values, groups) -> tuple:
    """(sorted group ids, the mean of ``values`` within each group): nested repeats averaged per unit."""
    v = np.asarray(values, np.float64)
    g = np.asarray(groups)
    ids = sorted(set(g.tolist()))
    return ids, np.array([v[g == i].mean() for i in ids])


def case_resample_weights(n_cases: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_cases) counts: how often each test case is drawn in each bootstrap resample of the cases."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n_cases, size=(n_boot, n_cases))
    return np.stack([np.bincount(row, minlength=n_cases) for row in picks]).astype(np.float64)


def bootstrap_ci(differences, level: float = 0.95, *, groups=None, case_draws=None, n_boot: int = 2000,
                 seed: int = 0) -> tuple:
    """Percentile bootstrap interval of the mean paired difference.

    Plain: resample the J pairs with replacement. ``groups`` (one id per pair, e.g. the GAN replicate): two
    levels, resample the groups, then the pairs within each drawn group, and average the group means.
    ``case_draws`` (J, C): each pair's difference recomputed on C bootstrap resamples of a fixed test set (the
    same resample in a column for every pair); draw b then uses column b mod C, so replicates and test cases
    are resampled together. (nan, nan) below 2 pairs (below 2 groups with ``groups``)."""
    d = np.asarray(differences, np.float64)
    j = d.size
    cases = None if case_draws is None else np.asarray(case_draws, np.float64)
    rng = np.random.default_rng(seed)
    cols = np.arange(n_boot) % cases.shape[1] if cases is not None else None
    if groups is None:
        if j < 2:
            return float("nan"), float("nan")
        idx = rng.integers(0, j, size=(n_boot, j))
        draws = (cases[idx, cols[:, None]] if cases is not None else d[idx]).mean(axis=1)
    else:
        g = np.asarray(groups)
        ids = sorted(set(g.tolist()))
        if len(ids) < 2:
            return float("nan"), float("nan")
        members = [np.flatnonzero(g == i) for i in ids]
        chosen = rng.integers(0, len(ids), size=(n_boot, len(ids)))  # the groups of each draw
        unit_means = np.empty(chosen.shape)
        for k, mine in enumerate(members):  # resample within each drawn group, all draws at once
            b, slot = np.nonzero(chosen == k)
            idx = mine[rng.integers(0, mine.size, size=(b.size, mine.size))]
            values = cases[idx, cols[b][:, None]] if cases is not None else d[idx]
            unit_means[b, slot] = values.mean(axis=1)
        draws = unit_means.mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return float(low), float(high)
