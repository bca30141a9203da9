"""Classifier metrics recomputed on many bootstrap resamples of one test set at once: each resample is a row of
case weights (how often each test case was drawn), so the resamples cost one matrix product instead of one
metric call each. With all weights 1 every function equals its counterpart in :mod:`tfskin.evaluation.metrics`
(the same macro convention: classes absent from the resampled labels are left out)."""

import numpy as np

from tfskin.errors import BadInputError

METRICS = ("auc", "accuracy", "balanced_accuracy", "macro_f1")


def _weighted_auc(positive, scores, weights) -> np.ndarray:
    """Weighted Mann-Whitney AUC per row of ``weights`` (ties count one half); NaN where a class has no weight."""
    values, group = np.unique(scores, return_inverse=True)
    onehot = np.zeros((scores.size, values.size))
    onehot[np.arange(scores.size), group] = 1.0
    neg_per_group = (weights * ~positive) @ onehot  # (B, groups): negative weight at each distinct score
    below = np.cumsum(neg_per_group, axis=1) - neg_per_group + 0.5 * neg_per_group
    pos_w = weights * positive
    n_pos, n_neg = pos_w.sum(axis=1), neg_per_group.sum(axis=1)
    u = (pos_w * below[:, group]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)


def _nanmean_rows(x) -> np.ndarray:
    finite = np.isfinite(x)
    count = finite.sum(axis=1)
    total = np.where(finite, x, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def metric_draws(labels, probabilities, weights, metric: str) -> np.ndarray:
    """``metric`` of (labels, probabilities (N, K)) under each row of case ``weights`` (B, N); returns (B,)."""
    if metric not in METRICS:
        raise BadInputError(f"no resampled version of metric {metric!r}; one of {', '.join(METRICS)}")
    y = np.asarray(labels, np.int64).ravel()
    p = np.asarray(probabilities, np.float64)
    w = np.atleast_2d(np.asarray(weights, np.float64))
    if p.ndim != 2 or len(p) != y.size or w.shape[1] != y.size:
        raise BadInputError(f"labels {y.shape}, probabilities {p.shape} and weights {w.shape} do not match")
    k = p.shape[1]
    if metric == "auc":
        if k == 2:
            return _weighted_auc(y == 1, p[:, 1], w)
        return _nanmean_rows(np.stack([_weighted_auc(y == c, p[:, c], w) for c in range(k)], axis=1))
    pred = p.argmax(axis=1)
    if metric == "accuracy":
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w @ (pred == y)) / w.sum(axis=1)
    cells = np.zeros((y.size, k * k))
    cells[np.arange(y.size), y * k + pred] = 1.0
    cm = (w @ cells).reshape(-1, k, k)  # (B, true, predicted)
    tp = np.diagonal(cm, axis1=1, axis2=2)
    actual, predicted = cm.sum(axis=2), cm.sum(axis=1)
    present = actual > 0
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    if metric == "balanced_accuracy":
        return _nanmean_rows(np.where(present, recall, np.nan))
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return _nanmean_rows(np.where(present, f1, np.nan))
