"""Downstream-task metrics in NumPy: ROC AUC and curve, confusion matrix, per-class precision/recall/F1,
balanced accuracy, and per-image Jaccard/Dice for segmentation masks.

Everything here takes plain arrays and is checked against direct computations in the tests; no scikit-learn.

Convention for classes absent from the test labels (one convention for every macro average): macro F1, balanced
accuracy and macro (one-vs-rest) AUC average over the classes that occur in ``y_true`` only. An absent class
has no recall and no AUC, and including its F1 as 0 would penalise a model for a class the test set cannot
measure; its per-class precision is still reported (it is 0 when the model predicts it, which shows wrong
predictions of that class). ``MACRO_CONVENTION`` states this in every report.

Bad inputs raise :class:`tfskin.errors.BadInputError` (a ValueError): NaN/inf scores or probabilities, labels
outside 0..K-1, mismatched lengths, and a single (H, W, 1) mask where (N, H, W) masks are expected.
"""

import numpy as np
from scipy.stats import rankdata

from tfskin.errors import BadInputError

MACRO_CONVENTION = "classes present in the test labels (absent classes are left out of macro averages)"
ISIC2018_JACCARD_THRESHOLD = 0.65


def _binary(y_true) -> np.ndarray:
    y = np.asarray(y_true).ravel()
    values = np.unique(y)
    if not np.all(np.isin(values, [0, 1, False, True])):
        raise BadInputError(f"binary labels must be 0/1, got values {values[:10]}")
    return y.astype(bool)


def _finite_scores(scores, what="scores") -> np.ndarray:
    try:
        s = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadInputError(f"{what} must be numbers") from None
    bad = ~np.isfinite(s)
    if bad.any():
        raise BadInputError(f"{what} contain {int(bad.sum())} NaN/inf value(s) (first at flat index "
                            f"{int(np.flatnonzero(bad.ravel())[0])}); a model that outputs NaN cannot be scored")
    return s


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve: the probability that a random positive scores above a random negative (ties
    count one half), computed from midranks (the Mann-Whitney U statistic). NaN when a class is missing."""
    y = _binary(y_true)
    s = _finite_scores(scores).ravel()
    if s.shape != y.shape:
        raise BadInputError(f"{y.size} labels but {s.size} scores")
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def roc_curve(y_true, scores):
    """(false positive rate, true positive rate, thresholds), one point per distinct score, from (0, 0)."""
    y = _binary(y_true)
    s = _finite_scores(scores).ravel()
    if s.shape != y.shape:
        raise BadInputError(f"{y.size} labels but {s.size} scores")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last_of_run = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(y)[last_of_run]
    fps = (last_of_run + 1) - tps
    n_pos, n_neg = max(int(y.sum()), 1), max(int((~y).sum()), 1)
    fpr = np.r_[0.0, fps / n_neg]
    tpr = np.r_[0.0, tps / n_pos]
    thresholds = np.r_[np.inf, s[last_of_run]]
    return fpr, tpr, thresholds


def multiclass_roc_auc(y_true, probabilities, labels=None) -> dict:
    """One-vs-rest AUC per class (NaN for a class absent from ``y_true``) and their unweighted mean
    (``macro``) over the classes present in ``y_true`` (``MACRO_CONVENTION``)."""
    y = np.asarray(y_true).ravel()
    p = _finite_scores(probabilities, "probabilities")
    if p.ndim != 2 or len(p) != y.size:
        raise BadInputError(f"probabilities must be ({y.size}, K), got {p.shape}")
    k = p.shape[1]
    _check_labels(y, k)
    labels = list(range(k)) if labels is None else list(labels)
    per_class = {}
    for c in range(k):
        positives = y == c
        per_class[labels[c]] = roc_auc(positives, p[:, c]) if 0 < positives.sum() < y.size else float("nan")
    valid = [v for v in per_class.values() if np.isfinite(v)]
    return {"per_class": per_class, "macro": float(np.mean(valid)) if valid else float("nan")}


def _check_labels(y, num_classes: int, name: str = "labels"):
    y = np.asarray(y)
    if y.size and (not np.issubdtype(y.dtype, np.integer) and not np.issubdtype(y.dtype, np.bool_)):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise BadInputError(f"{name} must be integer class indices, got {y.dtype} values like {y.ravel()[:5]}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise BadInputError(f"{name} must lie in 0..{num_classes - 1} ({num_classes} classes), got values "
                            f"{int(y.min())}..{int(y.max())}")


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts; rows are true classes, columns predicted classes."""
    _check_labels(y_true, num_classes)
    _check_labels(y_pred, num_classes, "predictions")
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise BadInputError(f"{y_true.size} labels but {y_pred.size} predictions")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)


