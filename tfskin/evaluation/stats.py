"""Paired significance tests between conditions run on the same seeded splits (scipy.stats)."""

import math

import numpy as np
from scipy import stats as sps


def summarize(values) -> dict:
    """Mean, sample standard deviation, count, min and max of a list of run results (NaNs dropped)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], np.float64)
    if v.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "n": 0, "min": float("nan"), "max": float("nan")}
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0, "n": int(v.size),
            "min": float(v.min()), "max": float(v.max())}


def paired_tests(values, reference) -> dict:
    """Paired t-test and Wilcoxon signed-rank test of ``values`` against ``reference`` (same repeats, same
    order). p-values are NaN where a test is undefined (fewer than 2 pairs, or all differences zero)."""
    a = np.asarray(values, np.float64)
    b = np.asarray(reference, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired tests need the same repeats on both sides, got {a.size} and {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    diff = a - b
    out = {"n_pairs": int(a.size), "mean_difference": float(diff.mean()) if a.size else float("nan"),
           "t_statistic": float("nan"), "t_pvalue": float("nan"),
           "wilcoxon_statistic": float("nan"), "wilcoxon_pvalue": float("nan")}
    if a.size < 2 or np.all(diff == 0):
        return out
    if np.std(diff) > 0:
        t = sps.ttest_rel(a, b)
        out["t_statistic"], out["t_pvalue"] = float(t.statistic), float(t.pvalue)
    else:  # every repeat moved by the same nonzero amount: infinitely significant for the t-test
        out["t_statistic"] = math.copysign(float("inf"), diff[0])
        out["t_pvalue"] = 0.0
    w = sps.wilcoxon(a, b)
    out["wilcoxon_statistic"], out["wilcoxon_pvalue"] = float(w.statistic), float(w.pvalue)
    return out
