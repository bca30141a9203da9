"""Paired significance tests between conditions run on the same seeded splits (scipy.stats), their confidence
intervals and the Holm correction across comparisons."""

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


def holm(pvalues) -> list:
    """Holm-Bonferroni adjusted p-values (same order as given; NaN stays NaN and does not count as a test).

    The i-th smallest of m p-values is multiplied by (m - i + 1), then made monotone non-decreasing in that
    order and capped at 1; rejecting where the adjusted value is below alpha controls the family-wise error."""
    p = np.asarray([np.nan if v is None else v for v in pvalues], np.float64)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    m = valid.size
    running = 0.0
    for rank, i in enumerate(valid[np.argsort(p[valid], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()