def per_class_scores(confusion: np.ndarray, labels=None) -> dict:
    """Precision, recall, F1 and support per class from a confusion matrix (0 where undefined, as is usual)."""
    cm = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    labels = list(range(cm.shape[0])) if labels is None else list(labels)
    return {labels[i]: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                        "support": int(actual[i])} for i in range(cm.shape[0])}


def macro_f1(confusion: np.ndarray) -> float:
    """Mean F1 over the classes that occur in the labels (``MACRO_CONVENTION``); NaN without labels."""
    cm = np.asarray(confusion, dtype=np.float64)
    present = cm.sum(axis=1) > 0
    f1 = np.array([s["f1"] for s in per_class_scores(cm).values()])
    return float(f1[present].mean()) if present.any() else float("nan")


def balanced_accuracy(confusion: np.ndarray) -> float:
    """Mean recall over the classes that occur in the labels (``MACRO_CONVENTION``)."""
    cm = np.asarray(confusion, dtype=np.float64)
    actual = cm.sum(axis=1)
    present = actual > 0
    return float(np.mean(np.diag(cm)[present] / actual[present])) if present.any() else float("nan")


def classification_report(y_true, probabilities, class_names) -> dict:
    """Every classifier metric tfskin reports, from true labels and predicted class probabilities (N, K)."""
    p = _finite_scores(probabilities, "probabilities")
    k = len(class_names)
    _check_labels(np.asarray(y_true).ravel(), k)
    y = np.asarray(y_true, dtype=np.int64).ravel()
    if p.ndim != 2 or p.shape != (y.size, k):
        raise BadInputError(f"probabilities must be ({y.size}, {k}), got {p.shape}")
    pred = p.argmax(axis=1)
    cm = confusion_matrix(y, pred, k)
    scores = per_class_scores(cm, class_names)
    report = {
        "num_examples": int(y.size),
        "accuracy": float((pred == y).mean()) if y.size else float("nan"),
        "balanced_accuracy": balanced_accuracy(cm),
        "macro_f1": macro_f1(cm),
        "macro_convention": MACRO_CONVENTION,
        "classes_absent_from_labels": [name for name, s in scores.items() if s["support"] == 0],
        "per_class": scores,
        "confusion_matrix": cm.tolist(),
        "class_names": list(class_names),
    }
    if k == 2:
        report["auc"] = roc_auc(y == 1, p[:, 1])
    else:
        ovr = multiclass_roc_auc(y, p, class_names)
        report["auc"] = ovr["macro"]
        report["auc_per_class"] = ovr["per_class"]
    return report


# --- segmentation ------------------------------------------------------------------------------------------

def _as_masks(masks, threshold, what="masks"):
    m = np.asarray(masks)
    if m.ndim == 3 and m.shape[-1] == 1:
        raise BadInputError(f"{what} of shape {m.shape} look like one (H, W, 1) mask; pass a batch: (N, H, W) or "
                            f"(N, H, W, 1) (e.g. mask[np.newaxis])")
    if m.ndim == 4 and m.shape[-1] == 1:
        m = m[..., 0]
    if m.ndim == 2:
        m = m[np.newaxis]
    if m.ndim != 3:
        raise BadInputError(f"{what} must be (N, H, W) or (N, H, W, 1), got shape {m.shape}")
    if m.dtype != bool and np.issubdtype(m.dtype, np.floating) and not np.all(np.isfinite(m)):
        raise BadInputError(f"{what} contain NaN/inf values")
    if m.dtype == bool:
        return m
    if m.dtype == np.uint8 and m.max(initial=0) > 1:
        return m >= 128
    return m > threshold


def jaccard_per_image(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """Jaccard index |A and B| / |A or B| per image (1.0 when both masks are empty). Masks: bool, 0/1, 0/255
    uint8 or probabilities (binarized at ``threshold``); shape (N, H, W) or (N, H, W, 1)."""
    t, p = _as_masks(y_true, 0.5, "true masks"), _as_masks(y_pred, threshold, "predicted masks")
    if t.shape != p.shape:
        raise BadInputError(f"mask shapes differ: {t.shape} vs {p.shape}")
    inter = np.logical_and(t, p).reshape(len(t), -1).sum(axis=1)
    union = np.logical_or(t, p).reshape(len(t), -1).sum(axis=1)
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def dice_per_image(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """Dice 2|A and B| / (|A| + |B|) per image (1.0 when both masks are empty)."""
    t, p = _as_masks(y_true, 0.5, "true masks"), _as_masks(y_pred, threshold, "predicted masks")
    if t.shape != p.shape:
        raise BadInputError(f"mask shapes differ: {t.shape} vs {p.shape}")
    inter = np.logical_and(t, p).reshape(len(t), -1).sum(axis=1)
    total = t.reshape(len(t), -1).sum(axis=1) + p.reshape(len(p), -1).sum(axis=1)
    return np.where(total > 0, 2 * inter / np.maximum(total, 1), 1.0)


def thresholded_jaccard(per_image, threshold: float = ISIC2018_JACCARD_THRESHOLD) -> float:
    """ISIC 2018 task 1 score: the mean of per-image Jaccard indices, each set to 0 when below ``threshold``."""
    jac = np.asarray(per_image, np.float64)
    return float(np.where(jac < threshold, 0.0, jac).mean()) if jac.size else float("nan")


SEGMENTATION_SCORE_NAMES = {
    "jaccard": "mean Jaccard index (the ISIC 2017 task 1 score)",
    "thresholded_jaccard": f"thresholded Jaccard index (the ISIC 2018 task 1 score: per-image Jaccard below "
                           f"{ISIC2018_JACCARD_THRESHOLD} counts as 0)",
    "dice": "mean Dice coefficient",
}


def segmentation_report(y_true, y_pred, threshold: float = 0.5, bins: int = 20) -> dict:
    """Mean Jaccard (the ISIC 2017 challenge score), the thresholded Jaccard (the ISIC 2018 score), Dice, the
    share of images below 0.6 / 0.7 Jaccard (where Pollastri et al. 2020 say correctness becomes debatable) and
    the per-image Jaccard histogram; ``score_names`` says which is which."""
    jac = jaccard_per_image(y_true, y_pred, threshold)
    dice = dice_per_image(y_true, y_pred, threshold)
    counts, edges = np.histogram(jac, bins=bins, range=(0.0, 1.0))
    return {
        "num_images": int(jac.size),
        "jaccard": float(jac.mean()) if jac.size else float("nan"),
        "thresholded_jaccard": thresholded_jaccard(jac),
        "score_names": dict(SEGMENTATION_SCORE_NAMES),
        "dice": float(dice.mean()) if dice.size else float("nan"),
        "share_below_0.6": float((jac < 0.6).mean()) if jac.size else float("nan"),
        "share_below_0.7": float((jac < 0.7).mean()) if jac.size else float("nan"),
        "jaccard_histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
        "jaccard_per_image": jac.tolist(),
    }
